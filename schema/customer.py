"""The GraphQL customer: one customer as every channel sees it. Thin: data comes from the loaders,
masking from the caller, and the golden attributes from the customer declaration (app/customer.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON

from app import clock
from app.access import Caller
from app.customer import SHOWN, Attribute
from app.errors import BadInput
from app.fields import Invalid, an_instant
from app.services.customer_view import ContactPage, Relations
from app.vocabulary import HOUSEHOLD_SEGMENT
from schema.contacts import ContactConnection, contact_page
from schema.context import Info
from schema.holdings import (
    Account,
    Offering,
    Opportunity,
    Subscription,
    accounts_of,
    offerings_of,
    opportunities_of,
    subscription_of,
)
from schema.limits import DEFAULT_PAGE, page_size
from schema.loaders import now_or_later
from schema.pagination import CONTACTS


@strawberry.type
class Provenance:
    attribute: str
    source_record: str


@strawberry.type
class Employee:
    id: str
    name: str
    role: str
    local_network: str | None


@strawberry.type
class AccountManager:
    role: str = strawberry.field(description="A: primary manager; B: backup with the same rights.")
    employee: Employee


@strawberry.type
class OrganisationLink:
    customer_id: str
    name: str | None
    segment: str | None
    key_person: bool
    title: str | None


@strawberry.type
class SourceRecord:
    id: str
    source: str
    source_id: str
    fields: JSON
    loaded_at: str | None
    changed_at: str | None
    why: JSON | None


@strawberry.type
class Tier:
    star_level: int
    average_monthly_spend: float
    vip_card: str | None
    tags: list[str]
    entitlements: list[str]


def _account_managers(relations: Relations) -> list[AccountManager]:
    return [
        AccountManager(
            role=m.get("role") or "A",
            employee=Employee(
                id=m["id"],
                name=m.get("name", ""),
                role=m.get("role_name", "") or "account_manager",
                local_network=m.get("local_network"),
            ),
        )
        for m in sorted(relations.managers, key=lambda m: (m.get("role") or "", m["id"]))
    ]


def _organisation_links(links: list[dict[str, Any]]) -> list[OrganisationLink]:
    return [
        OrganisationLink(
            customer_id=m["id"],
            name=m.get("name"),
            segment=m.get("segment"),
            key_person=bool(m.get("key_person")),
            title=m.get("title"),
        )
        for m in links
    ]


def _in_households(links: list[dict[str, Any]], wanted: bool) -> list[dict[str, Any]]:
    return [m for m in links if (m.get("segment") == HOUSEHOLD_SEGMENT) == wanted]


@strawberry.type
class MergeEvent:
    id: str
    kind: str
    at: str
    decided_by: str | None
    survivor: str
    absorbed: str
    undone_at: str | None
    moved_records: list[str]
    explanation: JSON


def _why(text: str | None) -> Any:
    """Versions before session 6 wrote plain text for records resolved one at a time: shown as a note."""
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"note": text}


def merge_event(raw: dict[str, Any], caller: Caller, customer_id: str) -> MergeEvent:
    """An explanation may carry a record's values: shown as the caller may see them."""
    return MergeEvent(
        id=raw["id"],
        kind=raw["kind"],
        at=clock.render(raw["at"]),
        decided_by=raw.get("decided_by"),
        survivor=raw["survivor"],
        absorbed=raw["absorbed"],
        undone_at=clock.render(raw.get("undone_at")),
        moved_records=list(raw.get("moved_records") or []),
        explanation=caller.show_fields(orjson.loads(raw.get("explanation") or "{}"), customer_id),
    )


def _bound(argument: str, value: str | None) -> str | None:
    """A time filter in the stored form, so that it compares as an instant whatever offset it came in."""
    if value is None:
        return None
    try:
        return an_instant(value)
    except Invalid as exc:
        raise BadInput(f"{argument}: {exc}", [(argument, str(exc))]) from None


# (GraphQL field, golden key, is a list) of each plain attribute the declaration shows.
_PLAIN = tuple((a.graphql, a.key, a.graphql_type == "list[str]") for a in SHOWN if a.graphql and not a.personal)


def _personal(attribute: Attribute) -> Callable[..., Any]:
    """The resolver of a personal attribute: shown as the caller's role may see it (full, masked or
    refused), and a full read is audited."""
    key, personal = attribute.key, attribute.personal or ""
    if attribute.graphql_type == "list[str]":

        def show_each(self, info: Info) -> list[str] | None:  # type: ignore[no-untyped-def]
            return [info.context.caller.show(personal, v, self.raw["id"]) or "" for v in self.raw.get(key) or []]

        return show_each

    def show(self, info: Info) -> str | None:  # type: ignore[no-untyped-def]
        return info.context.caller.show(personal, self.raw.get(key), self.raw["id"], self.raw.get("cert_type"))

    return show


def _golden_attributes(cls: type) -> type:
    """Give the type a field for each attribute the customer declaration shows, before strawberry
    reads the class: plain ones as fields without a resolver, personal ones through the caller."""
    for attribute in SHOWN:
        name = attribute.graphql or attribute.key
        description = attribute.description or None
        if attribute.personal:
            setattr(cls, name, strawberry.field(resolver=_personal(attribute), description=description))
        elif attribute.graphql_type == "list[str]":
            cls.__annotations__[name] = "list[str]"
            setattr(cls, name, strawberry.field(default_factory=list, description=description))
        else:
            cls.__annotations__[name] = "str | None"
            setattr(cls, name, strawberry.field(default=None, description=description))
    return cls


