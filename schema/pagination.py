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
from typing import Any, Generic, TypeVar

import orjson
import strawberry

from app.errors import BadInput

T = TypeVar("T")
Key = tuple[Any, ...]


@strawberry.type(description="Where a page is in its list (Relay).")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="One item of a list and the cursor to page on from it (Relay).")
class Edge(Generic[T]):
    cursor: str
    node: T


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


def page_info(cursors: Sequence[str], has_next_page: bool) -> PageInfo:
    """``cursors``: the page's cursors in order."""
    return PageInfo(has_next_page=has_next_page, end_cursor=cursors[-1] if cursors else None)


def edges(order: Order, items: Sequence[Any], keys: Callable[[Any], Key], node: Callable[[Any], T]) -> list[Edge[T]]:
    """The edges of a page of ``items``, each with the cursor of its keys in ``order``."""
    return [Edge(cursor=order.cursor(*keys(item)), node=node(item)) for item in items]
