"""Paging, one way for every list: opaque cursors and a PageInfo, as Relay's connections have them.

A cursor is the position's sort keys (an offset, a time and an id, a score and an id) as base64
JSON; a cursor the API did not give out is a BAD_USER_INPUT error, never a silent first page.
"""

from __future__ import annotations

import base64

import orjson
import strawberry

from app.errors import BadInput


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode()


def decode_cursor(cursor: str, parts: int) -> list[str]:
    """The ``parts`` sort keys ``cursor`` holds."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        decoded = None
    if not isinstance(decoded, list) or len(decoded) != parts or not all(isinstance(p, str) for p in decoded):
        raise BadInput(f"cursor {cursor!r} is not one this API gave out")
    return decoded


def offset_after(cursor: str | None) -> int:
    """Where a page starts in a list paged by position (search results)."""
    if not cursor:
        return 0
    (offset,) = decode_cursor(cursor, 1)
    if not offset.isdigit():
        raise BadInput(f"cursor {cursor!r} is not one this API gave out")
    return int(offset)


def page_info(edges: list[str], has_next_page: bool) -> PageInfo:
    """``edges``: the page's cursors in order."""
    return PageInfo(has_next_page=has_next_page, end_cursor=edges[-1] if edges else None)
