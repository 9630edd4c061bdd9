"""Identity confirmed at the contact (接触归并) in GraphQL: a customer's pending suspected duplicates with
the check each asks (Customer.pendingDuplicates), the channel's confirmation or denial
(confirmIdentityAtContact), and the checks kept for stewards (contactChecks). Thin over
app/services/contact_confirmation; the certificate number a channel sends is never answered or kept."""

from __future__ import annotations

import strawberry

from app.errors import BadInput, MergeRuleError
from app.services import contact_confirmation as service
from schema.channel import _channel_of, _require_acting_for
from schema.context import Info
from schema.enums import (
    CertificateResult,
    CertificateType,
    Channel,
    ContactCheckOutcome,
    IdentityCheck,
    PasswordCheck,
    value_of,
)
from schema.payloads import UserError, attempt
from schema.scalars import DateTime
from schema.steward import _CERTIFICATE_RULES


@strawberry.type(description="The other record of a pending suspected duplicate, as a channel may see it.")
class DuplicateRecord:
    id: strawberry.ID = strawberry.field(description="The source record's id.")
    source: str = strawberry.field(description="The system it came from, to ask the customer about.")
    name: str | None = strawberry.field(description="The name it gives.")
    customer_id: strawberry.ID | None = strawberry.field(description="The customer it belongs to now.")


@strawberry.type(
    description="A suspected duplicate (疑似可归并) waiting on this customer: a channel serving the customer may "
    "confirm or deny it at the contact with the check it asks (confirmIdentityAtContact)."
)
class PendingDuplicate:
    candidate_id: strawberry.ID = strawberry.field(description="The match candidate's id.")
    probability: float = strawberry.field(description="Its match probability, 0 to 1: the lower, the more it asks.")
    check: IdentityCheck = strawberry.field(description="The check required to decide it at the contact.")
    service_password_required: bool = strawberry.field(description="Whether the service password must pass.")
    reasons: list[str] = strawberry.field(description="Why this check, in words.")
    department: str | None = strawberry.field(description="A department whose role alone decides it, if any.")
    present_record_id: strawberry.ID = strawberry.field(description="This customer's record in the candidate.")
    other: DuplicateRecord = strawberry.field(
        description="The other record: its source, name and customer, never its certificate or contact details."
    )


def _pending(found: service.PendingDuplicate) -> PendingDuplicate:
    return PendingDuplicate(
        candidate_id=strawberry.ID(found.candidate),
        probability=found.probability,
        check=found.required.name,
        service_password_required=found.required.service_password,
        reasons=list(found.required.reasons),
        department=None if found.department in (None, "data_stewards") else found.department,
        present_record_id=strawberry.ID(found.present),
        other=DuplicateRecord(
            id=strawberry.ID(found.other),
            source=found.other_source,
            name=found.other_name,
            customer_id=None if found.other_customer is None else strawberry.ID(found.other_customer),
        ),
    )


async def pending_duplicates(info: Info, customer_id: str) -> list[PendingDuplicate]:
    """Customer.pendingDuplicates: read only when asked, batched over the request's customers."""
    return [_pending(p) for p in await info.context.loaders.pending_duplicates.load(customer_id)]


@strawberry.type(
    description="A check a channel made at the contact on a suspected duplicate: the result, never the number."
)
class ContactCheck:
    id: strawberry.ID = strawberry.field(description="The check's id.")
    candidate_id: strawberry.ID = strawberry.field(description="The match candidate it concerned.")
    channel: Channel | None = strawberry.field(description="The channel that checked.")
    employee_id: strawberry.ID | None = strawberry.field(description="The employee at the contact.")
    at: DateTime = strawberry.field(description="When.")
    check: IdentityCheck = strawberry.field(description="The check the candidate asked then.")
    probability: float = strawberry.field(description="The candidate's score then.")
    certificate_result: CertificateResult = strawberry.field(
        description="What the certificate read showed against the two records."
    )
    service_password: PasswordCheck = strawberry.field(
        description="The service password's check as the channel gave it."
    )
    same_person: bool = strawberry.field(description="What the channel said: the other record is the same person.")
    outcome: ContactCheckOutcome = strawberry.field(description="Approved, rejected, or refused.")
    reason: str | None = strawberry.field(description="Why it was refused.")
    note: str | None = strawberry.field(description="The channel's note.")


def _check(found: service.ContactCheck) -> ContactCheck:
    return ContactCheck(
        id=strawberry.ID(found.id),
        candidate_id=strawberry.ID(found.candidate),
        channel=found.channel,
        employee_id=strawberry.ID(found.employee),
        at=found.at,
        check=found.required,
        probability=found.probability,
        certificate_result=found.certificate_result,
        service_password=found.service_password,
        same_person=found.same_person,
        outcome=found.outcome,
        reason=found.reason or None,
        note=found.note or None,
    )


