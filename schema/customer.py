"""The GraphQL customer: one customer as every channel sees it. Thin: data comes from the loaders,
masking from the caller, and the golden attributes from the customer declaration (app/customer.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import strawberry
from strawberry.scalars import JSON

from app.access import Caller
from app.customer import SHOWN, Attribute
from app.fields import an_instant
from app.services.customer_view import ContactPage, Relations
from app.vocabulary import HOUSEHOLD_SEGMENT
from schema.contacts import Contact, contact_page
from schema.context import Info
from schema.enums import (
    Channel,
    ContactKind,
    CustomerStatus,
    EmployeeRole,
    ManagerRole,
    MergeEventKind,
    Segment,
    enum_named,
    value_of,
)
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
from schema.node import Node, fetcher
from schema.pagination import (
    ACCOUNTS,
    CONTACTS,
    MERGE_HISTORY,
    OFFERINGS,
    OPPORTUNITIES,
    ORGANISATION_LINKS,
    SOURCE_RECORDS,
    SUBSCRIPTIONS,
    Connection,
    Order,
    Window,
    in_memory,
    window,
)
from schema.scalars import DateTime
from schema.service import CustomerService, load_service
from schema.tiers import Tier, TierChange, tier_history_page, tier_type
from schema.view_plan import view_parts

if TYPE_CHECKING:
    from schema.contact_confirmation import PendingDuplicate


@strawberry.type(description="Which source record a golden attribute (黄金记录的字段) came from.")
class Provenance:
    attribute: str = strawberry.field(description="The golden attribute's name.")
    source_record: str = strawberry.field(description="The id of the source record its value came from.")


@strawberry.type(description="An employee of the operator (员工).")
class Employee:
    id: strawberry.ID = strawberry.field(description="The employee's record id.")
    name: str = strawberry.field(description="The employee's name.")
    role: EmployeeRole = strawberry.field(description="What the employee does.")
    local_network: str | None = strawberry.field(description="The local network the employee works in.")


@strawberry.type(description="An account manager (客户经理) of the customer.")
class AccountManager:
    role: ManagerRole = strawberry.field(
        description="A: the primary manager; B: the backup, acting while A is on leave."
    )
    employee: Employee = strawberry.field(description="Who it is.")


@strawberry.type(description="A membership: a person in an organisation or a household, or an organisation's member.")
class OrganisationLink:
    customer_id: strawberry.ID = strawberry.field(description="The other customer's id.")
    name: str | None = strawberry.field(description="The other customer's name.")
    segment: Segment | None = strawberry.field(description="The other customer's segment.")
    key_person: bool = strawberry.field(description="The person is a key person (关键人) of the organisation.")
    title: str | None = strawberry.field(description="The person's title in the organisation.")

    @strawberry.field(description="The other customer, as every channel sees it.")
    async def customer(self, info: Info) -> Customer | None:
        return await load_customer(info, str(self.customer_id))


@strawberry.type(
    description="A source record (源记录) behind a customer: a row of a source file or a channel's submission."
)
class SourceRecord:
    id: strawberry.ID = strawberry.field(description="The record id: source, kind and the source's own id.")
    source: str = strawberry.field(description="The source system.")
    source_id: strawberry.ID = strawberry.field(description="The record's id in its source.")
    fields: JSON = strawberry.field(
        description="The record as the source gave it, masked as the caller's role sees it."
    )
    loaded_at: DateTime | None = strawberry.field(description="When it was first loaded.")
    changed_at: DateTime | None = strawberry.field(description="When its content last changed.")
    why: JSON | None = strawberry.field(description="Why resolution placed it in this customer.")


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
            customer_id=strawberry.ID(m["id"]),
            name=m.get("name"),
            segment=m.get("segment"),
            key_person=bool(m.get("key_person")),
            title=m.get("title"),
        )
        for m in links
    ]


def _in_households(links: list[dict[str, Any]], wanted: bool) -> list[dict[str, Any]]:
    return [m for m in links if (m.get("segment") == HOUSEHOLD_SEGMENT) == wanted]


@strawberry.type(description="A merge (归并) or a split (拆分) of customers, and its undoing.")
class MergeEvent(Node):
    id: strawberry.ID = strawberry.field(description="The event's id.")
    kind: MergeEventKind = strawberry.field(description="A merge or a split.")
    at: DateTime = strawberry.field(description="When it happened.")
    decided_by: str | None = strawberry.field(description="Who decided it (a steward's key, or resolution).")
    survivor_id: strawberry.ID = strawberry.field(
        description="The customer that kept its id (or the new one of a split)."
    )
    absorbed_id: strawberry.ID = strawberry.field(
        description="The customer merged away (or split from); its id now answers the survivor."
    )
    undone_at: DateTime | None = strawberry.field(description="When it was undone (unmerge), if it was.")
    moved_records: list[str] = strawberry.field(description="The source records it moved.")
    explanation: JSON = strawberry.field(description="Why: the rule, the score or the steward's reason.")

    @strawberry.field(description="The surviving customer as it is now.")
    async def survivor(self, info: Info) -> Customer | None:
        return await load_customer(info, str(self.survivor_id))


def merge_event(raw: dict[str, Any], caller: Caller, customer_id: str) -> MergeEvent:
    """An explanation may carry a record's values: shown as the caller may see them."""
    return MergeEvent(
        id=raw["id"],
        kind=raw["kind"],
        at=raw["at"],
        decided_by=raw.get("decided_by"),
        survivor_id=strawberry.ID(raw["survivor"]),
        absorbed_id=strawberry.ID(raw["absorbed"]),
        undone_at=raw.get("undone_at"),
        moved_records=list(raw.get("moved_records") or []),
        explanation=caller.show_fields(orjson.loads(raw.get("explanation") or "{}"), customer_id),
    )


