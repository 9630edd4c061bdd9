"""Paging, one way for every list: Relay connections with one cursor codec.

Every list is in a total order: its sort key, then an id that breaks ties, so a page never repeats
or skips an item however many items share a score, a time or a name. A cursor carries the list's
name, its sort and the last item's keys (sort key and id), as base64 JSON; the next page starts
strictly after those keys, in the list's own order. A cursor the API did not give out, or one of
another list or another sort, is a BAD_USER_INPUT error, never a silent first page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Generic, TypeVar

import orjson
import strawberry

from app.errors import BadInput

T = TypeVar("T")
Key = tuple[Any, ...]


@strawberry.type(description="Where a page is in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the page's last.")
    has_previous_page: bool = strawberry.field(
        description="Items come before the page's first (for a list paged in the store and read forward: "
        "whether the page started after a cursor)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the page's first item.")
    end_cursor: str | None = strawberry.field(description="The cursor of the page's last item.")


@strawberry.type(description="One item of a list and the cursor to page on from it (Relay).")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Where this item is in its list: pass it as after or before.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list (a Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items with their cursors.")
    nodes: list[T] = strawberry.field(description="The page's items, without cursors.")
    page_info: PageInfo = strawberry.field(description="Where the page is in its list.")
    total_count: int | None = strawberry.field(
        description="How many items the whole list has; null where counting would read the whole list."
    )


@dataclass(frozen=True, slots=True)
class Order:
    """One list in one sort: what its cursor holds (the types of the sort key and the id that
    breaks its ties)."""

    list: str
    sort: str
    keys: tuple[type, ...]

    def cursor(self, *keys: Any) -> str:
        return base64.urlsafe_b64encode(orjson.dumps([self.list, self.sort, *keys])).decode()

    def after(self, cursor: str | None) -> Key | None:
        """The keys a page starts strictly after, or None for the first page."""
        if cursor is None:
            return None
        try:
            decoded = orjson.loads(base64.urlsafe_b64decode(cursor.encode("utf-8", "strict")))
        except (ValueError, binascii.Error, orjson.JSONDecodeError, UnicodeError):
            decoded = None
        if not isinstance(decoded, list) or len(decoded) < 2 or not all(isinstance(p, str) for p in decoded[:2]):
            raise BadInput(f"cursor {cursor[:80]!r} is not one this API gave out", [("after", "not a cursor")])
        named, sort, keys = decoded[0], decoded[1], decoded[2:]
        if (named, sort) != (self.list, self.sort):
            raise BadInput(
                f"cursor is of {named} sorted by {sort}, not of {self.list} sorted by {self.sort}",
                [("after", "a cursor of another list or sort")],
            )
        if len(keys) != len(self.keys) or not all(_is(k, t) for k, t in zip(keys, self.keys)):
            raise BadInput(f"cursor {cursor[:80]!r} is not one this API gave out", [("after", "not a cursor")])
        return tuple(keys)


def _is(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)


# Every list the API pages, in each of its sorts. The score sort key is the score in millionths
# (an integer), since FalkorDB returns floating-point numbers rounded to 15 digits: a cursor holding
# the rounded score started the next page before the items that tied with it, which looped.
REVIEW_QUEUE = {
    "score": Order("reviewQueue", "score", (int, str)),
    "age": Order("reviewQueue", "age", (str, str)),
}
SCORE_UNITS = 1_000_000
STEWARD_DECISIONS = Order("stewardDecisions", "newest", (str, str))
HELD_CONTACT_CHANGES = Order("heldContactChanges", "customer", (str, int))
SEARCH_CUSTOMERS = Order("searchCustomers", "relevance", (float, str))
CONTACTS = Order("contacts", "newest", (str, str))
# A customer's holdings and relations, read whole and paged in memory.
ACCOUNTS = Order("accounts", "id", (str,))
SUBSCRIPTIONS = Order("subscriptions", "id", (str,))
OFFERINGS = Order("offerings", "code", (str,))
OPPORTUNITIES = Order("opportunities", "newest", (str, str))
ORGANISATION_LINKS = Order("organisationLinks", "customer", (str,))
SOURCE_RECORDS = Order("sourceRecords", "id", (str,))
MERGE_HISTORY = Order("mergeHistory", "newest", (str, str))
TIER_HISTORY = Order("tierHistory", "newest", (str, str))
DUE_WORK = Order("dueWork", "late_then_due", (int, str, str, str, str))
SLA_BREACHES = Order("slaBreaches", "newest", (str, str))
# The opportunity hand-off's lists (schema/opportunities.py), read whole and paged in memory.
OPPORTUNITY_INBOX = Order("opportunityInbox", "newest", (str, str))
OPPORTUNITY_BOARD = Order("opportunityBoard", "newest", (str, str))
CAPTURED_OPPORTUNITIES = Order("capturedOpportunities", "newest", (str, str))
CALL_BACKS = Order("callBacks", "due", (str, str))
CONTACT_WORK_LIST = Order("contactWorkList", "time", (str, str))
MARKETING_CONSENTS = Order("marketingConsents", "newest", (str, str))


def page_info(cursors: Sequence[str], has_next_page: bool, has_previous_page: bool = False) -> PageInfo:
    """``cursors``: the page's cursors in order."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=has_previous_page,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def edges(order: Order, items: Sequence[Any], keys: Callable[[Any], Key], node: Callable[[Any], T]) -> list[Edge[T]]:
    """The edges of a page of ``items``, each with the cursor of its keys in ``order``."""
    return [Edge(cursor=order.cursor(*keys(item)), node=node(item)) for item in items]


