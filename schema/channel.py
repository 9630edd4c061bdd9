"""What channel front-ends do besides reading one customer: search, record a touch, submit details."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.access import Forbidden, redact
from app.errors import BadInput
from app.record_kinds import LIST_FIELDS
from app.services.kept_answers import read_versions
from schema.context import Info
from schema.customer import Customer
from schema.limits import DEFAULT_PAGE, SEARCH_TEXT_MAX, page_size
from schema.pagination import SEARCH_CUSTOMERS, PageInfo, page_info
from schema.view_plan import view_parts


@strawberry.type
class CustomerHit:
    cursor: str
    score: float
    node: Customer


@strawberry.type
class CustomerSearch:
    total_count: int
    edges: list[CustomerHit]
    nodes: list[Customer]
    page_info: PageInfo
    has_next_page: bool = strawberry.field(deprecation_reason="Use pageInfo.hasNextPage.")
    end_cursor: str | None = strawberry.field(deprecation_reason="Use pageInfo.endCursor.")


@strawberry.input(description="A touch with a customer, as any channel records it.")
class ContactRecordInput:
    customer_id: strawberry.ID
    kind: str = strawberry.field(
        description="purchase, renewal, change, cancellation, query, complaint, "
        "consultation, fault_report, care_visit, retention"
    )
    channel: str | None = strawberry.field(default=None, description="Defaults to the caller's own channel.")
    at: str | None = strawberry.field(default=None, description="ISO-8601; defaults to now.")
    summary: str | None = None
    outcome: str | None = None
    employee_id: str | None = None


@strawberry.type
class SubmissionResult:
    record_id: str
    decision: str = strawberry.field(
        description="merge (joined an existing customer), review (own customer for "
        "now, a steward decides), new, or unchanged."
    )
    probability: float | None
    explanation: JSON
    customer: Customer


def submitted_fields(record: object) -> dict[str, object]:
    """A submitted record's fields: scalars, or a list of scalars where the field is a list (phones).
    A nested object is refused, naming the field, rather than kept as its Python text."""
    if not isinstance(record, dict):
        raise BadInput("record must be an object with the fields of docs/source-formats.md (customers)")
    problems = []
    for key, value in record.items():
        listed = isinstance(value, list) and key in LIST_FIELDS["customers"]
        items = value if listed else [value]
        if any(isinstance(item, dict | list) for item in items):
            shape = "a list of text or number values" if listed else "one text or number value"
            problems.append((str(key), f"is an object or a list where {shape} is expected"))
    if problems:
        raise BadInput("record: " + "; ".join(f"{name}: {why}" for name, why in problems), problems)
    return {str(k): v for k, v in record.items()}


def _channel_of(info: Info, asked: str | None) -> str:
    caller = info.context.caller
    own = caller.role.channel if caller else None
    if asked and own and asked != own:
        raise Forbidden(f"role {caller.role_name} writes as channel {own}, not {asked}")  # type: ignore[union-attr]
    channel = asked or own
    if not channel:
        raise BadInput("say which channel this comes from (argument channel)")
    return channel


async def _require_acting_for(info: Info, customer_id: str) -> None:
    """A caller limited to its own customers acts for no one else (DOMAIN.md section 5)."""
    caller = info.context.caller
    if caller is None or caller.acting_for is None:
        return
    found = (await read_versions(info.context.store, [customer_id]))[0]
    caller.require_acting_for(found[0] if found else customer_id)


async def _require_acting_for_match(info: Info, fields: dict[str, Any]) -> None:
    """Nor submits a record that would join, or go to review with, a customer it does not act for."""
    from app.services.matching import Matcher, NoModelError

    caller = info.context.caller
    if caller is None or caller.acting_for is None:
        return
    try:
        matches = await Matcher(info.context.store, info.context.rules).match(dict(fields))
    except NoModelError:
        return
    except BadInput as exc:
        raise BadInput(redact(str(exc), fields), [(f, redact(why, fields)) for f, why in exc.problems]) from None
    for found in matches:
        if found.decision in ("merge", "review"):
            caller.require_acting_for(found.customer_id)


@strawberry.type
class ChannelQuery:
    @strawberry.field(
        description="Find customers by name (fuzzy, homophones), phone, certificate or its last "
        "four characters; filter by segment, local network, account manager, stars."
    )
    async def search_customers(
        self,
        info: Info,
        text: str,
        segment: str | None = None,
        local_network: str | None = None,
        account_manager: str | None = None,
        min_stars: int | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> CustomerSearch:
        from app.services.customer_search import search_ids

        size = page_size(first)
        start = SEARCH_CUSTOMERS.after(after)
        if len(text.strip()) < 2:
            raise BadInput("search text needs at least two characters")
        if len(text) > SEARCH_TEXT_MAX:
            raise BadInput(
                f"search text has {len(text):,} characters, more than the {SEARCH_TEXT_MAX} a search may have"
            )
        loaders = info.context.loaders
        loaders.want(
            view_parts(
                info, relations=account_manager is not None or min_stars is not None, spend=min_stars is not None
            )
        )
        hits = await search_ids(info.context.store, text)
        raws = await loaders.customer.load_many([h[0] for h in hits])
        kept: list[tuple[dict, float]] = []
        seen: set[str] = set()
        for raw, (_, score) in zip(raws, hits):
            if (
                raw is None
                or raw["id"] in seen
                or (segment and raw.get("segment") != segment)
                or (local_network and raw.get("local_network") != local_network)
            ):
                continue
            if account_manager:
                relations = await loaders.relations.load(raw["id"])
                if account_manager not in {m["id"] for m in relations.managers}:
                    continue
            if min_stars is not None and (await loaders.tier(raw)).star < min_stars:
                continue
            seen.add(raw["id"])
            kept.append((raw, score))
        # Hits come best first, ties by id (search_ids): the page starts strictly after the cursor's.
        rest = [k for k in kept if start is None or (-k[1], k[0]["id"]) > (-start[0], start[1])]
        edges = [
            CustomerHit(
                cursor=SEARCH_CUSTOMERS.cursor(score, raw["id"]),
                score=score,
                node=Customer(raw=raw, requested_id=raw["id"]),
            )
            for raw, score in rest[:size]
        ]
        more = len(rest) > size
        info_ = page_info([e.cursor for e in edges], more)
        return CustomerSearch(
            total_count=len(kept),
            edges=edges,
            nodes=[e.node for e in edges],
            page_info=info_,
            has_next_page=more,
            end_cursor=info_.end_cursor,
        )


@strawberry.type
class ChannelMutation:
    @strawberry.mutation(
        description="Record a touch with a customer; the answer is the customer as every channel now sees it."
    )
    async def record_contact(self, info: Info, contact: ContactRecordInput) -> Customer:
        from app.services.channel_writes import ContactInput, record_contact

        caller = info.context.caller
        caller.require("record_contact")  # type: ignore[union-attr]
        channel = _channel_of(info, contact.channel)
        await _require_acting_for(info, str(contact.customer_id))
        customer_id = await record_contact(
            info.context.store,
            ContactInput(
                str(contact.customer_id),
                channel,
                contact.kind,
                contact.at,
                contact.summary,
                contact.outcome,
                contact.employee_id,
            ),
            caller.name,
        )  # type: ignore[union-attr]
        info.context.loaders.want(view_parts(info))
        raw = await info.context.loaders.require(customer_id)
        return Customer(raw=raw, requested_id=customer_id)

    @strawberry.mutation(
        description="New or changed customer details from a channel: kept as a source record, "
        "resolved at once; the answer says which customer and why."
    )
    async def submit_customer_record(self, info: Info, record: JSON, channel: str | None = None) -> SubmissionResult:
        from app.services.channel_writes import submit_customer_record

        info.context.caller.require("submit_record")  # type: ignore[union-attr]
        fields = submitted_fields(record)
        await _require_acting_for_match(info, fields)
        try:
            decision = await submit_customer_record(info.context.store, _channel_of(info, channel), fields)
        except BadInput as exc:
            raise BadInput(redact(str(exc), fields), [(f, redact(why, fields)) for f, why in exc.problems]) from None
        info.context.loaders.want(view_parts(info))
        raw = await info.context.loaders.require(decision.customer_id)
        return SubmissionResult(
            record_id=decision.record_id,
            decision=decision.decision,
            probability=decision.probability,
            explanation=info.context.caller.show_fields(decision.explanation, decision.customer_id),  # type: ignore[union-attr]
            customer=Customer(raw=raw, requested_id=decision.customer_id),
        )