@strawberry.type(description="One customer as every channel sees it (一个客户、一个标识码、一份客户视图).")
@_golden_attributes
class Customer:
    raw: strawberry.Private[dict[str, Any]]
    requested_id: strawberry.Private[str]
    # Plain attributes, filled from the golden record: a field without a resolver costs
    # strawberry a fraction of one with a resolver, and a view reads dozens of them. The golden
    # attributes are added from the customer declaration by _golden_attributes.
    id: str = ""
    redirected_from: str | None = strawberry.field(
        default=None, description="Set when the id asked for was merged into this customer."
    )
    version: int = strawberry.field(default=0, description="Changes on every change to this customer's view.")
    status: str = "active"

    def __post_init__(self) -> None:
        raw = self.raw
        self.id = raw["id"]
        self.redirected_from = self.requested_id if self.requested_id != raw["id"] else None
        self.version = int(raw.get("version") or 0)
        self.status = raw.get("status", "active")
        for name, key, many in _PLAIN:
            value = raw.get(key)
            setattr(self, name, list(value or []) if many else value)

    @strawberry.field(description="Which source record each golden attribute came from.")
    def provenance(self) -> list[Provenance]:
        data = orjson.loads(self.raw.get("provenance") or "{}")
        return [Provenance(attribute=k, source_record=v) for k, v in sorted(data.items())]

    @strawberry.field
    def tier(self, info: Info) -> Tier:
        return info.context.loaders.tier_now_or_later(
            self.raw,
            lambda tier: Tier(
                star_level=tier.star,
                average_monthly_spend=tier.average_spend,
                vip_card=self.raw.get("vip_card"),
                tags=tier.tags,
                entitlements=tier.entitlements,
            ),
        )

    @strawberry.field
    def account_managers(self, info: Info) -> list[AccountManager]:
        return now_or_later(info.context.loaders.relations, self.raw["id"], _account_managers)

    @strawberry.field
    def accounts(self, info: Info) -> list[Account]:
        customer_id = self.raw["id"]
        return now_or_later(info.context.loaders.holdings, customer_id, lambda h: accounts_of(h, customer_id))

    @strawberry.field
    def subscriptions(self, info: Info) -> list[Subscription]:
        return now_or_later(
            info.context.loaders.holdings,
            self.raw["id"],
            lambda holdings: [subscription_of(row, self.raw["id"]) for row in holdings.subscriptions],
        )

    @strawberry.field(description="What the customer bought; a bundle shows once with all its subscriptions.")
    def offerings(self, info: Info) -> list[Offering]:
        customer_id = self.raw["id"]
        return now_or_later(info.context.loaders.holdings, customer_id, lambda h: offerings_of(h, customer_id))

    @strawberry.field(description="Leads and opportunities captured for this customer, newest first.")
    def opportunities(self, info: Info) -> list[Opportunity]:
        return now_or_later(info.context.loaders.holdings, self.raw["id"], opportunities_of)

    @strawberry.field(description="Contacts across all channels, newest first.")
    def contacts(
        self,
        info: Info,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
        channel: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ContactConnection:
        size = page_size(first)
        before_at, before_id = CONTACTS.after(after) or (None, None)
        page = ContactPage(
            self.raw["id"], size, channel, kind, _bound("since", since), _bound("until", until), before_at, before_id
        )
        return now_or_later(info.context.loaders.contacts, page, lambda found: contact_page(size, *found))

    @strawberry.field(description="Organisations this customer belongs to (key person or member).")
    def member_of(self, info: Info) -> list[OrganisationLink]:
        return now_or_later(
            info.context.loaders.relations,
            self.raw["id"],
            lambda relations: _organisation_links(_in_households(relations.member_of, False)),
        )

    @strawberry.field(description="The household customer (家庭) this customer is a member of, if any.")
    def household(self, info: Info) -> OrganisationLink | None:
        return now_or_later(
            info.context.loaders.relations,
            self.raw["id"],
            lambda relations: next(iter(_organisation_links(_in_households(relations.member_of, True))), None),
        )

    @strawberry.field(description="For an organisation: its members and key persons.")
    def members(self, info: Info) -> list[OrganisationLink]:
        return now_or_later(
            info.context.loaders.relations, self.raw["id"], lambda relations: _organisation_links(relations.members)
        )

    @strawberry.field(
        description="Every merge, unmerge and split this customer took part in, newest first "
        "(steward and analyst roles; null with a FORBIDDEN error for others)."
    )
    async def merge_history(self, info: Info) -> list[MergeEvent] | None:
        info.context.caller.require("merge_history")
        events = await info.context.loaders.merge_history.load(self.raw["id"])
        return [merge_event(e, info.context.caller, self.raw["id"]) for e in events]

    @strawberry.field(
        description="The source records behind this customer (steward and analyst roles; null with a "
        "FORBIDDEN error for others). A field no customer record declares is shown as free text: all stars "
        "unless the role sees every personal field in full."
    )
    async def source_records(self, info: Info) -> list[SourceRecord] | None:
        caller = info.context.caller
        caller.require("source_records")
        rows = await info.context.loaders.source_records.load(self.raw["id"])
        return [
            SourceRecord(
                id=r["record_id"],
                source=r["source"],
                source_id=r["source_id"],
                fields=caller.show_record(orjson.loads(r["fields"] or "{}"), self.raw["id"]),
                loaded_at=clock.render(r.get("loaded_at")),
                changed_at=clock.render(r.get("changed_at")),
                why=caller.show_fields(_why(r.get("why")), self.raw["id"]),
            )
            for r in rows
        ]