def merge_history_page(events: list[MergeEvent], window: Window) -> Connection[MergeEvent]:
    return in_memory(MERGE_HISTORY, events, lambda e: (e.at, e.id), lambda e: e, window, descending=True)


async def load_customer(info: Info, customer_id: str) -> Customer | None:
    """A customer another object refers to, through the request's loaders (a merged id answers the
    survivor); None when it no longer exists."""
    loaders = info.context.loaders
    loaders.want(view_parts(info))
    raw = await loaders.customer.load(customer_id)
    return None if raw is None else Customer(raw=raw, requested_id=customer_id)


def _why(text: str | None) -> Any:
    """Versions before session 6 wrote plain text for records resolved one at a time: shown as a note."""
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"note": text}


# (GraphQL field, golden key, is a list) of each plain attribute the declaration shows.
_PLAIN = tuple((a.graphql, a.key, a.graphql_type == "list[str]") for a in SHOWN if a.graphql and not a.personal)
# A closed vocabulary's attribute that no record gave is null, not an empty word the enum lacks.
_ENUMS = frozenset(a.graphql for a in SHOWN if a.enum)


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


def fill_golden(target: Any, raw: dict[str, Any]) -> None:
    """Set the plain golden attributes golden_attributes gave ``target``'s type from a golden record."""
    for name, key, many in _PLAIN:
        value = raw.get(key)
        setattr(target, name, list(value or []) if many else (value or None) if name in _ENUMS else value)


def golden_attributes(cls: type) -> type:
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
        elif attribute.enum:
            cls.__annotations__[name] = enum_named(attribute.enum) | None
            setattr(cls, name, strawberry.field(default=None, description=description))
        else:
            cls.__annotations__[name] = "str | None"
            setattr(cls, name, strawberry.field(default=None, description=description))
    return cls


