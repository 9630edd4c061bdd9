"""GraphQL types of the customer's contacts across channels, paged newest first."""

from __future__ import annotations

from typing import Any

import strawberry

from app import clock
from schema.pagination import CONTACTS, PageInfo, page_info


@strawberry.type
class Contact:
    id: str
    channel: str
    kind: str
    at: str
    summary: str | None
    outcome: str | None
    source: str | None


@strawberry.type
class ContactEdge:
    cursor: str
    node: Contact


@strawberry.type
class ContactConnection:
    total_count: int
    edges: list[ContactEdge]
    nodes: list[Contact]
    page_info: PageInfo


def _contact(row: dict[str, Any]) -> Contact:
    return Contact(
        id=row["id"],
        channel=row["channel"],
        kind=row["kind"],
        at=clock.render(row["at"]),
        summary=row.get("summary"),
        outcome=row.get("outcome"),
        source=row.get("source"),
    )


def contact_page(size: int, total: int, rows: list[dict[str, Any]]) -> ContactConnection:
    """``rows`` holds one more than the page when there is a next page."""
    edges = [ContactEdge(cursor=CONTACTS.cursor(r["at"], r["id"]), node=_contact(r)) for r in rows[:size]]
    return ContactConnection(
        total_count=total,
        edges=edges,
        nodes=[e.node for e in edges],
        page_info=page_info([e.cursor for e in edges], len(rows) > size),
    )
