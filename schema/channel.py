"""What channel front-ends do besides reading one customer: search, record a touch, submit details."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.access import Forbidden, redact
from app.customer import SOURCE_ATTRIBUTES
from app.errors import BadInput
from app.fields import a_flag, a_time, phone_list
from app.services.kept_answers import read_versions
from app.vocabulary import INDIVIDUAL
from schema.context import Info
from schema.customer import Customer
from schema.enums import (
    Channel,
    ContactDirection,
    ContactKind,
    ContactMode,
    ContactOutcome,
    ContactPurpose,
    ContactRule,
    SatisfactionResult,
    Segment,
    SubmissionDecision,
    enum_named,
    member_name,
    value_of,
)
from schema.limits import DEFAULT_PAGE, SEARCH_TEXT_MAX, page_size
from schema.pagination import SEARCH_CUSTOMERS, PageInfo, page_info
from schema.payloads import FieldWarning, UserError, attempt, camel
from schema.scalars import DateTime
from schema.view_plan import view_parts


@strawberry.type(description="A customer found by a search, with its cursor and how well it matched.")
class CustomerSearchEdge:
    cursor: str = strawberry.field(description="Where this hit is in the results: pass it as after.")
    score: float = strawberry.field(description="How well the customer matched the text, 0 to 1.")
    node: Customer = strawberry.field(description="The customer.")


@strawberry.type(description="A page of search results, best first (a Relay connection; forward paging).")
class CustomerSearchConnection:
    total_count: int = strawberry.field(description="How many customers matched in all.")
    edges: list[CustomerSearchEdge] = strawberry.field(description="The page's hits with cursors and scores.")
    nodes: list[Customer] = strawberry.field(description="The page's customers.")
    page_info: PageInfo = strawberry.field(description="Where the page is in the results.")


def _record_input() -> type:
    """CustomerRecordInput, derived from the customer declaration (app/customer.py): one field per
    source field, camelCase. A closed vocabulary is its enum; certificate, birth date, phones and
    e-mail stay text, so a value mistyped at a desk reaches the checks, is set aside and comes back
    as a warning instead of failing the whole request."""
    annotations: dict[str, Any] = {"name": str, "source_id": str | None}
    namespace: dict[str, Any] = {
        "source_id": strawberry.field(
            default=None,
            description="The record's id in the channel's system; left out, the same details make the same record.",
        )
    }
    for attribute in SOURCE_ATTRIBUTES:
        if attribute.key == "name":
            namespace["name"] = strawberry.field(description=attribute.description or "The customer's name.")
            continue
        if attribute.enum:
            kind: Any = enum_named(attribute.enum)
        elif attribute.rule is phone_list:
            kind = list[str]
        elif attribute.rule is a_flag:
            kind = bool
        elif attribute.rule is a_time:
            kind = DateTime
        else:
            kind = str
        annotations[attribute.key] = kind | None
        default = INPUT_DEFAULTS.get(attribute.key)
        description = attribute.description or RECORD_FIELD_NOTES.get(attribute.key, "")
        namespace[attribute.key] = strawberry.field(
            default=None if default is None else kind[member_name(default)],
            description=description + (f" Left out: {default}." if default else ""),
        )
    namespace["__annotations__"] = annotations
    namespace["fields"] = _fields
    cls = type("CustomerRecordInput", (), namespace)
    return strawberry.input(
        cls, description="A customer record as a channel gives it (the fields of docs/source-formats.md, camelCase)."
    )


# A record typed at a desk is a person's unless it says otherwise (as a file's row must).
INPUT_DEFAULTS = {"segment": INDIVIDUAL}
RECORD_FIELD_NOTES = {
    "account_manager_id": "The account manager's employee id in the channel's source.",
    "vip_card": "The customer's VIP card, if the channel knows it.",
    "updated_at": "When the channel last changed the record.",
    "identity_verified": "The holder's identity was checked at a desk (certificate read): lets the record change "
    "contact details.",
}


def _fields(self: Any) -> dict[str, Any]:
    """The record in the source format's field names, enum members as their words, absent fields left out."""
    return {k: value_of(v) for k, v in vars(self).items() if v is not None}


