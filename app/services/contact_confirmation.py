"""Identity confirmed at the contact (接触归并, DOMAIN.md §3 rule 2): a channel serving a customer with a
pending suspected duplicate checks the person's certificate (and the service password where it has
one) and confirms or denies that the other record is the same person.

The decision is the steward's own (MergeReview.approve and reject): the same merge rules, the same
standing decisions every later resolution obeys. What the channel checked is kept beside the candidate
as a ContactCheck: the comparison's result, never the number read.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app import clock
from app.contact_confirmation import CheckRequired, Evidence, certificate_of, check_required, shortfall, side_result
from app.errors import BadInput, ConflictError, MergeRuleError, NotFoundError
from app.ids import contact_check_id
from app.rules import Rules
from app.services.merge_review import MergeReview
from app.services.merges import MergeOutcome, Merges
from app.services.source_records import customer_records
from app.store import Store, cypher

PENDING = cypher("confirmation/pending_of_customers")
RECORD = cypher("confirmation/record_check")
CHECKS = cypher("confirmation/checks_of_candidates")


@dataclass(frozen=True, slots=True)
class PendingDuplicate:
    """A pending candidate touching a customer's records, seen from that customer: its own record in it
    (present), the other record, and the check a channel must make to decide it."""

    candidate: str
    probability: float
    rule: str | None
    department: str | None
    present: str
    other: str
    other_source: str
    other_name: str | None
    other_customer: str | None
    required: CheckRequired


@dataclass(frozen=True, slots=True)
class Submission:
    """What a channel sends from the contact. ``certificate_number`` is compared and dropped."""

    customer: str
    candidate: str
    certificate_type: str
    certificate_number: str
    service_password: str
    same_person: bool
    channel: str
    employee: str
    note: str = ""

    @property
    def decided_by(self) -> str:
        return f"{self.channel}:{self.employee}"


@dataclass(frozen=True, slots=True)
class ContactCheck:
    """A check kept: what the channel showed and what became of it (approved, rejected, refused)."""

    id: str
    candidate: str
    channel: str
    employee: str
    at: str
    required: str
    probability: float
    certificate_result: str
    present_certificate: str
    other_certificate: str
    service_password: str
    same_person: bool
    outcome: str
    reason: str
    note: str

    @staticmethod
    def from_row(row: dict[str, Any]) -> ContactCheck:
        return ContactCheck(**{name: row.get(name) for name in ContactCheck.__slots__})  # type: ignore[arg-type]

    def why(self) -> str:
        """The evidence in words, for the steward decision and the merge event it leads to."""
        said = "the same person" if self.same_person else "not the same person"
        text = (
            f"at the contact by {self.channel}:{self.employee}, {said}: certificate {self.certificate_result} "
            f"(present {self.present_certificate}, other {self.other_certificate}), service password "
            f"{self.service_password}, check {self.required}, score {self.probability:.2f}"
        )
        return f"{text}; {self.note}" if self.note else text


def _latest(changes: Sequence[str | None]) -> list[datetime | None]:
    return [clock.parse(at) for at in changes if at]


async def pending_duplicates(store: Store, rules: Rules, customer_ids: Sequence[str]) -> list[list[PendingDuplicate]]:
    """For each customer, its pending suspected duplicates (one read for them all), by candidate id."""
    rows = await store.read(PENDING, {"ids": list(customer_ids)})
    now = clock.now()
    found: dict[str, list[PendingDuplicate]] = {}
    for row in rows:
        candidate, other = row["candidate"], row["other"]
        probability = float(candidate.get("probability") or 0)
        found.setdefault(row["id"], []).append(
            PendingDuplicate(
                candidate=candidate["id"],
                probability=probability,
                rule=candidate.get("rule"),
                department=candidate.get("department"),
                present=row["present"],
                other=other["id"],
                other_source=other["source"],
                other_name=other.get("name"),
                other_customer=row.get("other_customer"),
                required=check_required(probability, _latest(row["changes"] or []), now, rules.contact_confirmation),
            )
        )
    return [found.get(customer, []) for customer in customer_ids]


async def _evidence(store: Store, pending: PendingDuplicate, submission: Submission) -> Evidence:
    """The certificate read against both records', each normalised as resolution normalises it. A number
    a record's source mistyped (set aside by the ingest) is no certificate: it neither confirms nor
    contradicts, as it never decides a hard merge rule either."""
    read = certificate_of(submission.certificate_type, submission.certificate_number)
    rows = await customer_records(store, [pending.present, pending.other])
    held = {row["id"]: certificate_of(str(row.get("cert_type") or ""), str(row.get("cert_no") or "")) for row in rows}
    return Evidence(
        side_result(read, held.get(pending.present, "")),
        side_result(read, held.get(pending.other, "")),
        submission.service_password,
    )


async def confirm_at_contact(
    store: Store, rules: Rules, submission: Submission, departments: Collection[str] = ()
) -> tuple[ContactCheck, MergeOutcome | None]:
    """Check the evidence against the strength the candidate asks, keep the check, then approve or
    reject the candidate as a steward would. A refusal (too little evidence, a certificate that differs,
    a merge rule) is kept too, and raised for the caller as a refusal it can act on."""
    if not submission.certificate_number.strip():
        raise BadInput("no certificate read", [("certificateNumber", "the certificate number read is required")])
    pending = next(
        (
            p
            for p in (await pending_duplicates(store, rules, [submission.customer]))[0]
            if p.candidate == submission.candidate
        ),
        None,
    )
    if pending is None:
        raise NotFoundError(
            f"no pending suspected duplicate {submission.candidate!r} on customer {submission.customer!r}"
        )
    evidence = await _evidence(store, pending, submission)
    problems = shortfall(pending.required, evidence, submission.same_person)
    review = MergeReview(store, Merges(store, rules))
    outcome: MergeOutcome | None = None
    refusal: BadInput | MergeRuleError | ConflictError | None = None
    if problems:
        refusal = BadInput(f"candidate {submission.candidate!r}: " + "; ".join(why for _, why in problems), problems)
    check = _check(pending, evidence, submission, "refused", str(refusal) if refusal else "")
    if refusal is None:
        try:
            if submission.same_person:
                outcome = await review.approve(submission.candidate, submission.decided_by, departments, check.why())
            else:
                await review.reject(submission.candidate, submission.decided_by, check.why(), departments)
            check = replace(check, outcome="approved" if submission.same_person else "rejected")
        except (MergeRuleError, ConflictError) as exc:
            refusal = exc
            # A merge rule's message names the records' certificates: the check keeps the rule alone.
            check = replace(check, reason=f"merge rule {exc.rule}" if isinstance(exc, MergeRuleError) else str(exc))
    await store.write(RECORD, {"candidate": submission.candidate, "check": _row(check)})
    if refusal is not None:
        raise refusal
    return check, outcome


def _check(
    pending: PendingDuplicate, evidence: Evidence, submission: Submission, outcome: str, reason: str
) -> ContactCheck:
    return ContactCheck(
        id=contact_check_id(submission.candidate, submission.decided_by),
        candidate=submission.candidate,
        channel=submission.channel,
        employee=submission.employee,
        at=clock.now_iso(),
        required=pending.required.name,
        probability=pending.probability,
        certificate_result=evidence.certificate_result,
        present_certificate=evidence.present,
        other_certificate=evidence.other,
        service_password=evidence.service_password,
        same_person=submission.same_person,
        outcome=outcome,
        reason=reason,
        note=submission.note,
    )


def _row(check: ContactCheck) -> dict[str, Any]:
    return {name: getattr(check, name) for name in ContactCheck.__slots__}


async def checks_of(store: Store, candidate_ids: Sequence[str]) -> list[list[ContactCheck]]:
    """Each candidate's checks at the contact, oldest first."""
    rows = await store.read(CHECKS, {"ids": list(candidate_ids)})
    found: dict[str, list[ContactCheck]] = {}
    for row in rows:
        found.setdefault(row["candidate"], []).append(ContactCheck.from_row(row["check"]))
    return [found.get(c, []) for c in candidate_ids]
