"""The steward's part of the schema: review queue, candidate detail, approve, reject, unmerge, split,
merge history. Every field here requires the `review` capability (steward and admin roles)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON

from app.access import Caller
from app.errors import MergeRuleError
from app.fields import an_instant
from app.resolution.merge_rules import DIFFERENT_CERTIFICATES, INVALID_AGAINST_VALID
from app.services import merge_review, steward_decisions
from app.services.merge_progress import customers_per_users
from app.services.merge_review import HeldChange, MergeReview, QueueFilter, held_contact_changes
from app.services.merges import MergeOutcome, Merges
from schema.context import Info
from schema.customer import (
    Customer,
    MergeEvent,
    fill_golden,
    golden_attributes,
    load_customer,
    merge_event,
    merge_history_page,
)
from schema.enums import CandidateStatus, CustomerGroup, DecisionKind, DecisionStatus, ReviewSort, Segment, value_of
from schema.limits import DEFAULT_PAGE, page_size
from schema.node import Node, fetcher
from schema.pagination import (
    HELD_CONTACT_CHANGES,
    REVIEW_QUEUE,
    STEWARD_DECISIONS,
    Connection,
    Edge,
    PageInfo,
    edges,
    page_info,
    window,
)
from schema.payloads import UserError, attempt
from schema.scalars import DateTime


def _review(info: Info) -> MergeReview:
    info.context.caller.require("review")
    return MergeReview(info.context.store, Merges(info.context.store, info.context.rules))


@strawberry.type(description="One field of a candidate's two records compared.")
class FieldComparison:
    field: str = strawberry.field(description="The compared field (name, certificate, phone, ...).")
    level: str = strawberry.field(description="How alike the two values are (exact, fuzzy, different, missing...).")
    weight: float = strawberry.field(description="The evidence this level adds to the match (log-odds).")
    left: str | None = strawberry.field(description="The left record's value, as the role may see it.")
    right: str | None = strawberry.field(description="The right record's value, as the role may see it.")
    differs: bool = strawberry.field(description="The values are not the same.")


@strawberry.type(description="One of a candidate's two source records.")
class CandidateRecord:
    id: strawberry.ID = strawberry.field(description="The source record's id.")
    source: str = strawberry.field(description="The source system.")
    source_id: strawberry.ID = strawberry.field(description="The record's id in its source.")
    customer_id: strawberry.ID | None = strawberry.field(description="The customer the record is part of now.")
    fields: JSON = strawberry.field(description="The record as the source gave it, masked as the role sees it.")
    name: str | None = strawberry.field(description="The name (客户名称) the record gives.")
    local_network: str | None = strawberry.field(
        description="The record's local network (本地网): public customers of two networks never merge."
    )
    segment: Segment | None = strawberry.field(
        description="The record's segment (客户细分), which gives its customer group (public or organisation)."
    )
    loaded_at: DateTime | None = strawberry.field(description="When the record was first loaded.")
    changed_at: DateTime | None = strawberry.field(description="When the record's content last changed.")

    @strawberry.field(description="The customer the record is part of now.")
    async def customer(self, info: Info) -> Customer | None:
        return None if self.customer_id is None else await load_customer(info, str(self.customer_id))


@strawberry.type(description="A suspected duplicate (疑似重复): two records resolution was unsure of.")
class MatchCandidate(Node):
    id: strawberry.ID = strawberry.field(description="The candidate's id.")
    status: CandidateStatus = strawberry.field(description="Pending, approved or rejected.")
    probability: float = strawberry.field(description="The match probability, 0 to 1.")
    match_weight: float | None = strawberry.field(description="The match weight (log-odds) behind the probability.")
    rule: str | None = strawberry.field(description="Why it is in review rather than merged or kept apart.")
    blocking_rule: str | None = strawberry.field(description="The blocking rule that paired the records.")
    department: str | None = strawberry.field(description="The department whose role decides it, if one must.")
    created_at: DateTime | None = strawberry.field(description="When resolution proposed it.")
    decided_at: DateTime | None = strawberry.field(description="When a steward decided it.")
    decided_by: str | None = strawberry.field(description="Who decided it.")
    pair: strawberry.Private[_Pairs]

    @strawberry.field(description="One of its two source records, as the role may see it (a queue row's left side).")
    async def left(self, info: Info) -> CandidateRecord | None:
        found = await self.pair.of(info, str(self.id))
        return None if found is None else _record(info, found.left, found.left_customer)

    @strawberry.field(description="The other source record, as the role may see it (a queue row's right side).")
    async def right(self, info: Info) -> CandidateRecord | None:
        found = await self.pair.of(info, str(self.id))
        return None if found is None else _record(info, found.right, found.right_customer)


class _Pairs:
    """The source records of a set of candidates (a queue page's), read in one statement when the first
    of them asks; or known already (a candidate read with its records)."""

    def __init__(self, ids: list[str], known: dict[str, merge_review.CandidateDetail] | None = None) -> None:
        self.ids = ids
        self.known = known
        self.reading: asyncio.Future[dict[str, merge_review.CandidateDetail]] | None = None

    async def of(self, info: Info, candidate_id: str) -> merge_review.CandidateDetail | None:
        if self.known is None:
            if self.reading is None:
                self.reading = asyncio.ensure_future(_review(info).records(self.ids))
            self.known = await self.reading
        return self.known.get(candidate_id)


@strawberry.type(
    description="The golden record (黄金记录) approving a candidate would give the surviving customer: each "
    "attribute as survivorship chooses it from both customers' source records together (the derivation a "
    "merge writes), personal ones shown as the role may see them; nothing is written."
)
@golden_attributes
class MergePreview:
    raw: strawberry.Private[dict[str, Any]]
    survivor_id: strawberry.ID = strawberry.field(
        default=strawberry.ID(""), description="The customer that would keep its id (the one with more records)."
    )
    absorbed_id: strawberry.ID = strawberry.field(
        default=strawberry.ID(""), description="The customer that would be merged into it."
    )
    record_count: int = strawberry.field(default=0, description="How many source records the customer would hold.")
    refusal: UserError | None = strawberry.field(
        default=None,
        description="Why approving would be refused for the caller now (the candidate's department, a hard merge "
        "rule, a standing steward decision), as approveCandidate's userErrors would say; null: it would merge.",
    )

    def __post_init__(self) -> None:
        raw = self.raw
        self.survivor_id = strawberry.ID(raw["id"])
        self.record_count = int(raw.get("record_count") or 0)
        fill_golden(self, raw)

    @strawberry.field(description="The customer that would keep its id, as it is now.")
    async def survivor(self, info: Info) -> Customer | None:
        return await load_customer(info, str(self.survivor_id))


# A refusal's values that are certificates (a hard rule on them names both): shown as the role may see them.
_CERTIFICATE_RULES = frozenset({DIFFERENT_CERTIFICATES, INVALID_AGAINST_VALID})


def _preview(caller: Caller, found: merge_review.MergePreview) -> MergePreview:
    refusal = None
    if found.refusal is not None:
        message = str(found.refusal)
        if isinstance(found.refusal, MergeRuleError) and found.refusal.rule in _CERTIFICATE_RULES:
            for value in found.refusal.values:
                message = message.replace(value, caller.show("certificate", value, found.survivor) or "")
        refusal = UserError(field=None, message=message, code=found.refusal.code)
    return MergePreview(
        raw={**found.golden, "id": found.survivor},
        absorbed_id=strawberry.ID(found.absorbed),
        refusal=refusal,
    )


@strawberry.type(description="A candidate's records side by side with each field's comparison.")
class CandidateDetail:
    candidate: MatchCandidate = strawberry.field(description="The candidate.")
    left: CandidateRecord = strawberry.field(description="One record.")
    right: CandidateRecord = strawberry.field(description="The other record.")
    comparisons: list[FieldComparison] = strawberry.field(description="Each compared field.")
    explanation: JSON = strawberry.field(description="The whole comparison, as the role may see it.")

    @strawberry.field(
        description="The golden record approving the candidate would produce, and whether the caller's approval "
        "would be refused; null when there is nothing to merge (decided, or both records in one customer already)."
    )
    async def merge_preview(self, info: Info) -> MergePreview | None:
        caller = info.context.caller
        found = await _review(info).preview(str(self.candidate.id), caller.name, caller.role.departments)
        return None if found is None else _preview(caller, found)


@strawberry.type(description="How many candidates have a status in a department.")
class QueueCount:
    status: CandidateStatus = strawberry.field(description="The status counted.")
    department: str | None = strawberry.field(description="The department (null: any steward may decide).")
    candidates: int = strawberry.field(description="How many.")


@strawberry.type(description="A page of the review queue (a Relay connection; forward paging) and the queue's counts.")
class ReviewQueue:
    edges: list[Edge[MatchCandidate]] = strawberry.field(description="The page's candidates with cursors.")
    nodes: list[MatchCandidate] = strawberry.field(description="The page's candidates.")
    page_info: PageInfo = strawberry.field(description="Where the page is in the queue.")
    total_count: int = strawberry.field(description="How many candidates the filters select.")
    counts: list[QueueCount] = strawberry.field(description="Candidates by status and department, as filtered.")


@strawberry.type(description="What a merge, an unmerge or a split did.")
class MergeResult:
    event_id: strawberry.ID = strawberry.field(description="The merge event it recorded (or undid).")
    survivor_id: strawberry.ID = strawberry.field(description="The customer that kept its id.")
    absorbed_id: strawberry.ID = strawberry.field(description="The customer merged away, brought back or split off.")
    moved: int = strawberry.field(description="How many source records moved.")

    @strawberry.field(description="The surviving customer as it is now.")
    async def survivor(self, info: Info) -> Customer | None:
        return await load_customer(info, str(self.survivor_id))

    @strawberry.field(description="The other customer as it is now (after a merge, the survivor again).")
    async def absorbed(self, info: Info) -> Customer | None:
        return await load_customer(info, str(self.absorbed_id))


def _result(outcome: MergeOutcome) -> MergeResult:
    return MergeResult(
        event_id=strawberry.ID(outcome.event_id),
        survivor_id=strawberry.ID(outcome.survivor),
        absorbed_id=strawberry.ID(outcome.absorbed),
        moved=outcome.moved,
    )


@strawberry.type(description="What a merge, unmerge, split or approval answers.")
class MergePayload:
    result: MergeResult | None = strawberry.field(description="What it did; null when it was refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (a merge rule, a decision).")


@strawberry.type(description="What rejectCandidate answers.")
class RejectCandidatePayload:
    candidate: MatchCandidate | None = strawberry.field(description="The candidate, now rejected.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="What withdrawDecision answers.")
class WithdrawDecisionPayload:
    decision: StewardDecision | None = strawberry.field(description="The decision, now ended.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


def _candidate(raw: dict[str, Any], pair: _Pairs | None = None) -> MatchCandidate:
    """``pair``: where its records are read (a queue page's, read together); by default its own."""
    return MatchCandidate(
        pair=pair or _Pairs([raw["id"]]),
        id=raw["id"],
        status=raw["status"],
        probability=float(raw.get("probability") or 0),
        match_weight=raw.get("match_weight"),
        rule=raw.get("rule"),
        blocking_rule=raw.get("blocking_rule"),
        department=raw.get("department"),
        created_at=raw.get("created_at"),
        decided_at=raw.get("decided_at"),
        decided_by=raw.get("decided_by"),
    )


# Which original field each comparison looks at, for the side-by-side view.
COMPARED_FIELDS = {
    "name": "name",
    "certificate": "cert_no",
    "phone": "phones",
    "email": "email",
    "birth_date": "birth_date",
    "address": "address",
    "gender": "gender",
}


def _record(info: Info, raw: dict[str, Any], customer: dict[str, Any] | None) -> CandidateRecord:
    fields = info.context.caller.show_record(
        orjson.loads(raw.get("fields") or "{}"), customer["id"] if customer else raw["id"]
    )
    return CandidateRecord(
        id=raw["id"],
        source=raw["source"],
        source_id=raw["source_id"],
        customer_id=strawberry.ID(customer["id"]) if customer else None,
        fields=fields,
        name=raw.get("name"),
        local_network=raw.get("local_network"),
        segment=raw.get("segment") or None,
        loaded_at=raw.get("loaded_at"),
        changed_at=raw.get("changed_at"),
    )


@strawberry.type(description="Customers per users of one local network and customer group (merge progress, 归并进度).")
class MergeProgress:
    local_network: str | None = strawberry.field(description="The local network.")
    customer_group: CustomerGroup = strawberry.field(description="Public or organisation customers.")
    customers: int = strawberry.field(description="Active customers.")
    users: int = strawberry.field(description="Their subscriptions (用户).")
    customers_per_user: float = strawberry.field(description="Customers per user: the lower, the further merged.")


@strawberry.type(description="A contact detail a source offered that may not change this customer's.")
class HeldContactChange:
    customer_id: strawberry.ID = strawberry.field(description="The customer whose detail it would change.")
    name: str | None = strawberry.field(description="The customer's name.")
    attribute: str = strawberry.field(description="The contact detail (phones, email, address).")
    record_id: strawberry.ID = strawberry.field(description="The source record that offered it.")
    source: str | None = strawberry.field(description="That record's source.")
    values: list[str] = strawberry.field(description="The offered values, as the role may see them.")

    @strawberry.field(description="The customer as it is now.")
    async def customer(self, info: Info) -> Customer | None:
        return await load_customer(info, str(self.customer_id))


@strawberry.type(description="A steward's decision on two source records that every resolution obeys.")
class StewardDecision(Node):
    id: strawberry.ID = strawberry.field(description="The decision's id.")
    kind: DecisionKind = strawberry.field(description="must (one customer) or cannot (never one customer).")
    left: str = strawberry.field(description="One source record's id.")
    right: str = strawberry.field(description="The other source record's id.")
    decided_by: str = strawberry.field(description="Who decided it.")
    decided_at: DateTime | None = strawberry.field(description="When.")
    why: str = strawberry.field(description="The steward's reason.")
    candidate: str | None = strawberry.field(description="The review candidate it decided, if any.")
    event: str | None = strawberry.field(description="The merge event it made or undid, if any.")
    status: DecisionStatus = strawberry.field(description="In force (standing) or how it ended.")


def _decision(d: Any) -> StewardDecision:
    return StewardDecision(
        id=d.id,
        kind=d.kind,
        left=d.left,
        right=d.right,
        decided_by=d.decided_by,
        decided_at=d.decided_at or None,
        why=d.why,
        candidate=d.candidate,
        event=d.event,
        status=d.status,
    )


@fetcher("MatchCandidate")
async def fetch_candidate(info: Info, candidate_id: str) -> MatchCandidate:
    return _candidate((await _review(info).detail(candidate_id)).candidate)


@fetcher("StewardDecision")
async def fetch_decision(info: Info, decision_id: str) -> StewardDecision:
    from app.errors import NotFoundError

    info.context.caller.require("review")
    found = await steward_decisions.by_id(info.context.store, decision_id)
    if found is None:
        raise NotFoundError(f"no steward decision {decision_id!r}")
    return _decision(found)


@strawberry.type
class StewardQuery:
    @strawberry.field(
        description="Steward decisions, newest first: in force (standing) or ended, optionally on one record."
    )
    async def steward_decisions(
        self,
        info: Info,
        status: DecisionStatus | None = "standing",
        record_id: strawberry.ID | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[StewardDecision]:
        info.context.caller.require("review")
        size = page_size(first)
        found, more = await steward_decisions.page(
            info.context.store,
            status=value_of(status),
            record=record_id,
            first=size,
            after=STEWARD_DECISIONS.after(after),  # type: ignore[arg-type]
        )
        page = edges(STEWARD_DECISIONS, found, lambda d: (d.decided_at or "", d.id), _decision)
        return Connection(
            edges=page,
            nodes=[e.node for e in page],
            page_info=page_info([e.cursor for e in page], more, after is not None),
            total_count=await steward_decisions.count(info.context.store, status=value_of(status), record=record_id),
        )

    @strawberry.field(
        description="Contact details held back from customers' golden records: offered by a source that may not "
        "change them (not trusted, identity not verified at a desk), never applied silently."
    )
    async def held_contact_changes(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[HeldContactChange]:
        caller = info.context.caller
        caller.require("review")
        size = page_size(first)
        found, more = await held_contact_changes(
            info.context.store,
            size,
            HELD_CONTACT_CHANGES.after(after),  # type: ignore[arg-type]
        )

        def change(held: HeldChange) -> HeldContactChange:
            shown = caller.show_fields({held.attribute: list(held.offer["value"])}, held.customer_id)
            return HeldContactChange(
                customer_id=strawberry.ID(held.customer_id),
                name=held.name,
                attribute=held.attribute,
                record_id=held.offer["record"],
                source=held.offer.get("source"),
                values=[str(v) for v in shown[held.attribute]],
            )

        page = edges(HELD_CONTACT_CHANGES, found, lambda h: (h.customer_id, h.ordinal), change)
        return Connection(
            edges=page,
            nodes=[e.node for e in page],
            page_info=page_info([e.cursor for e in page], more, after is not None),
            total_count=None,
        )

    @strawberry.field(
        description="The headline merge-progress metric: customers per users by local network and customer "
        "group (public, organisation); the lower, the further merging has gone."
    )
    async def merge_progress(self, info: Info) -> list[MergeProgress]:
        info.context.caller.require("review")
        rows = await customers_per_users(info.context.store, info.context.rules)
        return [MergeProgress(**row) for row in rows]

    @strawberry.field(description="Suspected duplicates (疑似可归并) waiting for a decision, or decided ones.")
    async def review_queue(
        self,
        info: Info,
        status: CandidateStatus = "pending",
        department: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        source: str | None = None,
        created_before: DateTime | None = None,
        sort: ReviewSort = "score",
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> ReviewQueue:
        review = _review(info)
        wanted, order_by = value_of(status), value_of(sort)
        size = page_size(first)
        order = REVIEW_QUEUE[order_by]
        cursor = order.after(after)
        bound = an_instant(created_before) if created_before else None
        filters = QueueFilter(wanted, department, min_score, max_score, source, bound)
        rows, more = await review.queue(filters, order_by, size, cursor)  # type: ignore[arg-type]
        counts = await review.counts(filters)
        pairs = _Pairs([r["id"] for r in rows])
        page = edges(order, rows, lambda r: (r["sort_key"], r["id"]), lambda raw: _candidate(raw, pairs))
        return ReviewQueue(
            edges=page,
            nodes=[e.node for e in page],
            page_info=page_info([e.cursor for e in page], more, after is not None),
            total_count=sum(c["candidates"] for c in counts if c["status"] == wanted),
            counts=[
                QueueCount(status=c["status"], department=c["department"], candidates=c["candidates"]) for c in counts
            ],
        )

    @strawberry.field(description="A candidate's records side by side with each field's comparison.")
    async def match_candidate(self, info: Info, id: strawberry.ID) -> CandidateDetail:
        detail = await _review(info).detail(str(id))
        left = _record(info, detail.left, detail.left_customer)
        right = _record(info, detail.right, detail.right_customer)
        comparisons = []
        for name, result in (detail.explanation.get("fields") or {}).items():
            key = COMPARED_FIELDS.get(name, name)
            lv, rv = left.fields.get(key), right.fields.get(key)
            comparisons.append(
                FieldComparison(
                    field=name,
                    level=result["level"],
                    weight=result["weight"],
                    left=None if lv in (None, "") else str(lv),
                    right=None if rv in (None, "") else str(rv),
                    differs=result["level"] not in ("exact", "shared", "same"),
                )
            )
        return CandidateDetail(
            candidate=_candidate(detail.candidate, _Pairs([str(id)], {str(id): detail})),
            left=left,
            right=right,
            comparisons=comparisons,
            explanation=info.context.caller.show_fields(detail.explanation, str(left.customer_id or left.id)),
        )

    @strawberry.field(description="Every merge and split a customer took part in, newest first.")
    async def merge_history(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MergeEvent]:
        page = window(first, after, last, before)
        info.context.caller.require("merge_history")
        events = await Merges(info.context.store, info.context.rules).history(str(customer_id))
        return merge_history_page([merge_event(e, info.context.caller, str(customer_id)) for e in events], page)


async def _merged(work: Callable[[], Awaitable[MergeOutcome]]) -> MergePayload:
    outcome, errors = await attempt(work, "input")
    return MergePayload(result=None if outcome is None else _result(outcome), user_errors=errors)


@strawberry.type
class StewardMutation:
    @strawberry.mutation(
        description="Withdraw a steward decision in force (a split or a rejection made in error); the next "
        "resolution no longer obeys it."
    )
    async def withdraw_decision(self, info: Info, id: strawberry.ID, reason: str) -> WithdrawDecisionPayload:
        _review(info)

        async def work() -> Any:
            return await steward_decisions.withdraw(
                info.context.store, str(id), decided_by=info.context.caller.name, reason=reason
            )

        ended, errors = await attempt(work, "input")
        return WithdrawDecisionPayload(decision=None if ended is None else _decision(ended), user_errors=errors)

    @strawberry.mutation(description="Confirm a suspected duplicate: merge the two customers (核实归并).")
    async def approve_candidate(self, info: Info, id: strawberry.ID) -> MergePayload:
        caller = info.context.caller
        review = _review(info)
        return await _merged(lambda: review.approve(str(id), caller.name, caller.role.departments))

    @strawberry.mutation(description="Not the same customer: the pair is not proposed again unless a record changes.")
    async def reject_candidate(self, info: Info, id: strawberry.ID, reason: str = "") -> RejectCandidatePayload:
        review = _review(info)

        async def work() -> MatchCandidate:
            await review.reject(str(id), info.context.caller.name, reason, info.context.caller.role.departments)
            return _candidate((await review.detail(str(id))).candidate)

        candidate, errors = await attempt(work, "input")
        return RejectCandidatePayload(candidate=candidate, user_errors=errors)

    @strawberry.mutation(description="Undo a merge exactly (撤销归并); the pair goes back to the queue as pending.")
    async def unmerge(self, info: Info, event_id: strawberry.ID) -> MergePayload:
        _review(info)
        merges = Merges(info.context.store, info.context.rules)
        return await _merged(lambda: merges.unmerge(str(event_id), decided_by=info.context.caller.name))

    @strawberry.mutation(description="Split chosen source records out of a customer into a new customer (拆分).")
    async def split_customer(
        self, info: Info, customer_id: strawberry.ID, record_ids: list[strawberry.ID], reason: str = ""
    ) -> MergePayload:
        _review(info)
        merges = Merges(info.context.store, info.context.rules)
        return await _merged(
            lambda: merges.split(str(customer_id), record_ids, decided_by=info.context.caller.name, reason=reason)
        )

    @strawberry.mutation(description="Merge two customers a steward knows to be the same.")
    async def merge_customers(
        self, info: Info, survivor_id: strawberry.ID, absorbed_id: strawberry.ID, reason: str = ""
    ) -> MergePayload:
        _review(info)
        merges = Merges(info.context.store, info.context.rules)
        return await _merged(
            lambda: merges.merge(
                str(survivor_id),
                str(absorbed_id),
                decided_by=info.context.caller.name,
                departments=info.context.caller.role.departments,
                explanation={"reason": reason, "decision": "steward"},
            )
        )
