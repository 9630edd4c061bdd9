"""Rate limits per caller: requests, and lookups that found nothing (misses), limited tighter.

The limits are data (app/config/access.toml [rate_limits], by role); a caller is the key's employee
where the key is bound to one, else the key. Counting is pyrate-limiter's sliding-window log in
memory, fed the times of app.clock, so tests move time instead of sleeping. A miss is read from the
answer (a lookup's null, empty page or error), since only the answer says whether anything was
found; a caller whose misses are spent is refused every lookup before it runs, so that refusals do
not tell hits from misses.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from pyrate_limiter import InMemoryBucket, Rate, RateItem, SlidingWindowLog

from app import clock
from app.access import RateLimit, access_policy
from app.api_keys import ApiKey
from app.errors import RateLimited

# The lookups whose empty answers are misses, by root field, and how each answer says "nothing".
_ABSENT = "absent"
_NO_HITS = "no_hits"
_REFUSED = "refused"
LOOKUPS = {
    "customerByCertificate": _ABSENT,
    "customerByServiceNumber": _ABSENT,
    "searchCustomers": _NO_HITS,
    "match": _NO_HITS,
    # A refused check at the contact says how a number compared with a record's certificate: counted as
    # a miss, so it cannot be run through numbers to find one (app/contact_confirmation.py).
    "confirmIdentityAtContact": _REFUSED,
}
_MENTIONS_LOOKUP = re.compile(r"\b(?:" + "|".join(LOOKUPS) + r")\b")


def mentions_lookup(query: str | None) -> bool:
    """Cheap and conservative: a query naming none of the lookups cannot run one."""
    return bool(query) and _MENTIONS_LOOKUP.search(query or "") is not None


@lru_cache(maxsize=256)
def _document(query: str) -> DocumentNode:
    return parse(query)


def _root_lookups(query: str, operation_name: str | None) -> dict[str, str]:
    """Response key -> lookup field, for the operation's root fields (through fragments)."""
    document = _document(query)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    found: dict[str, str] = {}
    seen: set[str] = set()

    def walk(selections: SelectionSetNode) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode) and selection.name.value in LOOKUPS:
                key = selection.alias.value if selection.alias else selection.name.value
                found[key] = selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set)

    for operation in chosen[:1]:
        walk(operation.selection_set)
    return found


def _found_nothing(kind: str, answer: Any) -> bool:
    if answer is None:
        return True
    if kind == _ABSENT:
        return False
    if kind == _REFUSED:
        # A payload refused: user errors, its objects null (schema/payloads.py).
        return isinstance(answer, Mapping) and (
            bool(answer.get("userErrors")) or all(v is None for k, v in answer.items() if k != "userErrors")
        )
    if isinstance(answer, list):
        return not answer
    if isinstance(answer, Mapping):
        page_info = answer.get("pageInfo")
        return (
            answer.get("totalCount") == 0
            or answer.get("edges") == []
            or answer.get("nodes") == []
            or (isinstance(page_info, Mapping) and "endCursor" in page_info and page_info["endCursor"] is None)
        )
    return False


def misses_in(query: str | None, operation_name: str | None, data: Any, error_paths: Sequence[Sequence[Any]]) -> int:
    """How many of the operation's lookups found nothing, read from its answer: a null or empty
    answer, or an error on the lookup itself (not found, not a valid number)."""
    if not mentions_lookup(query) or (data is None and not error_paths):
        return 0
    lookups = _root_lookups(query or "", operation_name)
    failed = {path[0] for path in error_paths if len(path) == 1}
    answers = data if isinstance(data, Mapping) else {}
    return sum(
        1
        for key, name in lookups.items()
        if key in failed or (key in answers and _found_nothing(LOOKUPS[name], answers[key]))
    )


class _Window:
    """One caller's log under a list of rates (all must hold)."""

    algorithm = SlidingWindowLog()

    def __init__(self, rates: list[tuple[int, int]]) -> None:
        self.bucket = InMemoryBucket([Rate(limit, interval) for limit, interval in rates], algorithm=self.algorithm)
        self.longest = max(interval for _, interval in rates)

    def wait_ms(self, now: int) -> int:
        """Milliseconds until one more fits; 0 when it fits now. Counts nothing."""
        items = self.bucket.items
        for rate in self.bucket.rates:
            start = bisect_left(items, self.algorithm.window_start(rate, now), key=lambda item: item.timestamp)
            if len(items) - start >= rate.limit:
                offset = self.algorithm.blocking_offset(rate, 1) or 0
                return self.algorithm.retry_after(rate, now, items[len(items) - 1 - offset].timestamp)
        return 0

    def take(self, now: int, name: str) -> int:
        """Count one; 0 when it fitted, else the milliseconds to wait (and nothing is counted)."""
        if self.bucket.items and self.bucket.items[0].timestamp < now - self.longest:
            self.bucket.leak(now)
        decision = self.bucket.put_decision(RateItem(name, now))
        if decision.allowed:  # type: ignore[union-attr]
            return 0
        return max(1, decision.retry_after_ms or self.longest)  # type: ignore[union-attr]


class RateLimiter:
    """The API process's limits: one window of requests and one of misses per caller."""

    def __init__(self, limits: Mapping[str, RateLimit] | None = None) -> None:
        self.limits = dict(limits if limits is not None else access_policy().rate_limits)
        self._windows: dict[tuple[str, str, str], _Window] = {}
        self._lock = threading.Lock()

    @staticmethod
    def caller_of(key: ApiKey) -> str:
        return f"employee:{key.employee}" if key.employee else f"key:{key.name}"

    def _window(self, key: ApiKey, what: str) -> _Window:
        index = (key.role, self.caller_of(key), what)
        window = self._windows.get(index)
        if window is None:
            with self._lock:
                limit = self.limits[key.role]
                window = self._windows.setdefault(
                    index, _Window(limit.requests if what == "requests" else limit.misses)
                )
        return window

    @staticmethod
    def _refuse(key: ApiKey, what: str, wait_ms: int) -> RateLimited:
        seconds = max(1, math.ceil(wait_ms / 1000))
        return RateLimited(
            f"too many {what} for role {key.role} by {RateLimiter.caller_of(key)}; retry in {seconds} s", seconds
        )

    def admit(self, key: ApiKey) -> None:
        """Count a request; RateLimited when the caller has used up its requests."""
        if key.exempt_from_rate_limits:
            return
        wait = self._window(key, "requests").take(clock.now_ms(), key.name)
        if wait:
            raise self._refuse(key, "requests", wait)

    def admit_lookup(self, key: ApiKey) -> None:
        """Before a lookup runs: RateLimited while the caller's misses are spent, hit or not."""
        if key.exempt_from_rate_limits:
            return
        wait = self._window(key, "misses").wait_ms(clock.now_ms())
        if wait:
            raise self._refuse(key, "lookups that found nothing", wait)

    def record_misses(self, key: ApiKey, count: int) -> None:
        if key.exempt_from_rate_limits:
            return
        window = self._window(key, "misses")
        now = clock.now_ms()
        for _ in range(count):
            if window.take(now, key.name):
                return
