"""The GraphQL no-repeated-disturbance rules (不重复打扰) and the unified contact work list
(统一客户接触派单): may a channel touch a customer and from when, plans put on and taken off the list,
a channel's or an employee's list, consents and opt-outs. Thin over app/services/contact_planning."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from app import clock
from app.access import Forbidden
from app.contact_permission import Permission
from app.errors import BadInput
from app.services import contact_planning as service
from schema.channel import _channel_of, _require_acting_for
from schema.context import Info
from schema.enums import (
    Channel,
    ConsentEvidence,
    ContactMode,
    ContactPlanStatus,
    ContactPurpose,
    ContactRule,
    value_of,
)
from schema.pagination import CONTACT_WORK_LIST, MARKETING_CONSENTS, Connection, in_memory, window
from schema.payloads import UserError, attempt
from schema.scalars import DateTime


@strawberry.type(description="A no-repeated-disturbance rule a touch would break or broke, in words and as a code.")
class ContactRuleBroken:
    rule: ContactRule = strawberry.field(description="The rule (rules.toml [contact_rules], quiet hours, consent).")
    message: str = strawberry.field(description="Why, in words: the touches counted, the hours, the opt-out.")


@strawberry.type(
    description="May a channel touch the customer (不重复打扰): allowed or not, why, and the earliest instant every "
    "rule allows."
)
class ContactPermission:
    customer_id: strawberry.ID = strawberry.field(description="The customer asked about (a merged id's survivor).")
    allowed: bool = strawberry.field(description="Every rule allows the touch at the instant asked.")
    reasons: list[ContactRuleBroken] = strawberry.field(description="Each rule the touch would break; empty if none.")
    next_allowed_at: DateTime | None = strawberry.field(
        description="The earliest instant every rule allows (the instant asked, when allowed); null when only a new "
        "consent can allow it (no consent, or an opt-out)."
    )


def contact_permission_of(customer_id: str, answer: Permission) -> ContactPermission:
    return ContactPermission(
        customer_id=strawberry.ID(customer_id),
        allowed=answer.allowed,
        reasons=[ContactRuleBroken(rule=r.rule, message=r.message) for r in answer.reasons],  # type: ignore[arg-type]
        next_allowed_at=DateTime(clock.instant(answer.next_allowed_at)) if answer.next_allowed_at else None,
    )


@strawberry.type(description="A touch on the unified contact work list (统一客户接触派单).")
class ContactPlan:
    id: strawberry.ID = strawberry.field(description="The plan's id (give it to recordContact as planId).")
    customer_id: strawberry.ID = strawberry.field(description="The customer (a merged customer's survivor).")
    channel: Channel = strawberry.field(description="The channel that will make the touch.")
    purpose: ContactPurpose = strawberry.field(description="Service or marketing.")
    mode: ContactMode | None = strawberry.field(description="How: a call, a visit, an SMS, ...")
    at: DateTime = strawberry.field(description="When it is planned.")
    employee_id: strawberry.ID | None = strawberry.field(description="Who will make it, if named.")
    summary: str | None = strawberry.field(description="What it is for.")
    status: ContactPlanStatus = strawberry.field(description="Planned, done (its contact recorded) or cancelled.")
    contact_id: strawberry.ID | None = strawberry.field(description="The contact that carried it out, once done.")
    planned_at: DateTime = strawberry.field(description="When it was put on the list.")


def contact_plan(customer_id: str, row: dict[str, Any]) -> ContactPlan:
    return ContactPlan(
        id=strawberry.ID(row["id"]),
        customer_id=strawberry.ID(customer_id),
        channel=row["channel"],
        purpose=row["purpose"],
        mode=row.get("mode"),
        at=DateTime(row["at"]),
        employee_id=strawberry.ID(row["employee_id"]) if row.get("employee_id") else None,
        summary=row.get("summary"),
        status=row["status"],
        contact_id=strawberry.ID(row["contact_id"]) if row.get("contact_id") else None,
        planned_at=DateTime(row["planned_at"]),
    )


@strawberry.type(description="A consent to marketing or its withdrawal (an opt-out), with its evidence (DOMAIN.md §9).")
class MarketingConsent:
    id: strawberry.ID = strawberry.field(description="The record's id.")
    customer_id: strawberry.ID = strawberry.field(description="The customer (a merged customer's survivor).")
    granted: bool = strawberry.field(description="True: consent given; false: withdrawn (an opt-out).")
    mode: ContactMode | None = strawberry.field(description="Only this mode of contact; null: every mode.")
    channel: Channel | None = strawberry.field(description="Only this channel's marketing; null: every channel.")
    at: DateTime = strawberry.field(description="When the customer gave or withdrew it.")
    evidence: ConsentEvidence = strawberry.field(description="What shows it: a signed form, a recorded call, ...")
    evidence_reference: str = strawberry.field(description="Which form, recording or message.")
    evidence_channel: Channel = strawberry.field(description="The channel that took it.")
    employee_id: strawberry.ID | None = strawberry.field(description="The employee who took it, if named.")
    kept_until: DateTime = strawberry.field(
        description="Kept at least until then (rules.toml [contact_rules] consent_kept_months, never under 5 months)."
    )


def marketing_consent(customer_id: str, row: dict[str, Any]) -> MarketingConsent:
    return MarketingConsent(
        id=strawberry.ID(row["id"]),
        customer_id=strawberry.ID(customer_id),
        granted=bool(row["granted"]),
        mode=row.get("mode"),
        channel=row.get("channel"),
        at=DateTime(row["at"]),
        evidence=row["evidence"],
        evidence_reference=row["evidence_reference"],
        evidence_channel=row["evidence_channel"],
        employee_id=strawberry.ID(row["employee_id"]) if row.get("employee_id") else None,
        kept_until=DateTime(row["kept_until"]),
    )


@strawberry.input(description="A touch to put on the unified contact work list.")
class ContactPlanInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer (a merged id plans on the survivor).")
    purpose: ContactPurpose = strawberry.field(description="Service (never held back) or marketing.")
    at: DateTime = strawberry.field(description="When the touch is planned.")
    channel: Channel | None = strawberry.field(default=None, description="Defaults to the caller's own channel.")
    mode: ContactMode | None = strawberry.field(default=None, description="How: a call, a visit, an SMS, ...")
    employee_id: strawberry.ID | None = strawberry.field(default=None, description="Who will make it.")
    summary: str | None = strawberry.field(default=None, description="What it is for (at most 500 characters).")


@strawberry.type(description="What planContact answers: the plan, or why not and from when.")
class PlanContactPayload:
    plan: ContactPlan | None = strawberry.field(description="The plan on the work list; null when refused.")
    permission: ContactPermission | None = strawberry.field(
        description="The rules' answer at the instant planned: why it was refused and the next allowed instant."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was planned: each rule broken (code CONTACT_RULE, with the next allowed instant), "
        "or the input's fault."
    )


@strawberry.type(description="What cancelContactPlan answers.")
class CancelContactPlanPayload:
    plan: ContactPlan | None = strawberry.field(description="The plan, now cancelled.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was cancelled, when it was not.")


@strawberry.input(description="A consent to marketing given or withdrawn, with what shows it.")
class ConsentInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer (a merged id records on the survivor).")
    granted: bool = strawberry.field(description="True: consent given; false: withdrawn (an opt-out).")
    evidence: ConsentEvidence = strawberry.field(description="What shows it.")
    evidence_reference: str = strawberry.field(description="Which form, recording or message (its reference).")
    at: DateTime | None = strawberry.field(default=None, description="When the customer said so; defaults to now.")
    mode: ContactMode | None = strawberry.field(default=None, description="Only this mode of contact; left out: all.")
    scope_channel: Channel | None = strawberry.field(
        default=None, description="Only this channel's marketing; left out: every channel."
    )
    channel: Channel | None = strawberry.field(
        default=None, description="The channel that took it; defaults to the caller's own."
    )
    employee_id: strawberry.ID | None = strawberry.field(default=None, description="The employee who took it.")


@strawberry.type(description="What recordConsent answers.")
class RecordConsentPayload:
    consent: MarketingConsent | None = strawberry.field(description="The record kept.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded, when it was not.")


def _refusals(answer: Permission) -> list[UserError]:
    then = (
        f"; next allowed at {clock.render(clock.instant(answer.next_allowed_at))}"
        if answer.next_allowed_at
        else "; not allowed again without a new consent"
    )
    return [
        UserError(field=["plan", "at"], message=f"{r.rule}: {r.message}{then}", code="CONTACT_RULE")
        for r in answer.reasons
    ]


@strawberry.type
class ContactPlanningQuery:
    @strawberry.field(
        description="May a channel touch the customer at an instant (now if not given) for a purpose: every "
        "channel's outbound marketing touches and plans counted (caps per day, 7 and 30 days), quiet hours "
        "22:00-08:00 Beijing, opt-outs and consent; service is never held back."
    )
    async def contact_permission(
        self,
        info: Info,
        customer_id: strawberry.ID,
        purpose: ContactPurpose,
        channel: Channel | None = None,
        mode: ContactMode | None = None,
        at: DateTime | None = None,
    ) -> ContactPermission:
        info.context.caller.require("plan_contact")
        own = _channel_of(info, value_of(channel))
        await _require_acting_for(info, str(customer_id))
        answer = await service.contact_permission(
            info.context.store,
            info.context.rules,
            str(customer_id),
            own,
            value_of(purpose),
            value_of(mode),
            clock.parse(at) if at else None,
        )
        return contact_permission_of(answer.customer_id, answer.permission)

    @strawberry.field(
        description="A customer's consents to marketing and withdrawals (opt-outs) with their evidence, newest "
        "first (a merged customer's included)."
    )
    async def marketing_consents(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MarketingConsent]:
        info.context.caller.require("plan_contact")
        await _require_acting_for(info, str(customer_id))
        page = window(first, after, last, before)
        live, kept = await service.consents_of(info.context.store, str(customer_id))
        return in_memory(
            MARKETING_CONSENTS,
            kept,
            lambda row: (row["at"], row["id"]),
            lambda row: marketing_consent(live, row),
            page,
            descending=True,
        )

    @strawberry.field(
        description="The unified contact work list from one day to another (at most 31, the operator's calendar), "
        "in time order: one channel's (a channel role reads its own) or one employee's (a key bound to an employee "
        "reads its own)."
    )
    async def contact_work_list(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from", description="The first day.")],
        to: Annotated[date, strawberry.argument(description="The last day, included.")],
        channel: Channel | None = None,
        employee: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ContactPlan]:
        caller = info.context.caller
        caller.require("contact_work_list")
        own = caller.role.channel
        wanted = value_of(channel) or own
        if own and wanted != own:
            raise Forbidden(f"role {caller.role_name} reads the work list of {own}, not {wanted}")
        # A key bound to an employee reads that employee's list, unless its role reads the team's.
        whose = str(employee) if employee else None
        if caller.employee and not caller.can("team_work"):
            if whose not in (None, caller.employee):
                raise Forbidden(f"role {caller.role_name} reads its own employee's work list, not {whose}'s")
            whose = caller.employee
        if wanted is None and whose is None:
            raise BadInput("give channel or employee", [("channel", "required")])
        page = window(first, after, last, before)
        found = await service.work_list(info.context.store, wanted, whose, from_, to)
        return in_memory(
            CONTACT_WORK_LIST,
            found,
            lambda item: (item[1]["at"], item[1]["id"]),
            lambda item: contact_plan(*item),
            page,
        )


@strawberry.type
class ContactPlanningMutation:
    @strawberry.mutation(
        description="Put a touch on the unified contact work list; refused (userErrors with the rule and the next "
        "allowed instant, and the permission) when a rule forbids it then, or when another channel already "
        "planned marketing with the customer that calendar week. Planned touches count against the caps."
    )
    async def plan_contact(self, info: Info, plan: ContactPlanInput) -> PlanContactPayload:
        caller = info.context.caller
        caller.require("plan_contact")
        own = _channel_of(info, value_of(plan.channel))
        await _require_acting_for(info, str(plan.customer_id))

        async def work() -> service.PlanOutcome:
            return await service.plan_contact(
                info.context.store,
                info.context.rules,
                service.PlanInput(
                    str(plan.customer_id),
                    own,
                    value_of(plan.purpose),
                    clock.parse(plan.at),
                    value_of(plan.mode),
                    str(plan.employee_id) if plan.employee_id else None,
                    plan.summary,
                ),
                caller.name,
            )

        outcome, errors = await attempt(work, "plan")
        if outcome is None:
            return PlanContactPayload(plan=None, permission=None, user_errors=errors)
        answer = contact_permission_of(outcome.customer_id, outcome.permission)
        if outcome.plan is None:
            return PlanContactPayload(plan=None, permission=answer, user_errors=_refusals(outcome.permission))
        return PlanContactPayload(
            plan=contact_plan(outcome.customer_id, outcome.plan), permission=answer, user_errors=[]
        )

    @strawberry.mutation(description="Take a planned touch off the work list (a plan done or cancelled stays).")
    async def cancel_contact_plan(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> CancelContactPlanPayload:
        caller = info.context.caller
        caller.require("plan_contact")

        async def work() -> tuple[str, dict[str, Any]]:
            return await service.cancel_plan(info.context.store, str(id), reason, caller.role.channel, caller.name)

        found, errors = await attempt(work, "id")
        if found is None:
            return CancelContactPlanPayload(plan=None, user_errors=errors)
        return CancelContactPlanPayload(plan=contact_plan(*found), user_errors=[])

    @strawberry.mutation(
        description="Record a consent to marketing or its withdrawal (an opt-out: all marketing, or one mode or "
        "channel) with its evidence; kept at least 5 months (rules.toml), never changed: a change of mind is a "
        "new record."
    )
    async def record_consent(self, info: Info, consent: ConsentInput) -> RecordConsentPayload:
        caller = info.context.caller
        caller.require("record_consent")
        own = _channel_of(info, value_of(consent.channel))
        await _require_acting_for(info, str(consent.customer_id))

        async def work() -> tuple[str, dict[str, Any]]:
            return await service.record_consent(
                info.context.store,
                info.context.rules,
                service.ConsentInput(
                    str(consent.customer_id),
                    consent.granted,
                    value_of(consent.evidence),
                    consent.evidence_reference,
                    own,
                    clock.parse(consent.at) if consent.at else None,
                    value_of(consent.mode),
                    value_of(consent.scope_channel),
                    str(consent.employee_id) if consent.employee_id else None,
                ),
                caller.name,
            )

        kept, errors = await attempt(work, "consent")
        if kept is None:
            return RecordConsentPayload(consent=None, user_errors=errors)
        return RecordConsentPayload(consent=marketing_consent(*kept), user_errors=[])