@strawberry.type(description="What confirmIdentityAtContact answers.")
class ConfirmIdentityPayload:
    check: ContactCheck | None = strawberry.field(description="The check kept; null when it was refused.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer the person is now: after a confirmation, the merged customer."
    )
    merge_event_id: strawberry.ID | None = strawberry.field(description="The merge a confirmation made.")
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused (the evidence falls short of the check, a certificate differs, a merge "
        "rule); the refusal is kept as a check for stewards."
    )


def _masked(info: Info, errors: list[UserError], exc_values: tuple[str, ...], customer_id: str) -> list[UserError]:
    """A merge rule on certificates names both records' numbers: shown as the role may see them."""
    for error in errors:
        for value in exc_values:
            error.message = error.message.replace(
                value, info.context.caller.show("certificate", value, customer_id) or ""
            )
    return errors


@strawberry.input(description="What a channel checked at the contact, and what the person said.")
class ConfirmIdentityInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer being served (the present side).")
    candidate_id: strawberry.ID = strawberry.field(description="The pending suspected duplicate (pendingDuplicates).")
    certificate_type: CertificateType = strawberry.field(description="The type of the certificate read.")
    certificate_number: str = strawberry.field(
        description="The certificate number read from the document: compared with both records, then dropped."
    )
    service_password_checked: PasswordCheck = strawberry.field(
        description="The result of the channel's own service-password check (服务密码)."
    )
    same_person: bool = strawberry.field(
        description="true: the other record is this same person (approve); false: it is not (reject)."
    )
    employee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The employee at the contact; a key bound to an employee acts as it."
    )
    channel: Channel | None = strawberry.field(default=None, description="The channel; a channel role's own.")
    note: str = strawberry.field(default="", description="A note for stewards.")


@strawberry.type
class ContactConfirmationQuery:
    @strawberry.field(
        description="The checks channels made at the contact on a match candidate, oldest first (stewards): the "
        "evidence beside the candidate's decision."
    )
    async def contact_checks(self, info: Info, candidate_id: strawberry.ID) -> list[ContactCheck]:
        info.context.caller.require("review")
        found = await service.checks_of(info.context.store, [str(candidate_id)])
        return [_check(c) for c in found[0]]


@strawberry.type
class ContactConfirmationMutation:
    @strawberry.mutation(
        description="Confirm (samePerson: true) or deny at the contact that a pending suspected duplicate of the "
        "customer being served is the same person (接触归并): c360 compares the certificate read with both "
        "records and keeps only the result, then approves or rejects the candidate as a steward would, under the "
        "same merge rules, decided by the channel and employee."
    )
    async def confirm_identity_at_contact(self, info: Info, input: ConfirmIdentityInput) -> ConfirmIdentityPayload:
        caller = info.context.caller
        caller.require("confirm_identity")
        own = _channel_of(info, value_of(input.channel))
        employee = caller.employee or (str(input.employee_id) if input.employee_id else None)
        if input.employee_id and caller.employee and str(input.employee_id) != caller.employee:
            raise BadInput(f"this key acts as employee {caller.employee}", [("employeeId", "not the key's employee")])
        if not employee:
            raise BadInput("say who checked (input employeeId)", [("employeeId", "required")])
        customer = (await info.context.loaders.require(str(input.customer_id)))["id"]
        await _require_acting_for(info, customer)
        submission = service.Submission(
            customer=customer,
            candidate=str(input.candidate_id),
            certificate_type=value_of(input.certificate_type),
            certificate_number=input.certificate_number,
            service_password=value_of(input.service_password_checked),
            same_person=input.same_person,
            channel=own,
            employee=employee,
            note=input.note,
        )
        refusal: list[MergeRuleError] = []

        async def work() -> tuple[service.ContactCheck, service.MergeOutcome | None]:
            try:
                return await service.confirm_at_contact(
                    info.context.store, info.context.rules, submission, caller.role.departments
                )
            except MergeRuleError as exc:
                refusal.append(exc)
                raise

        done, errors = await attempt(work, "input")
        if refusal and refusal[0].rule in _CERTIFICATE_RULES:
            errors = _masked(info, errors, refusal[0].values, customer)
        if done is None:
            return ConfirmIdentityPayload(check=None, customer_id=None, merge_event_id=None, user_errors=errors)
        check, outcome = done
        return ConfirmIdentityPayload(
            check=_check(check),
            customer_id=strawberry.ID(outcome.survivor if outcome else customer),
            merge_event_id=strawberry.ID(outcome.event_id) if outcome else None,
            user_errors=[],
        )
