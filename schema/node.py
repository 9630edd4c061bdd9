"""Global object identification: the Node interface, node(id:) and nodes(ids:).

A global id is readable, not encoded: the type's name and the business id, ``Customer:C58FB7...``.
Types keep their business id in ``id`` (channel systems store it); ``globalId`` is what ``node``
takes. Each type that can be fetched alone registers how (``fetcher``), and ``node`` asks it with the
same checks as the type's own root field, so a role reads through ``node`` what it reads elsewhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from app.errors import BadInput
from schema.context import Info

SEPARATOR = ":"
Fetcher = Callable[[Info, str], Awaitable[Any]]
_FETCHERS: dict[str, Fetcher] = {}


def global_id(type_name: str, business_id: str) -> strawberry.ID:
    return strawberry.ID(f"{type_name}{SEPARATOR}{business_id}")


def parse_global_id(value: str) -> tuple[str, str]:
    type_name, sep, business_id = value.partition(SEPARATOR)
    if not sep or not business_id or type_name not in _FETCHERS:
        known = ", ".join(sorted(_FETCHERS))
        raise BadInput(
            f"{value[:80]!r} is not a global id: it is a type ({known}), a colon and the id, as Customer:C58FB7...",
            [("id", "not a global id")],
        )
    return type_name, business_id


def fetcher(type_name: str) -> Callable[[Fetcher], Fetcher]:
    """Register how a type is fetched by its business id for ``node``."""

    def register(fetch: Fetcher) -> Fetcher:
        _FETCHERS[type_name] = fetch
        return fetch

    return register


@strawberry.interface(description="An object that can be fetched alone by its global id (Relay's Node).")
class Node:
    @strawberry.field(
        description="The id node(id:) and nodes(ids:) take: the type's name and its business id, "
        "as Customer:C58FB7... (readable, not encoded)."
    )
    def global_id(self) -> strawberry.ID:
        return global_id(type(self).__name__, self.id)  # type: ignore[attr-defined]


async def fetch_node(info: Info, value: str) -> Any:
    type_name, business_id = parse_global_id(value)
    return await _FETCHERS[type_name](info, business_id)
