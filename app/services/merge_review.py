"""The data steward's review queue (核实归并): list, inspect, approve and reject suspected duplicates."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from app import clock
from app.errors import ConflictError, MergeRuleError, NotFoundError
from app.resolution.constraints import CANNOT, refuse_separating
from app.services import steward_decisions
from app.services.merges import MergeOutcome, Merges
from app.store import Store, cypher

QUEUE = {"score": cypher("steward/queue_by_score"), "age": cypher("steward/queue_by_age")}
COUNTS = cypher("steward/queue_counts")
CANDIDATE = cypher("steward/candidate")
CANDIDATES_RECORDS = cypher("steward/candidates_records")
REJECT = cypher("steward/reject")
HELD = cypher("steward/held_contact_changes")

Sort = Literal["score", "age"]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: str = "pending"
    department: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    source: str | None = None
    created_before: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "department": self.department,
            "min_score": self.min_score,
            "max_score": self.max_score,
            "source": f"{self.source}:" if self.source else None,
            "created_before": self.created_before,
        }


@dataclass(slots=True)
class CandidateDetail:
    candidate: dict[str, Any]
    left: dict[str, Any]
    right: dict[str, Any]
    left_customer: dict[str, Any] | None
    right_customer: dict[str, Any] | None
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MergePreview:
    """The golden record approving a candidate would give the surviving customer (every key of
    app.customer.GOLDEN_KEYS), and the refusal that approval would meet now, if any."""

    survivor: str
    absorbed: str
    golden: dict[str, Any]
    refusal: MergeRuleError | ConflictError | None


class MergeReview:
    def __init__(self, store: Store, merges: Merges) -> None:
        self.store = store
        self.merges = merges

    async def queue(
        self, filters: QueueFilter, sort: Sort, first: int, after: tuple[Any, str] | None
    ) -> tuple[list[dict[str, Any]], bool]:
        params = filters.params() | {
            "limit": first + 1,
            "after_value": after[0] if after else None,
            "after_id": after[1] if after else None,
        }
        rows = await self.store.read(QUEUE[sort], params)
        candidates = [row["candidate"] for row in rows]
        return candidates[:first], len(candidates) > first

    async def counts(self, filters: QueueFilter) -> list[dict[str, Any]]:
        params = filters.params()
        params.pop("status")
        return await self.store.read(COUNTS, params)

    async def detail(self, candidate_id: str) -> CandidateDetail:
        rows = await self.store.read(CANDIDATE, {"id": candidate_id})
        if not rows:
            raise NotFoundError(f"no match candidate {candidate_id!r}")
        row = rows[0]
        return CandidateDetail(
            row["candidate"],
            row["left"],
            row["right"],
            row["left_customer"],
            row["right_customer"],
            orjson.loads(row["candidate"].get("explanation") or "{}"),
        )

    async def records(self, candidate_ids: list[str]) -> dict[str, CandidateDetail]:
        """Each candidate's two records and their customers, in one read (a queue page's rows);
        the detail's candidate holds its id alone, its explanation is empty."""
        rows = await self.store.read(CANDIDATES_RECORDS, {"ids": candidate_ids})
        return {
            row["id"]: CandidateDetail(
                {"id": row["id"]}, row["left"], row["right"], row["left_customer"], row["right_customer"]
            )
            for row in rows
        }

    async def approve(
        self, candidate_id: str, decided_by: str, departments: Collection[str] = (), reason: str = ""
    ) -> MergeOutcome:
        """核实归并: the pair is one customer from now on, through every later resolution. A candidate
        the rules leave to a department is that department's to approve. ``reason``: the decision's why
        (the evidence checked at a contact), else "approved"."""
        detail = await self.detail(candidate_id)
        if detail.candidate["status"] != "pending":
            raise ConflictError(f"candidate {candidate_id!r} is already {detail.candidate['status']}")
        _require_department(detail, decided_by, departments)
        left, right = detail.left_customer, detail.right_customer
        if left is None or right is None:
            raise ConflictError(f"candidate {candidate_id!r} has a record that belongs to no customer")
        if left["id"] == right["id"]:
            raise ConflictError(f"both records of candidate {candidate_id!r} already belong to customer {left['id']!r}")
        survivor, absorbed = _survivor_first(left, right)
        return await self.merges.merge(
            survivor["id"],
            absorbed["id"],
            decided_by=decided_by,
            departments=departments,
            candidate=candidate_id,
            explanation={"candidate": candidate_id, **detail.explanation, **({"reason": reason} if reason else {})},
            pair=(detail.left["id"], detail.right["id"]),
        )

    async def preview(
        self, candidate_id: str, decided_by: str, departments: Collection[str] = ()
    ) -> MergePreview | None:
        """What approving the candidate would write, nothing written: the golden record survivorship
        chooses for both customers' records together (the very derivation a merge writes), which
        customer keeps its id, and the refusal the caller's approval would meet now (the candidate's
        department, a hard merge rule, a standing steward decision). None when there is nothing to
        merge: the candidate is decided, a record belongs to no customer, or both to one."""
        detail = await self.detail(candidate_id)
        left, right = detail.left_customer, detail.right_customer
        if detail.candidate["status"] != "pending" or left is None or right is None or left["id"] == right["id"]:
            return None
        survivor, absorbed = _survivor_first(left, right)
        golden, refusal = await self.merges.preview(survivor["id"], absorbed["id"], departments, candidate_id)
        try:
            _require_department(detail, decided_by, departments)
        except (MergeRuleError, ConflictError) as exc:
            refusal = exc
        return MergePreview(survivor["id"], absorbed["id"], golden, refusal)

    async def reject(
        self, candidate_id: str, decided_by: str, note: str = "", departments: Collection[str] = ()
    ) -> None:
        """Not the same customer: the pair stays apart through every later resolution, until one of the
        two records changes its identifying fields."""
        detail = await self.detail(candidate_id)
        if detail.candidate["status"] != "pending":
            raise ConflictError(f"candidate {candidate_id!r} is already {detail.candidate['status']}")
        _require_department(detail, decided_by, departments)
        if detail.left_customer is None or detail.right_customer is None:
            raise ConflictError(f"candidate {candidate_id!r} has a record that belongs to no customer")
        left, right = detail.left["id"], detail.right["id"]
        standing = await steward_decisions.standing(self.store)
        refuse_separating(left, right, standing)
        decision = await steward_decisions.rejection(
            self.store, left, right, decided_by=decided_by, why=note or "rejected", candidate=candidate_id
        )
        ended = [d.id for d in standing if d.kind == CANNOT and d.candidate == candidate_id]
        rows = await self.store.write(
            REJECT,
            {
                "id": candidate_id,
                "decided_by": decided_by,
                "now": clock.now_iso(),
                "note": note,
                "decisions": [decision.row()],
                "ended": ended,
                "left_version": detail.left_customer["version"],
                "right_version": detail.right_customer["version"],
            },
        )
        if not rows:
            raise ConflictError(
                f"candidate {candidate_id!r} was decided, or one of its customers changed, meanwhile; read it again"
            )


