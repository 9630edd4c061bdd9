"""The steward's part of the schema: review queue, candidate detail, approve, reject, unmerge, split,
merge history. Every field here requires the `review` capability (steward and admin roles)."""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON

from app import clock
from app.errors import BadInput
from app.fields import an_instant
from app.services import steward_decisions
from app.services.merge_progress import customers_per_users
from app.services.merge_review import HeldChange, MergeReview, QueueFilter, held_contact_changes
from app.services.merges import Merges
from schema.context import Info
from schema.customer import MergeEvent, merge_event
from schema.limits import DEFAULT_PAGE, page_size
from schema.pagination import (
    HELD_CONTACT_CHANGES,
    REVIEW_QUEUE,
    STEWARD_DECISIONS,
    Edge,
    PageInfo,
    edges,
    page_info,
)


def _review(info: Info) -> MergeReview:
    info.context.caller.require("review")
    return MergeReview(info.context.store, Merges(info.context.store, info.context.rules))


@strawberry.type
class FieldComparison:
    field: str
    level: str
    weight: float
    left: str | None
    right: str | None
    differs: bool


@strawberry.type
class CandidateRecord:
    id: str
    source: str
    source_id: str
    customer_id: str | None
    fields: JSON


@strawberry.type
class MatchCandidate:
    id: str
    status: str
    probability: float
    match_weight: float | None
    rule: str | None
    blocking_rule: str | None
    department: str | None
    created_at: str | None
    decided_at: str | None
    decided_by: str | None


@strawberry.type
class CandidateDetail:
    candidate: MatchCandidate
    left: CandidateRecord
    right: CandidateRecord
    comparisons: list[FieldComparison]
    explanation: JSON


@strawberry.type
class QueueCount:
    status: str
    department: str | None
    candidates: int


@strawberry.type(description="A page of the review queue (a Relay connection) and the queue's counts.")
class ReviewQueue:
    edges: list[Edge[MatchCandidate]]
    nodes: list[MatchCandidate]
    page_info: PageInfo
    counts: list[QueueCount]
    candidates: list[MatchCandidate] = strawberry.field(deprecation_reason="Use nodes.")


@strawberry.type
class MergeResult:
    event_id: str
    survivor: str
    absorbed: str
    moved: int


def _candidate(raw: dict[str, Any]) -> MatchCandidate:
    return MatchCandidate(
        id=raw["id"],
        status=raw["status"],
        probability=float(raw.get("probability") or 0),
        match_weight=raw.get("match_weight"),
        rule=raw.get("rule"),
        blocking_rule=raw.get("blocking_rule"),
        department=raw.get("department"),
        created_at=clock.render(raw.get("created_at")),
        decided_at=clock.render(raw.get("decided_at")),
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
        customer_id=customer["id"] if customer else None,
        fields=fields,
    )


@strawberry.type(description="Customers per users of one local network and customer group (merge progress).")
class MergeProgress:
    local_network: str | None
    customer_group: str
    customers: int
    users: int
    customers_per_user: float


@strawberry.type(description="A contact detail a source offered that may not change this customer's.")
class HeldContactChange:
    customer_id: strawberry.ID
    name: str | None
    attribute: str
    record_id: str
    source: str | None
    values: list[str]


@strawberry.type(description="A page of held contact changes (a Relay connection).")
class HeldContactChanges:
    edges: list[Edge[HeldContactChange]]
    nodes: list[HeldContactChange]
    page_info: PageInfo
    changes: list[HeldContactChange] = strawberry.field(deprecation_reason="Use nodes.")


@strawberry.type(description="A steward's decision on two source records that every resolution obeys.")
class StewardDecisionView:
    id: strawberry.ID
    kind: str
    left: str
    right: str
    decided_by: str
    decided_at: str | None
    why: str
    candidate: str | None
    event: str | None
    status: str


@strawberry.type(description="A page of steward decisions (a Relay connection).")
class StewardDecisions:
    edges: list[Edge[StewardDecisionView]]
    nodes: list[StewardDecisionView]
    page_info: PageInfo
    decisions: list[StewardDecisionView] = strawberry.field(deprecation_reason="Use nodes.")


def _decision(d: Any) -> StewardDecisionView:
    return StewardDecisionView(
        id=strawberry.ID(d.id),
        kind=d.kind,
        left=d.left,
        right=d.right,
        decided_by=d.decided_by,
        decided_at=clock.render(d.decided_at),
        why=d.why,
        candidate=d.candidate,
        event=d.event,
        status=d.status,
    )