@dataclass(frozen=True, slots=True)
class Window:
    """A connection's arguments: ``first`` items after ``after``, or ``last`` items before ``before``."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


def window(first: int | None, after: str | None, last: int | None, before: str | None) -> Window:
    """A connection's arguments checked: a page size within the limit, one direction at a time."""
    from schema.limits import DEFAULT_PAGE, page_size

    if first is not None and last is not None:
        raise BadInput("give first or last, not both", [("last", "first is given")])
    if last is not None:
        return Window(after=after, last=page_size(last), before=before)
    return Window(first=page_size(DEFAULT_PAGE if first is None else first), after=after, before=before)


def in_memory(
    order: Order,
    items: Sequence[Any],
    keys: Callable[[Any], Key],
    node: Callable[[Any], T],
    window: Window,
    *,
    descending: bool = False,
) -> Connection[T]:
    """A connection over a list read whole (a customer's holdings): both directions, exact counts.
    The list is put in its order here, so its cursors hold whatever the caller read."""
    # Each item's keys worked out once: the sort, the bounds and the cursors all read them.
    ordered = sorted(((keys(item), item) for item in items), key=itemgetter(0), reverse=descending)
    after, before = order.after(window.after), order.after(window.before)

    def beyond(key: Key, bound: Key, forward: bool) -> bool:
        return (key < bound) if descending == forward else (key > bound)

    chosen = [
        pair
        for pair in ordered
        if (after is None or beyond(pair[0], after, True)) and (before is None or beyond(pair[0], before, False))
    ]
    has_previous = after is not None and any(not beyond(key, after, True) for key, _ in ordered)
    has_next = before is not None and any(not beyond(key, before, False) for key, _ in ordered)
    if window.first is not None and len(chosen) > window.first:
        chosen, has_next = chosen[: window.first], True
    if window.last is not None and len(chosen) > window.last:
        chosen, has_previous = chosen[-window.last :], True
    page = edges(order, chosen, itemgetter(0), lambda pair: node(pair[1]))
    return Connection(
        edges=page,
        nodes=[e.node for e in page],
        page_info=page_info([e.cursor for e in page], has_next, has_previous),
        total_count=len(ordered),
    )