def _survivor_first(left: dict[str, Any], right: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer a merge keeps (the one with more records, then the lower id) and the one it absorbs."""
    survivor, absorbed = sorted((left, right), key=lambda c: (-(c.get("record_count") or 0), c["id"]))
    return survivor, absorbed


def _require_department(detail: CandidateDetail, decided_by: str, departments: Collection[str]) -> None:
    """A candidate the rules leave to a department is that department's to decide, either way."""
    department = detail.candidate.get("department")
    if department and department != "data_stewards" and department not in departments:
        raise MergeRuleError(
            f"candidate {detail.candidate['id']!r} is for the {department} department to decide "
            f"({detail.candidate.get('rule')}); {decided_by} is not of it",
            rule=str(detail.candidate.get("rule") or ""),
            values=(detail.left["id"], detail.right["id"]),
            department=department,
        )


@dataclass(frozen=True, slots=True)
class HeldChange:
    """One contact detail a source offered and survivorship held back; ``ordinal`` is its place among
    its customer's held changes (by attribute, then as offered), which pages by change, not customer."""

    customer_id: str
    ordinal: int
    name: str | None
    attribute: str
    offer: dict[str, Any]


async def held_contact_changes(
    store: Store, first: int, after: tuple[str, int] | None
) -> tuple[list[HeldChange], bool]:
    """Contact details a low-trust source tried to change, by customer id then ordinal, strictly after
    ``after``: for a steward to confirm with the customer (the change then comes back through a
    trusted or verified record). Two customers more than the page: the first may have nothing left
    after the cursor, and every other has at least one change."""
    rows = await store.read(HELD, {"from": after[0] if after else None, "limit": first + 2})
    changes = []
    for row in rows:
        offers = (
            (attribute, offer) for attribute, offered in sorted(orjson.loads(row["held"]).items()) for offer in offered
        )
        for ordinal, (attribute, offer) in enumerate(offers):
            if after is None or (row["id"], ordinal) > after:
                changes.append(HeldChange(row["id"], ordinal, row["name"], attribute, offer))
    return changes[:first], len(changes) > first