def held(
    loader: str,
    order: Order,
    items: Callable[[Any, str], list[Any]],
    keys: Callable[[Any], tuple[Any, ...]],
    item_type: type,
    description: str,
    *,
    descending: bool = False,
) -> Any:
    """A field paging one of the customer's lists that a loader reads whole (holdings, relations): the
    same arguments, order and cursors for each, in both directions."""

    def resolve(
        self: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Any:
        customer_id, page = self.raw["id"], window(first, after, last, before)
        return now_or_later(
            getattr(info.context.loaders, loader),
            customer_id,
            lambda found: in_memory(order, items(found, customer_id), keys, lambda x: x, page, descending=descending),
        )

    return strawberry.field(resolver=resolve, graphql_type=Connection[item_type], description=description)  # type: ignore[valid-type]


@strawberry.type(description="One customer as every channel sees it (一个客户、一个标识码、一份客户视图).")
@golden_attributes
class Customer(Node):
    raw: strawberry.Private[dict[str, Any]]
    requested_id: strawberry.Private[str]
    # Plain attributes, filled from the golden record: a field without a resolver costs
    # strawberry a fraction of one with a resolver, and a view reads dozens of them. The golden
    # attributes are added from the customer declaration by golden_attributes.
    id: strawberry.ID = strawberry.field(
        default=strawberry.ID(""),
        description="The customer's id (客户标识码), the one channel systems store; it never changes, and an id "
        "merged into another customer answers the survivor.",
    )
    redirected_from: strawberry.ID | None = strawberry.field(
        default=None, description="Set when the id asked for was merged into this customer."
    )
    version: int = strawberry.field(default=0, description="Changes on every change to this customer's view.")
    status: CustomerStatus = strawberry.field(default="active", description="Active, merged or retired.")

    def __post_init__(self) -> None:
        raw = self.raw
        self.id = raw["id"]
        self.redirected_from = self.requested_id if self.requested_id != raw["id"] else None
        self.version = int(raw.get("version") or 0)
        self.status = raw.get("status", "active")
        fill_golden(self, raw)

    @strawberry.field(description="Which source record each golden attribute came from.")
    def provenance(self) -> list[Provenance]:
        data = orjson.loads(self.raw.get("provenance") or "{}")
        return [Provenance(attribute=k, source_record=v) for k, v in sorted(data.items())]

    @strawberry.field(description="The customer's star level (客户星级) and entitlements, the same on every channel.")
    def tier(self, info: Info) -> Tier:
        return info.context.loaders.tier_now_or_later(self.raw, lambda tier: tier_type(tier, info.context.rules))

    @strawberry.field(description="The customer's account managers (客户经理): at most a primary and a backup.")
    def account_managers(self, info: Info) -> list[AccountManager]:
        return now_or_later(info.context.loaders.relations, self.raw["id"], _account_managers)

    accounts = held(
        "holdings", ACCOUNTS, accounts_of, lambda a: (a.id,), Account, "The customer's billing accounts (账户), by id."
    )
    subscriptions = held(
        "holdings",
        SUBSCRIPTIONS,
        lambda h, customer_id: [subscription_of(row, customer_id) for row in h.subscriptions],
        lambda s: (s.id,),
        Subscription,
        "The customer's subscriptions (用户): lines, broadband, IPTV, payphones; by id.",
    )
    offerings = held(
        "holdings",
        OFFERINGS,
        offerings_of,
        lambda o: (o.code,),
        Offering,
        "What the customer bought (销售品); a bundle shows once with all its subscriptions.",
    )
    opportunities = held(
        "holdings",
        OPPORTUNITIES,
        lambda h, _: opportunities_of(h),
        lambda o: (o.captured_at, o.id),
        Opportunity,
        "Leads and opportunities (商机) captured for this customer, newest first.",
        descending=True,
    )

    @strawberry.field(description="Contacts (客户接触) across all channels, newest first; forward paging.")
    def contacts(
        self,
        info: Info,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
        channel: Channel | None = None,
        kind: ContactKind | None = None,
        since: DateTime | None = None,
        until: DateTime | None = None,
    ) -> Connection[Contact]:
        size = page_size(first)
        before_at, before_id = CONTACTS.after(after) or (None, None)
        page = ContactPage(
            self.raw["id"],
            size,
            value_of(channel),
            value_of(kind),
            an_instant(since) if since else None,
            an_instant(until) if until else None,
            before_at,
            before_id,
        )
        return now_or_later(
            info.context.loaders.contacts, page, lambda found: contact_page(size, after is not None, *found)
        )

    member_of = held(
        "relations",
        ORGANISATION_LINKS,
        lambda relations, _: _organisation_links(_in_households(relations.member_of, False)),
        lambda m: (str(m.customer_id),),
        OrganisationLink,
        "Organisations this customer belongs to (key person or member), by id.",
    )

    @strawberry.field(description="The household customer (家庭) this customer is a member of, if any.")
    def household(self, info: Info) -> OrganisationLink | None:
        return now_or_later(
            info.context.loaders.relations,
            self.raw["id"],
            lambda relations: next(iter(_organisation_links(_in_households(relations.member_of, True))), None),
        )

    members = held(
        "members",
        ORGANISATION_LINKS,
        lambda members, _: _organisation_links(members),
        lambda m: (str(m.customer_id),),
        OrganisationLink,
        "For an organisation or a household: its members and key persons, by id.",
    )

    @strawberry.field(
        description="The customer's open service items as of now: open cases with their deadlines, the VIP care it is "
        "owed, churn warnings and lifecycle stage (never a kept answer: deadlines move with the clock)."
    )
    def service(self, info: Info) -> CustomerService:
        return load_service(info, self.raw["id"])

    @strawberry.field(
        description="Suspected duplicates (疑似可归并) waiting on this customer's records, with the check a channel "
        "must make to confirm or deny each at the contact (接触归并, confirmIdentityAtContact); empty mostly."
    )
    async def pending_duplicates(
        self, info: Info
    ) -> list[Annotated[PendingDuplicate, strawberry.lazy("schema.contact_confirmation")]]:
        from schema.contact_confirmation import pending_duplicates

        return await pending_duplicates(info, self.raw["id"])

    @strawberry.field(description="The changes of the customer's recorded star level with their reasons, newest first.")
    async def tier_history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[TierChange]:
        page = window(first, after, last, before)
        return tier_history_page(await info.context.loaders.tier_history.load(self.raw["id"]), page)

    @strawberry.field(
        description="Every merge and split this customer took part in, newest first (steward and analyst "
        "roles; null with a FORBIDDEN error for others)."
    )
    async def merge_history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MergeEvent] | None:
        page = window(first, after, last, before)
        info.context.caller.require("merge_history")
        events = await info.context.loaders.merge_history.load(self.raw["id"])
        return merge_history_page([merge_event(e, info.context.caller, self.raw["id"]) for e in events], page)

    @strawberry.field(
        description="The source records (源记录) behind this customer, by id (steward and analyst roles; null "
        "with a FORBIDDEN error for others). A field no customer record declares is shown as free text: all "
        "stars unless the role sees every personal field in full."
    )
    async def source_records(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SourceRecord] | None:
        page = window(first, after, last, before)
        caller = info.context.caller
        caller.require("source_records")
        rows = await info.context.loaders.source_records.load(self.raw["id"])
        records = [
            SourceRecord(
                id=r["record_id"],
                source=r["source"],
                source_id=r["source_id"],
                fields=caller.show_record(orjson.loads(r["fields"] or "{}"), self.raw["id"]),
                loaded_at=r.get("loaded_at"),
                changed_at=r.get("changed_at"),
                why=caller.show_fields(_why(r.get("why")), self.raw["id"]),
            )
            for r in rows
        ]
        return in_memory(SOURCE_RECORDS, records, lambda r: (r.id,), lambda r: r, page)


@fetcher("Customer")
async def fetch_customer(info: Info, customer_id: str) -> Customer:
    """What ``customer(id:)`` answers: a merged id answers the survivor."""
    loaders = info.context.loaders
    loaders.want(view_parts(info))
    return Customer(raw=await loaders.require(customer_id), requested_id=customer_id)


@fetcher("MergeEvent")
async def fetch_merge_event(info: Info, event_id: str) -> MergeEvent:
    from app.errors import NotFoundError
    from app.services.merges import merge_event_by_id

    info.context.caller.require("merge_history")
    raw = await merge_event_by_id(info.context.store, event_id)
    if raw is None:
        raise NotFoundError(f"no merge event {event_id!r}")
    return merge_event(raw, info.context.caller, raw["survivor"])
