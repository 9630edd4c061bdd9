"""GraphQL types of the customer view. Thin: data comes from the loaders, masking from the caller."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON

from app.services.customer_view import ContactPage, Holdings, Relations, now_or_later
from app.vocabulary import HOUSEHOLD_SEGMENT
from schema.context import Info
from schema.limits import DEFAULT_PAGE, page_size


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode()


def decode_cursor(cursor: str) -> list[str]:
    from app.errors import C360Error

    try:
        parts = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise ValueError
        return parts
    except (ValueError, orjson.JSONDecodeError):
        raise BadInput(f"cursor {cursor!r} is not one this API gave out") from None


class BadInput(Exception):
    code = "BAD_USER_INPUT"


@strawberry.type
class Provenance:
    attribute: str
    source_record: str


@strawberry.type
class Offering:
    code: str
    name: str | None
    is_bundle: bool = strawberry.field(description="Several of the customer's subscriptions share it.")
    subscriptions: list["Subscription"]


@strawberry.type
class Subscription:
    id: str
    service_number: str
    product_type: str
    status: str
    offering_code: str | None
    start_date: str | None
    end_date: str | None
    account_id: str | None


@strawberry.type
class Account:
    id: str
    account_type: str
    status: str
    opened_at: str | None
    subscriptions: list[Subscription]


@strawberry.type
class Employee:
    id: str
    name: str
    role: str
    local_network: str | None


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


def _opportunities(holdings: Holdings) -> list[Opportunity]:
    return [Opportunity(id=o["id"], kind=o["kind"], need=o["need"], stage=o["stage"], channel=o["channel"],
                        captured_at=o["captured_at"], product=o.get("product"),
                        contact_person=o.get("contact_person"), key_person=bool(o.get("key_person")),
                        claimed_by=(o.get("claimed_by") or {}).get("id"),
                        claimed_by_name=(o.get("claimed_by") or {}).get("name"), claimed_at=o.get("claimed_at"))
            for o in holdings.opportunities]


@strawberry.type
class AccountManager:
    role: str = strawberry.field(description="A: primary manager; B: backup with the same rights.")
    employee: Employee


@strawberry.type
class Contact:
    id: str
    channel: str
    kind: str
    at: str
    summary: str | None
    outcome: str | None
    source: str | None


@strawberry.type
class ContactEdge:
    cursor: str
    node: Contact


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ContactConnection:
    total_count: int
    edges: list[ContactEdge]
    page_info: PageInfo


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


def _contact(row: dict[str, Any]) -> Contact:
    return Contact(id=row["id"], channel=row["channel"], kind=row["kind"], at=row["at"], summary=row.get("summary"),
                   outcome=row.get("outcome"), source=row.get("source"))


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(id=row["id"], service_number=row["service_no"], product_type=row["product_type"],
                        status=row["status"], offering_code=row.get("offering_code"),
                        start_date=row.get("start_date"), end_date=row.get("end_date"),
                        account_id=row.get("account_id"))


def _account_managers(relations: Relations) -> list[AccountManager]:
    return [AccountManager(role=m.get("role") or "A",
                           employee=Employee(id=m["id"], name=m.get("name", ""), role=m.get("role_name", "")
                                             or "account_manager", local_network=m.get("local_network")))
            for m in sorted(relations.managers, key=lambda m: (m.get("role") or "", m["id"]))]


def _accounts(holdings: Holdings) -> list[Account]:
    by_account: dict[str, list[Subscription]] = {}
    for row in holdings.subscriptions:
        if row.get("account_id"):
            by_account.setdefault(row["account_id"], []).append(_subscription(row))
    return [Account(id=a["id"], account_type=a["account_type"], status=a["status"], opened_at=a.get("opened_at"),
                    subscriptions=by_account.get(a["id"], [])) for a in holdings.accounts]


def _offerings(holdings: Holdings) -> list[Offering]:
    grouped: dict[str, tuple[dict[str, Any], list[Subscription]]] = {}
    for row in holdings.subscriptions:
        offering = row.get("offering")
        if offering:
            grouped.setdefault(offering["id"], (offering, []))[1].append(_subscription(row))
    return [Offering(code=code, name=o.get("name"), is_bundle=len(subs) > 1, subscriptions=subs)
            for code, (o, subs) in sorted(grouped.items())]


def _contact_page(size: int, total: int, rows: list[dict[str, Any]]) -> ContactConnection:
    """``rows`` holds one more than the page when there is a next page."""
    edges = [ContactEdge(cursor=encode_cursor(r["at"], r["id"]), node=_contact(r)) for r in rows[:size]]
    return ContactConnection(total_count=total, edges=edges,
                             page_info=PageInfo(has_next_page=len(rows) > size,
                                                end_cursor=edges[-1].cursor if edges else None))


def _organisation_links(links: list[dict[str, Any]]) -> list[OrganisationLink]:
    return [OrganisationLink(customer_id=m["id"], name=m.get("name"), segment=m.get("segment"),
                             key_person=bool(m.get("key_person")), title=m.get("title")) for m in links]


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


def merge_event(raw: dict[str, Any]) -> MergeEvent:
    return MergeEvent(id=raw["id"], kind=raw["kind"], at=raw["at"], decided_by=raw.get("decided_by"),
                      survivor=raw["survivor"], absorbed=raw["absorbed"], undone_at=raw.get("undone_at"),
                      moved_records=list(raw.get("moved_records") or []),
                      explanation=orjson.loads(raw.get("explanation") or "{}"))


@strawberry.type(description="One customer as every channel sees it (一个客户、一个标识码、一份客户视图).")
class Customer:
    raw: strawberry.Private[dict[str, Any]]
    requested_id: strawberry.Private[str]
    # Plain attributes, filled from the golden record: a field without a resolver costs
    # strawberry a fraction of one with a resolver, and a view reads dozens of them.
    id: str = ""
    redirected_from: str | None = strawberry.field(
        default=None, description="Set when the id asked for was merged into this customer.")
    version: int = strawberry.field(default=0, description="Changes on every change to this customer's view.")
    status: str = "active"
    name: str | None = None
    certificate_type: str | None = None
    gender: str | None = None
    segment: str | None = None
    customer_group: str | None = None
    organisation_class: str | None = None
    local_network: str | None = None
    sources: list[str] = strawberry.field(default_factory=list)

    def __post_init__(self) -> None:
        raw = self.raw
        self.id = raw["id"]
        self.redirected_from = self.requested_id if self.requested_id != raw["id"] else None
        self.version = int(raw.get("version") or 0)
        self.status = raw.get("status", "active")
        self.name = raw.get("name")
        self.certificate_type = raw.get("cert_type")
        self.gender = raw.get("gender")
        self.segment = raw.get("segment")
        self.customer_group = raw.get("customer_group")
        self.organisation_class = raw.get("org_class")
        self.local_network = raw.get("local_network")
        self.sources = list(raw.get("sources") or [])

    @strawberry.field
    def certificate_number(self, info: Info) -> str | None:
        return info.context.caller.show("certificate", self.raw.get("cert_no"), self.raw["id"])

    @strawberry.field
    def phones(self, info: Info) -> list[str]:
        return [info.context.caller.show("phone", p, self.raw["id"]) or "" for p in self.raw.get("phones") or []]

    @strawberry.field
    def email(self, info: Info) -> str | None:
        return info.context.caller.show("email", self.raw.get("email"), self.raw["id"])

    @strawberry.field
    def address(self, info: Info) -> str | None:
        return info.context.caller.show("address", self.raw.get("address"), self.raw["id"])

    @strawberry.field
    def birth_date(self, info: Info) -> str | None:
        return info.context.caller.show("birth_date", self.raw.get("birth_date"), self.raw["id"])

    @strawberry.field(description="Which source record each golden attribute came from.")
    def provenance(self) -> list[Provenance]:
        data = orjson.loads(self.raw.get("provenance") or "{}")
        return [Provenance(attribute=k, source_record=v) for k, v in sorted(data.items())]

    @strawberry.field
    def tier(self, info: Info) -> Tier:
        return info.context.loaders.tier_now_or_later(self.raw, lambda tier: Tier(
            star_level=tier.star, average_monthly_spend=tier.average_spend, vip_card=self.raw.get("vip_card"),
            tags=tier.tags, entitlements=tier.entitlements))

    @strawberry.field
    def account_managers(self, info: Info) -> list[AccountManager]:
        return now_or_later(info.context.loaders.relations, self.raw["id"], _account_managers)

    @strawberry.field
    def accounts(self, info: Info) -> list[Account]:
        return now_or_later(info.context.loaders.holdings, self.raw["id"], _accounts)

    @strawberry.field
    def subscriptions(self, info: Info) -> list[Subscription]:
        return now_or_later(info.context.loaders.holdings, self.raw["id"],
                            lambda holdings: [_subscription(row) for row in holdings.subscriptions])

    @strawberry.field(description="What the customer bought; a bundle shows once with all its subscriptions.")
    def offerings(self, info: Info) -> list[Offering]:
        return now_or_later(info.context.loaders.holdings, self.raw["id"], _offerings)

    @strawberry.field(description="Leads and opportunities captured for this customer, newest first.")
    def opportunities(self, info: Info) -> list[Opportunity]:
        return now_or_later(info.context.loaders.holdings, self.raw["id"], _opportunities)

    @strawberry.field(description="Contacts across all channels, newest first.")
    def contacts(self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None, channel: str | None = None,
                 kind: str | None = None, since: str | None = None, until: str | None = None) -> ContactConnection:
        size = page_size(first)
        before_at = before_id = None
        if after:
            before_at, before_id = decode_cursor(after)
        page = ContactPage(self.raw["id"], size, channel, kind, since, until, before_at, before_id)
        return now_or_later(info.context.loaders.contacts, page, lambda found: _contact_page(size, *found))

    @strawberry.field(description="Organisations this customer belongs to (key person or member).")
    def member_of(self, info: Info) -> list[OrganisationLink]:
        return now_or_later(info.context.loaders.relations, self.raw["id"],
                            lambda relations: _organisation_links(_in_households(relations.member_of, False)))

    @strawberry.field(description="The household customer (家庭) this customer is a member of, if any.")
    def household(self, info: Info) -> OrganisationLink | None:
        return now_or_later(info.context.loaders.relations, self.raw["id"], lambda relations: next(
            iter(_organisation_links(_in_households(relations.member_of, True))), None))

    @strawberry.field(description="For an organisation: its members and key persons.")
    def members(self, info: Info) -> list[OrganisationLink]:
        return now_or_later(info.context.loaders.relations, self.raw["id"],
                            lambda relations: _organisation_links(relations.members))

    @strawberry.field(description="Every merge, unmerge and split this customer took part in, newest first "
                                  "(steward and analyst roles).")
    async def merge_history(self, info: Info) -> list[MergeEvent]:
        info.context.caller.require("merge_history")
        return [merge_event(e) for e in await info.context.loaders.merge_history.load(self.raw["id"])]

    @strawberry.field(description="The source records behind this customer (steward and analyst roles).")
    async def source_records(self, info: Info) -> list[SourceRecord]:
        info.context.caller.require("source_records")
        rows = await info.context.loaders.source_records.load(self.raw["id"])
        return [SourceRecord(id=r["record_id"], source=r["source"], source_id=r["source_id"],
                             fields=orjson.loads(r["fields"] or "{}"), loaded_at=r.get("loaded_at"),
                             changed_at=r.get("changed_at"), why=_why(r.get("why")))
                for r in rows]
