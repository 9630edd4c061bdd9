"""Identity confirmed at the contact (接触归并, DOMAIN.md §3 rule 2): what check a pending suspected
duplicate asks of the channel serving one of its customers, and what a submitted check shows.

Pure: the service (app/services/contact_confirmation.py) reads the candidate, its two records'
certificates and when either customer last changed, and asks these functions; whether the two records
may then form one customer is still resolution's to say (the same merge rules as a steward's approval).

The strength grows with the doubt: a well-scored candidate needs the certificate read at the contact to
match the record of the customer being served; a lower score needs it to match both records; a customer
recently merged, unmerged or split needs the service password passed as well. The certificate number a
channel submits is compared here and forgotten: only the comparison's result is ever kept.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from app.resolution.normalise import certificate_key, normalise_certificate
from app.rules import ContactConfirmationRules

Scope = Literal["present", "both"]
# What the certificate read shows against one record: the same certificate, another one, or the record
# holds none to compare.
SideResult = Literal["matches", "differs", "none"]
MATCHES: SideResult = "matches"
DIFFERS: SideResult = "differs"
NONE: SideResult = "none"
PASSED = "passed"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CheckRequired:
    """What a channel must show before it confirms or denies a candidate: the certificate read against
    the present record or both, the service password too or not, and why, in words."""

    certificate: Scope
    service_password: bool
    reasons: tuple[str, ...]

    @property
    def name(self) -> str:
        """Its name in app.vocabulary.IDENTITY_CHECKS."""
        return f"certificate_{self.certificate}" + ("_and_password" if self.service_password else "")


def check_required(
    probability: float,
    last_changes: Collection[datetime | None],
    now: datetime,
    rules: ContactConfirmationRules,
) -> CheckRequired:
    """The check a candidate of this match probability asks, when its customers last merged, unmerged or
    split at ``last_changes`` (None: never)."""
    reasons: list[str] = []
    if probability >= rules.high_probability:
        scope: Scope = "present"
        reasons.append(
            f"score {probability:.2f} at or above {rules.high_probability}: the present record's certificate"
        )
    else:
        scope = "both"
        reasons.append(f"score {probability:.2f} below {rules.high_probability}: both records' certificates")
    since = now - timedelta(days=rules.recent_change_days)
    recent = any(at is not None and at >= since for at in last_changes)
    if recent:
        reasons.append(f"a customer merged or split within {rules.recent_change_days} days: the service password too")
    return CheckRequired(scope, recent, tuple(reasons))


def certificate_of(cert_type: str, cert_no: str) -> str:
    """The key one certificate compares by (a credit code meets the organisation code it embeds); empty
    when there is no number."""
    found = normalise_certificate(cert_type, cert_no)
    return certificate_key(found.kind, found.number)


def side_result(read: str, record: str) -> SideResult:
    """The certificate read (its key) against one record's (its key, empty: none)."""
    if not record:
        return NONE
    return MATCHES if read and read == record else DIFFERS


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the channel checked at the contact: the certificate read against the present record (the
    customer being served) and the other one, and the service password's check."""

    present: SideResult
    other: SideResult
    service_password: str

    @property
    def certificate_result(self) -> str:
        """The comparison as kept (app.vocabulary.CERTIFICATE_RESULTS), never the number."""
        sides = {self.present, self.other}
        if sides == {MATCHES}:
            return "matches_both"
        if sides == {MATCHES, DIFFERS}:
            return "matches_one"
        if sides == {MATCHES, NONE}:
            return "side_has_no_certificate"
        return "matches_neither"


def shortfall(required: CheckRequired, evidence: Evidence, same_person: bool) -> list[tuple[str, str]]:
    """What the evidence lacks for the decision (the input field at fault, why); empty: enough.

    Confirming (same person): no record may hold a certificate other than the one read (different
    certificates are different customers), and the read must match the present record, or both as the
    check requires, where a record with none is vouched for by a passed service password. Denying: the
    read must match the present record (the person is who that record says), and may not match the
    other (the same certificate is the same customer). A failed service password refuses either way."""
    problems: list[tuple[str, str]] = []
    password = evidence.service_password == PASSED
    if evidence.service_password == FAILED:
        problems.append(("servicePasswordChecked", "the service password check failed"))
    elif required.service_password and not password:
        problems.append(("servicePasswordChecked", f"the {required.name} check needs the service password passed"))
    # The password, once asked for, vouches for a record without a certificate too: one problem, not two.
    vouched = password or bool(problems)
    if evidence.present == evidence.other == NONE:
        problems.append(("certificateNumber", "neither record holds a certificate to compare: a steward decides"))
    elif not same_person:
        if evidence.other == MATCHES:
            problems.append(("samePerson", "the certificate read matches both records: one certificate, one customer"))
        if evidence.present == DIFFERS:
            problems.append(("certificateNumber", "the certificate read differs from the present record's"))
        elif evidence.present == NONE and not vouched:
            problems.append(("servicePasswordChecked", "the present record holds no certificate: pass the password"))
    elif DIFFERS in (evidence.present, evidence.other):
        which = "present" if evidence.present == DIFFERS else "other"
        problems.append(("certificateNumber", f"the certificate read differs from the {which} record's"))
    else:
        wanted = (evidence.present,) if required.certificate == "present" else (evidence.present, evidence.other)
        if NONE in wanted and not vouched:
            problems.append(
                (
                    "servicePasswordChecked",
                    f"a record holds no certificate: the {required.name} check needs the "
                    "service password passed for it",
                )
            )
    return problems