CustomerRecordInput = _record_input()


@strawberry.input(description="A touch with a customer (客户接触), as any channel records it.")
class ContactRecordInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer's id (a merged id records on the survivor)."
    )
    kind: ContactKind = strawberry.field(description="What it was about.")
    channel: Channel | None = strawberry.field(default=None, description="Defaults to the caller's own channel.")
    at: DateTime | None = strawberry.field(default=None, description="When it happened; defaults to now.")
    summary: str | None = strawberry.field(default=None, description="What was said or done.")
    outcome: ContactOutcome | None = strawberry.field(default=None, description="How it ended.")
    employee_id: str | None = strawberry.field(default=None, description="The employee who had the contact.")
    mode: ContactMode | None = strawberry.field(
        default=None, description="How it was made (a visit, a call, ...); left out, unknown."
    )
    direction: ContactDirection | None = strawberry.field(
        default=None, description="Who started it: the customer (inbound) or we (outbound); left out, unknown."
    )
    purpose: ContactPurpose | None = strawberry.field(
        default=None,
        description="Why: service (never held back) or marketing (counted against the no-repeated-disturbance "
        "rules); left out, unknown.",
    )
    satisfaction: SatisfactionResult | None = strawberry.field(
        default=None, description="The customer's survey answer about this contact, if one was taken."
    )
    plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="The plan on the contact work list this touch carries out: marked done, linked."
    )


