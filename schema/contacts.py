"""GraphQL types of the customer's contacts across channels, paged newest first in the store."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.enums import (
    Channel,
    ContactDirection,
    ContactKind,
    ContactMode,
    ContactOutcome,
    ContactPurpose,
    ContactRule,
    SatisfactionResult,
)
from schema.pagination import CONTACTS, Connection, Edge, page_info
from schema.scalars import DateTime


@strawberry.type(description="A touch with the customer (客户接触) in any channel.")
class Contact:
    id: strawberry.ID = strawberry.field(description="The contact's record id.")
    channel: Channel = strawberry.field(description="The channel that had the contact.")
    kind: ContactKind = strawberry.field(description="What it was about.")
    at: DateTime = strawberry.field(description="When it happened.")
    summary: str | None = strawberry.field(description="What was said or done, in the channel's words.")
    outcome: ContactOutcome | None = strawberry.field(description="How it ended.")
    source: str | None = strawberry.field(description="The source system or API key that recorded it.")
    mode: ContactMode | None = strawberry.field(description="How it was made (a visit, a call, ...), if known.")
    direction: ContactDirection | None = strawberry.field(
        description="Who started it: the customer (inbound) or we (outbound), if known."
    )
    purpose: ContactPurpose | None = strawberry.field(description="Why: service or marketing, if known.")
    satisfaction: SatisfactionResult | None = strawberry.field(
        description="The customer's survey answer about this contact, if one was taken."
    )
    violations: list[ContactRule] = strawberry.field(
        description="The no-repeated-disturbance rules this outbound marketing touch broke (it was recorded all "
        "the same); empty for every other touch."
    )


def _contact(row: dict[str, Any]) -> Contact:
    return Contact(
        id=row["id"],
        channel=row["channel"],
        kind=row["kind"],
        at=row["at"],
        summary=row.get("summary"),
        outcome=row.get("outcome"),
        source=row.get("source"),
        mode=row.get("mode"),
        direction=row.get("direction"),
        purpose=row.get("purpose"),
        satisfaction=row.get("satisfaction"),
        violations=row.get("violations") or [],
    )


def contact_page(size: int, after: bool, total: int, rows: list[dict[str, Any]]) -> Connection[Contact]:
    """``rows`` holds one more than the page when there is a next page; ``after``: the page started
    after a cursor, so contacts come before it."""
    edges = [Edge(cursor=CONTACTS.cursor(r["at"], r["id"]), node=_contact(r)) for r in rows[:size]]
    return Connection(
        total_count=total,
        edges=edges,
        nodes=[e.node for e in edges],
        page_info=page_info([e.cursor for e in edges], len(rows) > size, after),
    )