@strawberry.type
class StewardQuery:
    @strawberry.field(
        description="Steward decisions, newest first: in force ('standing') or ended, optionally on one record."
    )
    async def steward_decisions(
        self,
        info: Info,
        status: str | None = "standing",
        record_id: str | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> StewardDecisions:
        info.context.caller.require("review")
        size = page_size(first)
        found, more = await steward_decisions.page(
            info.context.store,
            status=status,
            record=record_id,
            first=size,
            after=STEWARD_DECISIONS.after(after),  # type: ignore[arg-type]
        )
        page = edges(STEWARD_DECISIONS, found, lambda d: (d.decided_at or "", d.id), _decision)
        nodes = [e.node for e in page]
        return StewardDecisions(
            edges=page, nodes=nodes, decisions=nodes, page_info=page_info([e.cursor for e in page], more)
        )

    @strawberry.field(
        description="Contact details held back from customers' golden records: offered by a source that may not "
        "change them (not trusted, identity not verified at a desk), never applied silently."
    )
    async def held_contact_changes(
        self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> HeldContactChanges:
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
        nodes = [e.node for e in page]
        return HeldContactChanges(
            edges=page, nodes=nodes, changes=nodes, page_info=page_info([e.cursor for e in page], more)
        )

    @strawberry.field(
        description="The headline merge-progress metric: customers per users by local network and customer "
        "group (public, organisation); the lower, the further merging has gone."
    )
    async def merge_progress(self, info: Info) -> list[MergeProgress]:
        info.context.caller.require("review")
        rows = await customers_per_users(info.context.store, info.context.rules)
        return [MergeProgress(**row) for row in rows]

    @strawberry.field(description="Suspected duplicates (疑似可归并) waiting for a decision.")
    async def review_queue(
        self,
        info: Info,
        status: str = "pending",
        department: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        source: str | None = None,
        created_before: str | None = None,
        sort: str = "score",
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> ReviewQueue:
        review = _review(info)
        if sort not in ("score", "age"):
            raise BadInput("sort must be 'score' or 'age'")
        size = page_size(first)
        order = REVIEW_QUEUE[sort]
        cursor = order.after(after)
        bound = an_instant(created_before) if created_before else None
        filters = QueueFilter(status, department, min_score, max_score, source, bound)
        rows, more = await review.queue(filters, sort, size, cursor)  # type: ignore[arg-type]
        counts = await review.counts(filters)
        page = edges(order, rows, lambda r: (r["sort_key"], r["id"]), _candidate)
        nodes = [e.node for e in page]
        return ReviewQueue(
            edges=page,
            nodes=nodes,
            candidates=nodes,
            page_info=page_info([e.cursor for e in page], more),
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
            candidate=_candidate(detail.candidate),
            left=left,
            right=right,
            comparisons=comparisons,
            explanation=info.context.caller.show_fields(detail.explanation, left.customer_id or left.id),
        )

    @strawberry.field(description="Every merge, unmerge and split a customer took part in, newest first.")
    async def merge_history(self, info: Info, customer_id: strawberry.ID) -> list[MergeEvent]:
        info.context.caller.require("merge_history")
        events = await Merges(info.context.store, info.context.rules).history(str(customer_id))
        return [merge_event(e, info.context.caller, str(customer_id)) for e in events]


@strawberry.type
class StewardMutation:
    @strawberry.mutation(
        description="Withdraw a steward decision in force (a split or a rejection made in error); the next "
        "resolution no longer obeys it."
    )
    async def withdraw_decision(self, info: Info, id: strawberry.ID, reason: str) -> StewardDecisionView:
        _review(info)
        ended = await steward_decisions.withdraw(
            info.context.store, str(id), decided_by=info.context.caller.name, reason=reason
        )
        return _decision(ended)

    @strawberry.mutation(description="Confirm a suspected duplicate: merge the two customers (核实归并).")
    async def approve_candidate(self, info: Info, id: strawberry.ID) -> MergeResult:
        caller = info.context.caller
        outcome = await _review(info).approve(str(id), caller.name, caller.role.departments)
        return MergeResult(
            event_id=outcome.event_id, survivor=outcome.survivor, absorbed=outcome.absorbed, moved=outcome.moved
        )

    @strawberry.mutation(description="Not the same customer: the pair is not proposed again unless a record changes.")
    async def reject_candidate(self, info: Info, id: strawberry.ID, note: str = "") -> MatchCandidate:
        review = _review(info)
        await review.reject(str(id), info.context.caller.name, note, info.context.caller.role.departments)
        return _candidate((await review.detail(str(id))).candidate)

    @strawberry.mutation(description="Undo a merge exactly.")
    async def unmerge(self, info: Info, event_id: strawberry.ID) -> MergeResult:
        _review(info)
        outcome = await Merges(info.context.store, info.context.rules).unmerge(
            str(event_id), decided_by=info.context.caller.name
        )
        return MergeResult(
            event_id=outcome.event_id, survivor=outcome.survivor, absorbed=outcome.absorbed, moved=outcome.moved
        )

    @strawberry.mutation(description="Split chosen source records out of a customer into a new customer.")
    async def split_customer(
        self, info: Info, customer_id: strawberry.ID, record_ids: list[str], reason: str = ""
    ) -> MergeResult:
        _review(info)
        outcome = await Merges(info.context.store, info.context.rules).split(
            str(customer_id), record_ids, decided_by=info.context.caller.name, reason=reason
        )
        return MergeResult(
            event_id=outcome.event_id, survivor=outcome.survivor, absorbed=outcome.absorbed, moved=outcome.moved
        )

    @strawberry.mutation(description="Merge two customers a steward knows to be the same.")
    async def merge_customers(
        self, info: Info, survivor_id: strawberry.ID, absorbed_id: strawberry.ID, reason: str = ""
    ) -> MergeResult:
        _review(info)
        outcome = await Merges(info.context.store, info.context.rules).merge(
            str(survivor_id),
            str(absorbed_id),
            decided_by=info.context.caller.name,
            departments=info.context.caller.role.departments,
            explanation={"reason": reason, "decision": "steward"},
        )
        return MergeResult(
            event_id=outcome.event_id, survivor=outcome.survivor, absorbed=outcome.absorbed, moved=outcome.moved
        )
