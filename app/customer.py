"""The customer's attributes, declared once.

Each attribute says how a source file's field is checked, whether it is personal data (and under
which access.toml name a role's visibility is set), how survivorship picks the golden value, whether
BI exports carry it and what GraphQL calls it. Validation, the positional ingest rows, the golden
keys, masking, exports and the GraphQL customer type are all derived from :data:`ATTRIBUTES`; a test
holds the Cypher files that name columns to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app import fields as f
from app import vocabulary as v

GraphQLType = Literal["str", "list[str]"]  # the GraphQL field: String, or [String!]!


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    # The source field's rule; None for golden attributes derived from the records, not read from files.
    rule: f.Rule | None = None
    required: bool = False
    # The access.toml name that governs who sees it (certificate, phone, ...); None: not personal.
    personal: str | None = None
    # How the golden value is picked from the customer's records (a strategy of golden/survivorship);
    # None: the attribute stays on the source record (or is derived, see app/golden/derive).
    survivorship: str | None = None
    golden: bool = True
    graphql: str | None = None
    graphql_type: GraphQLType = "str"
    # Its column in BI exports (1, 2, ...: an export's columns keep their places when one is added);
    # 0: not exported.
    exported: int = 0
    description: str = ""
    # The GraphQL enum of a closed vocabulary's attribute (schema/enums.py); None: free text.
    enum: str | None = None

    @property
    def from_source(self) -> bool:
        return self.rule is not None


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "name",
        f.text,
        required=True,
        survivorship="frequent",
        graphql="name",
        exported=1,
        description="The customer's name (客户名称): a person's or an organisation's.",
    ),
    Attribute(
        "cert_type",
        f.one_of(v.CERT_TYPES),
        survivorship="trust",
        graphql="certificate_type",
        exported=7,
        enum="CertificateType",
        description="The kind of the customer's certificate (证件类型).",
    ),
    Attribute(
        "cert_no",
        f.text,
        personal="certificate",
        survivorship="trust",
        graphql="certificate_number",
        description="The certificate's number (证件号码), shown as the caller's role may see it.",
    ),
    Attribute(
        "phones",
        f.phone_list,
        personal="phone",
        survivorship="union",
        graphql="phones",
        graphql_type="list[str]",
        description="Contact phone numbers (联系电话), shown as the caller's role may see them.",
    ),
    Attribute(
        "email",
        f.an_email,
        personal="email",
        survivorship="recent",
        graphql="email",
        description="E-mail address (电子邮箱), shown as the caller's role may see it.",
    ),
    Attribute(
        "address",
        f.text,
        personal="address",
        survivorship="complete",
        graphql="address",
        description="Postal address (联系地址), shown as the caller's role may see it.",
    ),
    Attribute(
        "birth_date",
        f.a_past_date,
        personal="birth_date",
        survivorship="trust",
        graphql="birth_date",
        description="Birth date (出生日期, YYYY-MM-DD), shown as the caller's role may see it.",
    ),
    Attribute(
        "gender",
        f.one_of(v.GENDERS),
        survivorship="trust",
        graphql="gender",
        enum="Gender",
        description="Gender (性别).",
    ),
    Attribute(
        "local_network",
        f.text,
        required=True,
        survivorship="trust",
        graphql="local_network",
        exported=4,
        description="The local network (本地网) serving the customer, by its area code (0591 is Fuzhou).",
    ),
    Attribute(
        "segment",
        f.one_of(v.SEGMENTS),
        required=True,
        survivorship="group_max",
        graphql="segment",
        exported=2,
        enum="Segment",
        description="Who the customer is (客户细分).",
    ),
    Attribute(
        "org_class",
        f.one_of(v.ORG_CLASSES),
        survivorship="trust",
        graphql="organisation_class",
        exported=5,
        enum="OrganisationClass",
        description="An organisation's class (集团客户等级); null for people and households.",
    ),
    # The employee id in the source; its record id (manager_record) is what survives, see below.
    Attribute("account_manager_id", f.text, golden=False),
    # Shown inside the customer's tier, not as a field of its own.
    Attribute("vip_card", f.one_of(v.VIP_CARDS), survivorship="trust", exported=6, enum="VipCard"),
    Attribute("updated_at", f.a_time, golden=False),
    # The holder's identity was verified at a desk (DOMAIN.md §5): lets the record change contact details.
    Attribute("identity_verified", f.a_flag, golden=False),
    # Read by the star level (app/tiers.py), shown inside the customer's tier like vip_card.
    Attribute(
        "notable",
        f.a_flag,
        survivorship="trust",
        description="Marked by hand as a six-star customer for their public standing (社会知名度).",
    ),
    Attribute(
        "vip_card_since",
        f.a_date,
        survivorship="trust",
        description="The day the customer's VIP card (大客户卡) was made (YYYY-MM-DD).",
    ),
    # Derived by app/golden/derive from all of a customer's records.
    Attribute(
        "customer_group",
        graphql="customer_group",
        exported=3,
        enum="CustomerGroup",
        description="Public (公众客户) or organisation (政企客户), from the segment.",
    ),
    Attribute(
        "sources",
        graphql="sources",
        graphql_type="list[str]",
        description="The source systems holding records of this customer.",
    ),
    Attribute("provenance"),
    Attribute("record_count"),
    Attribute("name_pinyin"),
    Attribute("is_organisation"),
    Attribute("cert_tail"),
    # Contact details offered by sources that may not change them (JSON; app/golden/survivorship.py).
    Attribute("held_contact_changes"),
)

BY_KEY = {a.key: a for a in ATTRIBUTES}

# The fields of a customer source record as files and the API give them, in order.
SOURCE_ATTRIBUTES = tuple(a for a in ATTRIBUTES if a.from_source)

# A customer source record's stored properties, in the order of the positional rows that
# cypher/ingest/customers*.cypher read: the record's identity first, then every source attribute,
# then the account manager's employee record id and the fields set aside (app/record_kinds.py,
# INVALID_FIELDS). tests/unit/test_customer_declaration holds them together.
RECORD_IDENTITY = ("id", "source", "kind", "source_id", "content_hash", "shard", "fields")
INGEST_COLUMNS = (*RECORD_IDENTITY, *(a.key for a in SOURCE_ATTRIBUTES), "manager_record", "invalid_fields")

# What resolution and survivorship read of each customer source record.
RECORD_COLUMNS = (
    "id",
    "source",
    *(a.key for a in SOURCE_ATTRIBUTES),
    "manager_record",
    "changed_at",
    "invalid_fields",
)


def as_record(row: dict[str, Any]) -> dict[str, Any]:
    """A row of a query that returned ``values`` in RECORD_COLUMNS order, as one mapping."""
    record = dict(zip(RECORD_COLUMNS, row["values"]))
    record.update((k, v) for k, v in row.items() if k != "values")
    return record


# A golden customer's attributes: every key is written on each resolution (None clears a stale value).
GOLDEN_KEYS = tuple(a.key for a in ATTRIBUTES if a.golden)

# Survivorship strategies by attribute; manager_record is the account manager's employee record.
SURVIVORSHIP = {**{a.key: a.survivorship for a in ATTRIBUTES if a.survivorship}, "manager_record": "trust"}

# The access.toml names of personal data, each a role must say how to show; and by attribute.
PERSONAL_FIELDS = tuple(dict.fromkeys(a.personal for a in ATTRIBUTES if a.personal))
PERSONAL_BY_KEY = {a.key: a.personal for a in ATTRIBUTES if a.personal}

# Golden attributes in BI exports (never personal ones), in their columns' order.
EXPORTED = tuple(a.key for a in sorted((a for a in ATTRIBUTES if a.exported), key=lambda a: a.exported))

# Attributes the GraphQL customer type shows as fields of their own.
SHOWN = tuple(a for a in ATTRIBUTES if a.graphql)


def _check() -> None:
    for attribute in ATTRIBUTES:
        if attribute.exported and attribute.personal:
            raise ValueError(f"customer attribute {attribute.key}: a personal attribute cannot be exported")
        if attribute.exported and [a.exported for a in ATTRIBUTES].count(attribute.exported) > 1:
            raise ValueError(f"customer attribute {attribute.key}: export column {attribute.exported} is taken")
        if attribute.survivorship and not attribute.from_source:
            raise ValueError(f"customer attribute {attribute.key}: survivorship needs a source field")


_check()