@strawberry.type(description="What recordContact answers.")
class RecordContactPayload:
    customer: Customer | None = strawberry.field(description="The customer as every channel now sees it.")
    contact_id: strawberry.ID | None = strawberry.field(description="The contact recorded.")
    violations: list[ContactRule] = strawberry.field(
        description="The no-repeated-disturbance rules an outbound marketing touch broke: recorded all the same, "
        "flagged and counted (analytics/contact_violations_by_channel); never any for service."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded, when it was not.")


@strawberry.type(description="What submitCustomerRecord answers: which customer the record is now part of, and why.")
class SubmitCustomerRecordPayload:
    record_id: strawberry.ID | None = strawberry.field(description="The source record it became.")
    decision: SubmissionDecision | None = strawberry.field(description="What became of it.")
    probability: float | None = strawberry.field(description="The match probability behind the decision.")
    explanation: JSON | None = strawberry.field(description="Why: each field's comparison, as the role may see it.")
    customer: Customer | None = strawberry.field(description="The customer the record is now part of.")
    warnings: list[FieldWarning] = strawberry.field(
        description="Fields set aside: their values failed a check, the record was kept without them (a steward "
        "sees them with the record)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was written, when it was not.")


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
        segment: Segment | None = None,
        local_network: str | None = None,
        account_manager: str | None = None,
        min_stars: int | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> CustomerSearchConnection:
        from app.services.customer_search import search_ids

        size = page_size(first)
        start = SEARCH_CUSTOMERS.after(after)
        wanted_segment = value_of(segment)
        if len(text.strip()) < 2:
            raise BadInput("search text needs at least two characters")
        if len(text) > SEARCH_TEXT_MAX:
            raise BadInput(
                f"search text has {len(text):,} characters, more than the {SEARCH_TEXT_MAX} a search may have"
            )
        loaders = info.context.loaders
        loaders.want(
            view_parts(info, relations=account_manager is not None or min_stars is not None, tier=min_stars is not None)
        )
        hits = await search_ids(info.context.store, text)
        raws = await loaders.customer.load_many([h[0] for h in hits])
        kept: list[tuple[dict, float]] = []
        seen: set[str] = set()
        for raw, (_, score) in zip(raws, hits):
            if (
                raw is None
                or raw["id"] in seen
                or (wanted_segment and raw.get("segment") != wanted_segment)
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
            CustomerSearchEdge(
                cursor=SEARCH_CUSTOMERS.cursor(score, raw["id"]),
                score=score,
                node=Customer(raw=raw, requested_id=raw["id"]),
            )
            for raw, score in rest[:size]
        ]
        return CustomerSearchConnection(
            total_count=len(kept),
            edges=edges,
            nodes=[e.node for e in edges],
            page_info=page_info([e.cursor for e in edges], len(rest) > size, start is not None),
        )


@strawberry.type
class ChannelMutation:
    @strawberry.mutation(
        description="Record a touch with a customer; the answer is the customer as every channel now sees it."
    )
    async def record_contact(self, info: Info, contact: ContactRecordInput) -> RecordContactPayload:
        from app.services.channel_writes import ContactInput, RecordedContact, record_touch

        caller = info.context.caller
        caller.require("record_contact")  # type: ignore[union-attr]
        channel = _channel_of(info, value_of(contact.channel))
        await _require_acting_for(info, str(contact.customer_id))

        async def work() -> RecordedContact:
            return await record_touch(
                info.context.store,
                info.context.rules,
                ContactInput(
                    str(contact.customer_id),
                    channel,
                    value_of(contact.kind),
                    contact.at,
                    contact.summary,
                    value_of(contact.outcome),
                    contact.employee_id,
                    value_of(contact.mode),
                    value_of(contact.direction),
                    value_of(contact.purpose),
                    value_of(contact.satisfaction),
                    str(contact.plan_id) if contact.plan_id else None,
                ),
                caller.name,  # type: ignore[union-attr]
            )

        recorded, errors = await attempt(work, "contact")
        if recorded is None:
            return RecordContactPayload(customer=None, contact_id=None, violations=[], user_errors=errors)
        info.context.loaders.want(view_parts(info))
        raw = await info.context.loaders.require(recorded.customer_id)
        return RecordContactPayload(
            customer=Customer(raw=raw, requested_id=recorded.customer_id),
            contact_id=strawberry.ID(recorded.contact_id),
            violations=recorded.violations,  # type: ignore[arg-type]
            user_errors=[],
        )

    @strawberry.mutation(
        description="New or changed customer details from a channel: kept as a source record, "
        "resolved at once; the answer says which customer and why."
    )
    async def submit_customer_record(
        self, info: Info, record: CustomerRecordInput, channel: Channel | None = None
    ) -> SubmitCustomerRecordPayload:
        from app.services.channel_writes import submit_customer_record

        caller = info.context.caller
        caller.require("submit_record")  # type: ignore[union-attr]
        fields = record.fields()
        await _require_acting_for_match(info, fields)

        async def work() -> Any:
            try:
                return await submit_customer_record(info.context.store, _channel_of(info, value_of(channel)), fields)
            except BadInput as exc:
                raise BadInput(
                    redact(str(exc), fields), [(f, redact(why, fields)) for f, why in exc.problems]
                ) from None

        done, errors = await attempt(work, "record")
        if done is None:
            return SubmitCustomerRecordPayload(
                record_id=None,
                decision=None,
                probability=None,
                explanation=None,
                customer=None,
                warnings=[],
                user_errors=errors,
            )
        decision, set_aside = done
        info.context.loaders.want(view_parts(info))
        raw = await info.context.loaders.require(decision.customer_id)
        return SubmitCustomerRecordPayload(
            record_id=decision.record_id,
            decision=decision.decision,
            probability=decision.probability,
            explanation=caller.show_fields(decision.explanation, decision.customer_id),  # type: ignore[union-attr]
            customer=Customer(raw=raw, requested_id=decision.customer_id),
            warnings=[
                FieldWarning(field=["record", camel(name)], message=redact(why, fields)) for name, why in set_aside
            ],
            user_errors=[],
        )
