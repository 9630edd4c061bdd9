"""The GraphQL opportunity hand-off (商机转移, DOMAIN.md §8): capture from any channel, the receiver's
inbox with claim, return and close, the operations centre's board and dispatch, what a channel captured
with its whole history, and the call-backs after a sale. Thin over app/services/opportunities: every
step is checked and written there, and lateness is computed when read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry

from app import clock
from app.access import Forbidden
from app.errors import BadInput, NotFoundError
from app.services import opportunities as service
from app.services.channel_writes import api_source
from app.services.opportunities import Actor, HandOff
from schema.context import Info
from schema.customer import Customer
from schema.enums import (
    Channel,
    ContactKind,
    ContactOutcome,
    OpportunityEscalation,
    OpportunityEventKind,
    OpportunityKind,
    SatisfactionResult,
    value_of,
)
from schema.holdings import Opportunity, opportunity_of
from schema.pagination import (
    CALL_BACKS,
    CAPTURED_OPPORTUNITIES,
    OPPORTUNITY_BOARD,
    OPPORTUNITY_INBOX,
    Connection,
    Order,
    in_memory,
    window,
)
from schema.payloads import UserError, attempt
from schema.scalars import DateTime
from schema.view_plan import view_parts


@strawberry.type(description="A step of an opportunity's hand-off: who took it, when, why and to whom.")
class OpportunityStep:
    id: strawberry.ID = strawberry.field(description="The step's id.")
    kind: OpportunityEventKind = strawberry.field(description="What happened.")
    at: DateTime = strawberry.field(description="When.")
    channel: Channel | None = strawberry.field(description="The channel that took the step; null for the system.")
    employee_id: strawberry.ID | None = strawberry.field(description="The employee who took it, when known.")
    by_system: bool = strawberry.field(description="The system took it (the first transfer is automatic).")
    reason: str | None = strawberry.field(description="Why, in the words given (a return always says why).")
    to_channel: Channel | None = strawberry.field(description="Where it went: the receiving channel.")
    to_employee_id: strawberry.ID | None = strawberry.field(description="Where it went: the receiving employee.")


@strawberry.type(description="A call-back after a won sale (售后回访), due within the configured working days.")
class CallBack:
    id: strawberry.ID = strawberry.field(description="The call-back's id.")
    opportunity_id: strawberry.ID = strawberry.field(description="The opportunity whose sale it follows up.")
    customer_id: strawberry.ID | None = strawberry.field(description="The customer to call back.")
    employee_id: strawberry.ID | None = strawberry.field(
        description="Who calls back: the owner, or the employee following up a sale the channel completed; null: "
        "the operations centre."
    )
    due_at: DateTime | None = strawberry.field(description="When it is due; null in a year no calendar knows.")
    done_at: DateTime | None = strawberry.field(description="When it was done.")
    overdue: bool = strawberry.field(description="Not done and past its due time, as of the request.")


@strawberry.type(description="Where an opportunity's hand-off is, whether it is late, and every step so far.")
class OpportunityHandOff:
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer holding it (null: the channel could not tell)."
    )
    receiving_channel: Channel = strawberry.field(
        description="The channel it is with: an account manager, an agent, or the operations centre's queue."
    )
    routed_to_id: strawberry.ID | None = strawberry.field(description="The employee it was handed over to.")
    covered_by_id: strawberry.ID | None = strawberry.field(
        description="The phone account manager covering a core agent's opportunity."
    )
    owner_id: strawberry.ID | None = strawberry.field(description="The employee who claimed it and owns it.")
    escalated: bool = strawberry.field(description="Late, as of the request: on the operations centre's board.")
    escalation: OpportunityEscalation | None = strawberry.field(description="Why it is late.")
    next_due_at: DateTime | None = strawberry.field(description="When the claim or the next step is due.")
    unknown_calendar: bool = strawberry.field(
        description="Its working-day limit falls in a year no working calendar knows: flagged, not guessed."
    )
    steps: list[OpportunityStep] = strawberry.field(description="Every step, in time order.")
    call_back: CallBack | None = strawberry.field(description="The call-back after a won sale.")


def call_back_of(task: dict[str, Any], opportunity: str, customer_id: str | None, overdue: bool) -> CallBack:
    return CallBack(
        id=strawberry.ID(task["id"]),
        opportunity_id=strawberry.ID(opportunity),
        customer_id=strawberry.ID(customer_id) if customer_id else None,
        employee_id=task.get("employee"),
        due_at=task.get("due_at"),
        done_at=task.get("done_at"),
        overdue=overdue,
    )


def hand_off(found: HandOff) -> OpportunityHandOff:
    o, late, task = found.opportunity, found.escalation, found.call_back
    return OpportunityHandOff(
        customer_id=strawberry.ID(found.customer_id) if found.customer_id else None,
        receiving_channel=o["queue"],
        routed_to_id=o.get("routed_to"),
        covered_by_id=o.get("covered_by"),
        owner_id=o.get("owner"),
        escalated=late.escalated,
        escalation=late.reason,
        next_due_at=DateTime(clock.instant(late.due_at)) if late.due_at else None,
        unknown_calendar=late.unknown_calendar,
        steps=[
            OpportunityStep(
                id=strawberry.ID(e["id"]),
                kind=e["kind"],
                at=e["at"],
                channel=e.get("channel"),
                employee_id=e.get("employee"),
                by_system=bool(e.get("by_system")),
                reason=e.get("reason"),
                to_channel=e.get("to_channel"),
                to_employee_id=e.get("to_employee"),
            )
            for e in found.events
        ],
        call_back=call_back_of(task, found.id, found.customer_id, service.overdue(task)) if task else None,
    )


def opportunity(found: HandOff) -> Opportunity:
    return opportunity_of({**found.opportunity, "claimed_by": found.claimed_by}, found)


async def hand_off_of(info: Info, shown: Opportunity) -> OpportunityHandOff | None:
    """An opportunity's hand-off: as read with it, or read now (a customer's opportunities)."""
    found = shown.prepared or await info.context.loaders.hand_offs.load(str(shown.id))
    if found is None or not found.opportunity.get("queue"):
        return None
    return hand_off(found)


def _actor(info: Info, asked: str | None = None) -> Actor:
    caller = info.context.caller
    assert caller is not None  # the API authenticates every request
    own = caller.role.channel
    if asked and own and asked != own:
        raise Forbidden(f"role {caller.role_name} acts as channel {own}, not {asked}")
    channel = asked or own
    if not channel:
        raise BadInput("say which channel this comes from (argument channel)", [("channel", "required")])
    return Actor(channel, caller.employee, caller.name)


def _page(
    order: Order, found: Sequence[HandOff], first: int | None, after: str | None, last: int | None, before: str | None
) -> Connection[Opportunity]:
    return in_memory(
        order,
        found,
        lambda h: (str(h.opportunity["captured_at"]), h.id),
        opportunity,
        window(first, after, last, before),
        descending=True,
    )


@strawberry.input(description="A lead or opportunity (商机) a channel heard of.")
class CaptureOpportunityInput:
    kind: OpportunityKind = strawberry.field(description="A lead (the need is vague) or an opportunity.")
    need: ContactKind = strawberry.field(description="The demand type (客户需求分类): purchase, renewal, change, ...")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The customer, when the channel knows it; left out, the operations centre dispatches.",
    )
    product: str | None = strawberry.field(default=None, description="The product the customer named.")
    contact_person: str | None = strawberry.field(default=None, description="Whom to talk to (联系人).")
    key_person: bool = strawberry.field(
        default=False, description="The contact person is a key person (关键人) of the organisation."
    )
    key_person_name: str | None = strawberry.field(
        default=None, description="The organisation's key person, when not the contact person."
    )
    enterprise_facts: str | None = strawberry.field(
        default=None, description="What the channel learnt of the enterprise: size, informatisation, ..."
    )
    completed_by_channel: bool = strawberry.field(
        default=False,
        description="The capturing channel completed the sale itself: closed won at once; it is still routed, "
        "for the follow-up call-back (a sale in the hall still gets an agent).",
    )
    note: str | None = strawberry.field(default=None, description="What the customer said, in a few words.")


@strawberry.type(description="What an opportunity step answers: the opportunity as it now stands.")
class OpportunityPayload:
    opportunity: Opportunity | None = strawberry.field(description="The opportunity after the step.")
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was done (a second claim, a step on a closed one, ...)."
    )


@strawberry.type(description="What completeCallBack answers: the customer the call was recorded on.")
class CompleteCallBackPayload:
    customer: Customer | None = strawberry.field(description="The customer as every channel now sees it.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded, when it was not.")


async def _step(info: Info, work: Callable[[], Awaitable[str]], argument: str) -> OpportunityPayload:
    done, errors = await attempt(work, argument)
    if done is None:
        return OpportunityPayload(opportunity=None, user_errors=errors)
    found = await service.read_opportunities(info.context.store, info.context.rules, [done])
    return OpportunityPayload(opportunity=opportunity(found[0]) if found else None, user_errors=[])


def _may_read(info: Info, found: HandOff) -> bool:
    """The capturing channel, the employees it is with and the operations centre read an opportunity."""
    caller = info.context.caller
    assert caller is not None
    o = found.opportunity
    captured_here = caller.role.channel is not None and o.get("source") == api_source(caller.role.channel)
    return caller.can("dispatch_opportunity") or captured_here or found.involves(caller.employee)


@strawberry.type
class OpportunityQuery:
    @strawberry.field(
        description="The caller's inbox: open opportunities handed over to, claimed by or covered by the key's "
        "employee, newest first."
    )
    async def opportunity_inbox(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Opportunity]:
        caller = info.context.caller
        assert caller is not None
        caller.require("claim_opportunity")
        if not caller.employee:
            raise BadInput("an inbox is an employee's: this key is bound to no employee")
        found = await service.inbox(info.context.store, info.context.rules, caller.employee)
        return _page(OPPORTUNITY_INBOX, found, first, after, last, before)

    @strawberry.field(
        description="The operations centre's board: opportunities waiting for its dispatch, returned ones and "
        "escalated ones (unclaimed or stalled past the configured times), newest first."
    )
    async def opportunity_board(
        self,
        info: Info,
        escalated_only: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Opportunity]:
        info.context.caller.require("dispatch_opportunity")  # type: ignore[union-attr]
        found = await service.board(info.context.store, info.context.rules)
        if escalated_only:
            found = [h for h in found if h.escalation.escalated]
        return _page(OPPORTUNITY_BOARD, found, first, after, last, before)

    @strawberry.field(
        description="What the caller's channel captured, with each one's state and history, newest first (an "
        "admin names the channel)."
    )
    async def captured_opportunities(
        self,
        info: Info,
        channel: Channel | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Opportunity]:
        info.context.caller.require("capture_opportunity")  # type: ignore[union-attr]
        actor = _actor(info, value_of(channel))
        found = await service.captured_by(info.context.store, info.context.rules, actor.channel)
        return _page(CAPTURED_OPPORTUNITIES, found, first, after, last, before)

    @strawberry.field(
        description="One opportunity with its hand-off: for the channel that captured it, the employees it is "
        "with and the operations centre."
    )
    async def opportunity(self, info: Info, id: strawberry.ID) -> Opportunity:
        found = await service.read_opportunities(info.context.store, info.context.rules, [str(id)])
        if not found:
            raise NotFoundError(f"no opportunity with id {str(id)!r}")
        if not _may_read(info, found[0]):
            raise Forbidden(f"opportunity {id} was not captured by your channel nor handed over to you")
        return opportunity(found[0])

    @strawberry.field(
        description="The call-backs after a sale due by the key's employee (and, for the operations centre, "
        "those for nobody), not yet done, the earliest due first."
    )
    async def call_backs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CallBack]:
        caller = info.context.caller
        assert caller is not None
        caller.require("call_back")
        unassigned = caller.can("dispatch_opportunity")
        if not caller.employee and not unassigned:
            raise BadInput("call-backs are an employee's: this key is bound to no employee")
        found = await service.call_backs(info.context.store, info.context.rules, caller.employee, unassigned)
        return in_memory(
            CALL_BACKS,
            found,
            lambda c: (str(c.call_back.get("due_at") or ""), str(c.call_back["id"])),
            lambda c: call_back_of(c.call_back, c.opportunity, c.customer_id, c.overdue),
            window(first, after, last, before),
        )


@strawberry.type
class OpportunityMutation:
    @strawberry.mutation(
        description="Capture a lead or opportunity from any channel: kept as the channel's source record and "
        "routed at once by the rules (the customer's account manager, else a core agent with the phone account "
        "manager covering, else the operations centre)."
    )
    async def capture_opportunity(
        self, info: Info, opportunity: CaptureOpportunityInput, channel: Channel | None = None
    ) -> OpportunityPayload:
        info.context.caller.require("capture_opportunity")  # type: ignore[union-attr]
        actor = _actor(info, value_of(channel))
        captured = service.Capture(
            kind=value_of(opportunity.kind),
            need=value_of(opportunity.need),
            customer_id=str(opportunity.customer_id) if opportunity.customer_id else None,
            product=opportunity.product,
            contact_person=opportunity.contact_person,
            key_person=opportunity.key_person,
            key_person_name=opportunity.key_person_name,
            enterprise_facts=opportunity.enterprise_facts,
            completed_by_channel=opportunity.completed_by_channel,
            note=opportunity.note,
        )
        return await _step(
            info, lambda: service.capture(info.context.store, info.context.rules, captured, actor), "opportunity"
        )

    @strawberry.mutation(
        description="Claim an opportunity handed over to the key's employee (认领): it owns it from then on. "
        "Of two claims at once one wins; the other gets a user error."
    )
    async def claim_opportunity(self, info: Info, id: strawberry.ID) -> OpportunityPayload:
        info.context.caller.require("claim_opportunity")  # type: ignore[union-attr]
        actor = _actor(info)
        return await _step(info, lambda: service.claim(info.context.store, info.context.rules, str(id), actor), "id")

    @strawberry.mutation(
        description="Return an opportunity handed over to (or claimed by) the key's employee to the operations "
        "centre for re-dispatch, saying why."
    )
    async def return_opportunity(self, info: Info, id: strawberry.ID, reason: str) -> OpportunityPayload:
        info.context.caller.require("claim_opportunity")  # type: ignore[union-attr]
        actor = _actor(info)
        return await _step(
            info,
            lambda: service.return_to_centre(info.context.store, info.context.rules, str(id), reason, actor),
            "reason",
        )

    @strawberry.mutation(
        description="The operations centre hands an open opportunity to an employee: a second transfer, a "
        "returned one re-dispatched, or one from its own queue."
    )
    async def dispatch_opportunity(
        self, info: Info, id: strawberry.ID, employee: strawberry.ID, reason: str | None = None
    ) -> OpportunityPayload:
        info.context.caller.require("dispatch_opportunity")  # type: ignore[union-attr]
        actor = _actor(info, "operations_centre")
        return await _step(
            info,
            lambda: service.dispatch(info.context.store, info.context.rules, str(id), str(employee), reason, actor),
            "employee",
        )

    @strawberry.mutation(
        description="The owner closes a claimed opportunity, won or lost; a won sale gets a call-back task."
    )
    async def close_opportunity(
        self, info: Info, id: strawberry.ID, won: bool, reason: str | None = None
    ) -> OpportunityPayload:
        info.context.caller.require("claim_opportunity")  # type: ignore[union-attr]
        actor = _actor(info)
        return await _step(
            info, lambda: service.close(info.context.store, info.context.rules, str(id), won, reason, actor), "id"
        )

    @strawberry.mutation(
        description="A call-back done: recorded as an outbound service call on the customer, with the "
        "satisfaction survey's answer (满意度)."
    )
    async def complete_call_back(
        self,
        info: Info,
        id: strawberry.ID,
        satisfaction: SatisfactionResult | None = None,
        outcome: ContactOutcome | None = None,
        summary: str | None = None,
    ) -> CompleteCallBackPayload:
        caller = info.context.caller
        assert caller is not None
        caller.require("call_back")
        actor = _actor(info)
        done = service.CallBackDone(summary, value_of(outcome), value_of(satisfaction))
        customer_id, errors = await attempt(
            lambda: service.complete_call_back(
                info.context.store, str(id), done, actor, caller.can("dispatch_opportunity")
            ),
            "id",
        )
        if customer_id is None:
            return CompleteCallBackPayload(customer=None, user_errors=errors)
        info.context.loaders.want(view_parts(info))
        raw = await info.context.loaders.require(customer_id)
        return CompleteCallBackPayload(customer=Customer(raw=raw, requested_id=customer_id), user_errors=[])
