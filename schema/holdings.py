"""GraphQL types of what a customer holds: accounts, subscriptions, offerings, opportunities."""

from __future__ import annotations

from typing import Any

import strawberry

from app import clock
from app.services.customer_view import Holdings
from schema.context import Info


@strawberry.type
class Offering:
    code: str
    name: str | None
    is_bundle: bool = strawberry.field(description="Several of the customer's subscriptions share it.")
    subscriptions: list[Subscription]


# Service numbers that are a person's phone number: shown as the caller's role shows phones.
PHONE_PRODUCTS = frozenset({"mobile", "fixed"})


@strawberry.type
class Subscription:
    id: str
    number: strawberry.Private[str]
    customer_id: strawberry.Private[str]
    product_type: str
    status: str
    offering_code: str | None
    start_date: str | None
    end_date: str | None
    account_id: str | None

    @strawberry.field(description="A mobile or fixed-line number is a phone: masked where the caller's phones are.")
    def service_number(self, info: Info) -> str | None:
        if self.product_type not in PHONE_PRODUCTS:
            return self.number
        return info.context.caller.show("phone", self.number, self.customer_id) or ""


@strawberry.type
class Account:
    id: str
    account_type: str
    status: str
    opened_at: str | None
    subscriptions: list[Subscription]


@strawberry.type(description="A lead or an opportunity (商机) a channel captured, and how far its hand-off got.")
class Opportunity:
    id: str
    kind: str = strawberry.field(description="lead (the need is vague) or opportunity (the customer named a product).")
    need: str
    stage: str = strawberry.field(description="captured, handed_over, claimed, returned, won or lost.")
    channel: str = strawberry.field(description="The channel that first heard of the need (接触渠道).")
    captured_at: str
    product: str | None
    contact_person: str | None
    key_person: bool
    claimed_by: str | None = strawberry.field(description="The employee who claimed it: id.")
    claimed_by_name: str | None
    claimed_at: str | None


def opportunities_of(holdings: Holdings) -> list[Opportunity]:
    return [
        Opportunity(
            id=o["id"],
            kind=o["kind"],
            need=o["need"],
            stage=o["stage"],
            channel=o["channel"],
            captured_at=clock.render(o["captured_at"]),
            product=o.get("product"),
            contact_person=o.get("contact_person"),
            key_person=bool(o.get("key_person")),
            claimed_by=(o.get("claimed_by") or {}).get("id"),
            claimed_by_name=(o.get("claimed_by") or {}).get("name"),
            claimed_at=clock.render(o.get("claimed_at")),
        )
        for o in holdings.opportunities
    ]


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
            opened_at=a.get("opened_at"),
            subscriptions=by_account.get(a["id"], []),
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
        Offering(code=code, name=o.get("name"), is_bundle=len(subs) > 1, subscriptions=subs)
        for code, (o, subs) in sorted(grouped.items())
    ]
