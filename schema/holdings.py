"""GraphQL types of what a customer holds: accounts, subscriptions, offerings, opportunities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.services.customer_view import Holdings
from schema.context import Info
from schema.enums import (
    AccountStatus,
    AccountType,
    Channel,
    OpportunityKind,
    OpportunityStage,
    ProductType,
    SubscriptionStatus,
)
from schema.pagination import SUBSCRIPTIONS, Connection, in_memory, window
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.opportunities import OpportunityHandOff


def _subscriptions(
    items: list[Subscription], first: int | None, after: str | None, last: int | None, before: str | None
) -> Connection[Subscription]:
    return in_memory(SUBSCRIPTIONS, items, lambda s: (s.id,), lambda s: s, window(first, after, last, before))


@strawberry.type(
    description="A product offering (销售品) the customer bought; a bundle (融合套餐) groups subscriptions."
)
class Offering:
    code: str = strawberry.field(description="The offering's code in the product catalogue.")
    name: str | None = strawberry.field(description="The offering's name.")
    is_bundle: bool = strawberry.field(description="Several of the customer's subscriptions share it.")
    items: strawberry.Private[list[Subscription]]

    @strawberry.field(description="The customer's subscriptions under this offering, by id.")
    def subscriptions(
        self, first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None
    ) -> Connection[Subscription]:
        return _subscriptions(self.items, first, after, last, before)


# Service numbers that are a person's phone number: shown as the caller's role shows phones.
PHONE_PRODUCTS = frozenset({"mobile", "fixed"})


@strawberry.type(description="A subscription (用户): a mobile line, a fixed line, broadband, IPTV or a payphone.")
class Subscription:
    id: strawberry.ID = strawberry.field(description="The subscription's record id.")
    number: strawberry.Private[str]
    customer_id: strawberry.Private[str]
    product_type: ProductType = strawberry.field(description="What it is (产品类型).")
    status: SubscriptionStatus = strawberry.field(description="Where it stands.")
    offering_code: str | None = strawberry.field(description="The offering it was sold under.")
    start_date: str | None = strawberry.field(description="The day it started (YYYY-MM-DD, the operator's calendar).")
    end_date: str | None = strawberry.field(description="The day its contract ends (YYYY-MM-DD), if any.")
    account_id: strawberry.ID | None = strawberry.field(description="The account that pays for it.")

    @strawberry.field(description="A mobile or fixed-line number is a phone: masked where the caller's phones are.")
    def service_number(self, info: Info) -> str | None:
        if self.product_type not in PHONE_PRODUCTS:
            return self.number
        return info.context.caller.show("phone", self.number, self.customer_id) or ""


@strawberry.type(description="A billing account (账户) of the customer.")
class Account:
    id: strawberry.ID = strawberry.field(description="The account's record id.")
    account_type: AccountType = strawberry.field(description="Prepaid or postpaid.")
    status: AccountStatus = strawberry.field(description="Where it stands.")
    opened_on: str | None = strawberry.field(description="The day it was opened (YYYY-MM-DD, the operator's calendar).")
    items: strawberry.Private[list[Subscription]]

    @strawberry.field(description="The subscriptions this account pays for, by id.")
    def subscriptions(
        self, first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None
    ) -> Connection[Subscription]:
        return _subscriptions(self.items, first, after, last, before)


@strawberry.type(description="A lead or an opportunity (商机) a channel captured, and how far its hand-off got.")
class Opportunity:
    id: strawberry.ID = strawberry.field(description="The opportunity's record id.")
    kind: OpportunityKind = strawberry.field(description="Lead (the need is vague) or opportunity (a product named).")
    need: str = strawberry.field(description="What the customer needs, in the capturing channel's words.")
    stage: OpportunityStage = strawberry.field(description="How far its hand-off got.")
    channel: Channel = strawberry.field(description="The channel that first heard of the need (接触渠道).")
    captured_at: DateTime = strawberry.field(description="When it was captured.")
    product: str | None = strawberry.field(description="The product the customer named, if any.")
    contact_person: str | None = strawberry.field(description="Whom to talk to (联系人).")
    key_person: bool = strawberry.field(description="The contact person is a key person (关键人) of the organisation.")
    claimed_by: str | None = strawberry.field(description="The employee who claimed it: id.")
    claimed_by_name: str | None = strawberry.field(description="The employee who claimed it: name.")
    claimed_at: DateTime | None = strawberry.field(description="When it was claimed.")
    key_person_name: str | None = strawberry.field(
        description="The organisation's key person (关键人) when not the contact person."
    )
    enterprise_facts: str | None = strawberry.field(description="What the channel learnt of the enterprise.")
    # The hand-off when already read with the opportunity (the inbox, the board), else read when asked.
    prepared: strawberry.Private[Any] = None

    @strawberry.field(
        description="Its hand-off between channels (商机转移): where it is, whether it is late, every step with "
        "who, when and why, and its call-back; null for one that came in a file, which has no hand-off here."
    )
    async def hand_off(
        self, info: Info
    ) -> Annotated[OpportunityHandOff, strawberry.lazy("schema.opportunities")] | None:
        from schema.opportunities import hand_off_of

        return await hand_off_of(info, self)


def opportunity_of(o: dict[str, Any], prepared: Any = None) -> Opportunity:
    """An opportunity from its stored properties and the employee who claimed it (``claimed_by``)."""
    return Opportunity(
        id=o["id"],
        kind=o["kind"],
        need=o["need"],
        stage=o["stage"],
        channel=o["channel"],
        captured_at=o["captured_at"],
        product=o.get("product"),
        contact_person=o.get("contact_person"),
        key_person=bool(o.get("key_person")),
        claimed_by=(o.get("claimed_by") or {}).get("id"),
        claimed_by_name=(o.get("claimed_by") or {}).get("name"),
        claimed_at=o.get("claimed_at"),
        key_person_name=o.get("key_person_name"),
        enterprise_facts=o.get("enterprise_facts"),
        prepared=prepared,
    )


def opportunities_of(holdings: Holdings) -> list[Opportunity]:
    return [opportunity_of(o) for o in holdings.opportunities]


def subscription_of(row: dict[str, Any], customer_id: str) -> Subscription:
    return Subscription(
        id=row["id"],
        number=row["service_no"],
        customer_id=customer_id,
        product_type=row["product_type"],
        status=row["status"],
        offering_code=row.get("offering_code"),
        start_date=row.get("start_date"),
        end_date=row.get("end_date"),
        account_id=row.get("account_id"),
    )


def accounts_of(holdings: Holdings, customer_id: str) -> list[Account]:
    by_account: dict[str, list[Subscription]] = {}
    for row in holdings.subscriptions:
        if row.get("account_id"):
            by_account.setdefault(row["account_id"], []).append(subscription_of(row, customer_id))
    return [
        Account(
            id=a["id"],
            account_type=a["account_type"],
            status=a["status"],
            opened_on=a.get("opened_at"),
            items=by_account.get(a["id"], []),
        )
        for a in holdings.accounts
    ]


def offerings_of(holdings: Holdings, customer_id: str) -> list[Offering]:
    grouped: dict[str, tuple[dict[str, Any], list[Subscription]]] = {}
    for row in holdings.subscriptions:
        offering = row.get("offering")
        if offering:
            grouped.setdefault(offering["id"], (offering, []))[1].append(subscription_of(row, customer_id))
    return [
        Offering(code=code, name=o.get("name"), is_bundle=len(subs) > 1, items=subs)
        for code, (o, subs) in sorted(grouped.items())
    ]
