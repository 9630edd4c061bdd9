"""The record kinds of source files and their field rules: docs/source-formats.md as data.

A row collects every failing field, so the rejects file (or the API's error) tells the whole story
at once. The customer kind's fields come from the customer declaration (app/customer.py).

A field that fails its rule does not cost the row: it is set aside (quarantined) and the row is
loaded without it, the value the source gave kept in the record's ``invalid_fields``
(:func:`invalid_fields_json`); a customer is real though a hall desk mistyped one character of
their id. Only a row that cannot be a record is refused whole: no source id, nothing to identify it
by, or a field the record cannot stand without (a bill's amount, an account's customer).
Channels (the API) are held to every rule instead: :attr:`Checked.faults` refuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from app import vocabulary as v
from app.customer import SOURCE_ATTRIBUTES
from app.fields import (
    TEXT_MAX,
    Field,
    Invalid,
    a_count,
    a_date,
    a_flag,
    a_month,
    a_phone,
    a_service_no,
    a_time,
    a_year,
    an_amount,
    an_integer,
    one_of,
    phone_list,
    text,
)
from app.resolution.normalise import (
    PHONE_UNLISTED,
    normalise_phone,
    parse_credit_code,
    parse_org_code,
    parse_resident_id,
)

# (field, reason) pairs: a row's problems or warnings.
Findings = list[tuple[str, str]]
# Sets a field of the row being checked aside, with the reason.
SetAside = Callable[[str, str], None]

# The source record property that lists the fields set aside: JSON text of an object, one entry per
# field, {"value": what the source gave, "reason": why it was set aside}, and "length" (the value's
# length) when the value was longer than its field's maximum, which keeps only its first characters.
INVALID_FIELDS = "invalid_fields"


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A field set aside: the row is loaded without its cleaned value."""

    field: str
    reason: str
    value: str
    length: int | None = None


@dataclass(frozen=True, slots=True)
class KindSpec:
    fields: Mapping[str, Field]
    references: Mapping[str, str] = field(default_factory=dict)
    # Rules across fields: sets fields aside, adds to the warnings what to keep but flag, and returns
    # what makes the row no record at all (it is then refused whole).
    check_row: Callable[[dict[str, Any], Findings, SetAside], Findings] = lambda row, warnings, set_aside: []
    # Required fields the record can stand without (set aside like optional ones when they fail).
    kept_without: frozenset[str] = frozenset()


# What a customer row needs at least one of to be a record (DOMAIN.md §3: the evidence resolution has).
IDENTIFYING = ("name", "cert_no", "phones", "email")
# The field name of a problem of the whole row in the rejects file.
ROW = "(row)"


def _customer_row(row: dict[str, Any], warnings: Findings, set_aside: SetAside) -> Findings:
    cert_type = row.get("cert_type") or "blank"
    cert_no = row.get("cert_no") or ""
    row["cert_type"] = cert_type
    if cert_type != "blank" and not cert_no:
        set_aside("cert_no", f"required when cert_type is {cert_type}")
    elif cert_type == "resident_id":
        parsed = parse_resident_id(cert_no)
        if not parsed.valid:
            set_aside("cert_no", f"{cert_no!r} is not a valid resident id: {parsed.reason}")
        else:
            row["cert_no"] = parsed.number
            if not parsed.region_known:
                warnings.append(
                    (
                        "cert_no",
                        f"region code {parsed.number[:6]} is in no edition of the official "
                        f"division table; kept as a valid resident id",
                    )
                )
    elif cert_type in ("credit_code", "org_code"):
        code = parse_credit_code(cert_no) if cert_type == "credit_code" else parse_org_code(cert_no)
        if not code.valid:
            what = "credit code" if cert_type == "credit_code" else "organisation code"
            set_aside("cert_no", f"{cert_no!r} is not a valid {what}: {code.reason}")
        else:
            row["cert_no"] = code.number
    unlisted = [phone for phone in row.get("phones") or () if normalise_phone(phone).reason == PHONE_UNLISTED]
    if unlisted:
        warnings.append(("phones", f"{', '.join(unlisted)}: {PHONE_UNLISTED}"))
    if row.get("org_class") and row.get("segment") not in v.ORGANISATION_SEGMENTS:
        set_aside("org_class", f"only {', '.join(v.ORGANISATION_SEGMENTS)} customers have an org_class")
    # A certificate set aside for its check still identifies (resolution weighs it as weak evidence).
    if not any(row.get(key) for key in IDENTIFYING) and not (cert_no and "cert_no" not in row):
        return [(ROW, f"nothing to identify the customer by: no usable {', '.join(IDENTIFYING)}")]
    return []


def _contact_row(row: dict[str, Any], warnings: Findings, set_aside: SetAside) -> Findings:
    if not row.get("customer_source_id") and not row.get("service_no"):
        return [("customer_source_id", "a contact needs customer_source_id or service_no")]
    return []


def _leave_row(row: dict[str, Any], warnings: Findings, set_aside: SetAside) -> Findings:
    if row.get("from") and row.get("to") and row["to"] < row["from"]:
        return [("to", f"ends ({row['to']}) before it starts ({row['from']})")]
    return []


# Maximum lengths below TEXT_MAX (or above it, for free text); a longer value is set aside with its
# first characters and its length, and a source id longer than TEXT_MAX refuses the row.
PHONE_MAX = 32
SERVICE_NO_MAX = 64
SUMMARY_MAX = 2000
CUSTOMER_MAX_LENGTHS = {"cert_no": 40, "phones": 100, "local_network": 8}

KINDS: dict[str, KindSpec] = {
    "customers": KindSpec(
        fields={
            "source_id": Field(text, True),
            **{
                a.key: Field(a.rule, a.required, CUSTOMER_MAX_LENGTHS.get(a.key, TEXT_MAX))
                for a in SOURCE_ATTRIBUTES
                if a.rule is not None
            },
        },
        references={"account_manager_id": "employees"},
        check_row=_customer_row,
        kept_without=frozenset(a.key for a in SOURCE_ATTRIBUTES if a.required),
    ),
    "accounts": KindSpec(
        fields={
            "source_id": Field(text, True),
            "customer_source_id": Field(text, True),
            "account_type": Field(one_of(v.ACCOUNT_TYPES), True),
            "status": Field(one_of(v.ACCOUNT_STATUSES), True),
            "opened_at": Field(a_date),
            "updated_at": Field(a_time),
        },
        references={"customer_source_id": "customers"},
    ),
    "subscriptions": KindSpec(
        fields={
            "source_id": Field(text, True),
            "customer_source_id": Field(text, True),
            "account_source_id": Field(text),
            "service_no": Field(a_service_no, True, SERVICE_NO_MAX),
            "product_type": Field(one_of(v.PRODUCT_TYPES), True),
            "offering_code": Field(text),
            "offering_name": Field(text),
            "status": Field(one_of(v.SUBSCRIPTION_STATUSES), True),
            "start_date": Field(a_date),
            "end_date": Field(a_date),
            "updated_at": Field(a_time),
            "custodian_source_id": Field(text),
            "brand": Field(text),
        },
        references={
            "customer_source_id": "customers",
            "account_source_id": "accounts",
            "custodian_source_id": "customers",
        },
    ),
    "bills": KindSpec(
        fields={
            "source_id": Field(text, True),
            "account_source_id": Field(text, True),
            "month": Field(a_month, True),
            "amount": Field(an_amount, True),
        },
        references={"account_source_id": "accounts"},
    ),
    "contacts": KindSpec(
        fields={
            "source_id": Field(text, True),
            "channel": Field(one_of(v.CHANNELS), True),
            "kind": Field(one_of(v.CONTACT_KINDS), True),
            "at": Field(a_time, True),
            "customer_source_id": Field(text),
            "service_no": Field(a_service_no, max_length=SERVICE_NO_MAX),
            "employee_id": Field(text),
            "summary": Field(text, max_length=SUMMARY_MAX),
            "outcome": Field(one_of(v.CONTACT_OUTCOMES)),
            "mode": Field(one_of(v.CONTACT_MODES)),
            "direction": Field(one_of(v.CONTACT_DIRECTIONS)),
            "purpose": Field(one_of(v.CONTACT_PURPOSES)),
            "satisfaction": Field(one_of(v.SATISFACTION_RESULTS)),
            "called_number": Field(a_service_no, max_length=SERVICE_NO_MAX),
        },
        references={
            "customer_source_id": "customers",
            "employee_id": "employees",
            "service_no": "subscriptions.service_no",
        },
        check_row=_contact_row,
    ),
    "opportunities": KindSpec(
        fields={
            "source_id": Field(text, True),
            "customer_source_id": Field(text, True),
            "kind": Field(one_of(v.OPPORTUNITY_KINDS), True),
            "need": Field(one_of(v.CONTACT_KINDS), True),
            "stage": Field(one_of(v.OPPORTUNITY_STAGES), True),
            "channel": Field(one_of(v.CHANNELS), True),
            "captured_at": Field(a_time, True),
            "product": Field(text),
            "contact_person": Field(text),
            "key_person": Field(a_flag),
            "key_person_name": Field(text),
            "enterprise_facts": Field(text, max_length=SUMMARY_MAX),
            "employee_id": Field(text),
            "claimed_at": Field(a_time),
        },
        references={"customer_source_id": "customers", "employee_id": "employees"},
    ),
    # A customer's yearly points (积分) and credit on one account, from the source that keeps them.
    "points": KindSpec(
        fields={
            "source_id": Field(text, True),
            "account_source_id": Field(text, True),
            "year": Field(a_year, True),
            "points": Field(a_count, True),
            "credit": Field(an_integer),
        },
        references={"account_source_id": "accounts"},
    ),
    # Work with a service time limit (DOMAIN.md §6): owned by the first person asked (employee_id).
    "cases": KindSpec(
        fields={
            "source_id": Field(text, True),
            "customer_source_id": Field(text, True),
            "kind": Field(one_of(v.CASE_KINDS), True),
            "opened_at": Field(a_time, True),
            "channel": Field(one_of(v.CHANNELS)),
            "employee_id": Field(text),
            "summary": Field(text, max_length=SUMMARY_MAX),
        },
        references={"customer_source_id": "customers", "employee_id": "employees"},
    ),
    # What happened to a case, and when: its clocks are computed from these (app/sla.py).
    "case_events": KindSpec(
        fields={
            "source_id": Field(text, True),
            "case_source_id": Field(text, True),
            "event": Field(one_of(v.CASE_EVENTS), True),
            "at": Field(a_time, True),
            "employee_id": Field(text),
            "reason": Field(text, max_length=SUMMARY_MAX),
        },
        references={"case_source_id": "cases", "employee_id": "employees"},
    ),
    "employees": KindSpec(
        fields={
            "source_id": Field(text, True),
            "name": Field(text, True),
            "role": Field(one_of(v.EMPLOYEE_ROLES), True),
            "local_network": Field(text, True),
            "backup_id": Field(text),
            "phone": Field(a_phone, max_length=PHONE_MAX),
            # A core agent (核心代理商) of its local network: takes opportunities of customers without an
            # account manager (DOMAIN.md §8).
            "core": Field(a_flag),
        },
    ),
    # An employee's leave, both days included: their backup acts for their customers meanwhile (DOMAIN.md §5).
    "leaves": KindSpec(
        fields={
            "source_id": Field(text, True),
            "employee_id": Field(text, True),
            "from": Field(a_date, True),
            "to": Field(a_date, True),
        },
        references={"employee_id": "employees"},
        check_row=_leave_row,
    ),
    "organisation_members": KindSpec(
        fields={
            "source_id": Field(text, True),
            "organisation_source_id": Field(text, True),
            "member_source_id": Field(text, True),
            "title": Field(text),
            "key_person": Field(a_flag),
        },
        references={"organisation_source_id": "customers", "member_source_id": "customers"},
    ),
}


@dataclass(slots=True)
class Checked:
    """A validated row: cleaned values for the graph, the original fields kept as given."""

    line: int
    source_id: str
    values: dict[str, Any]
    original: dict[str, Any]
    # What makes the row no record: it is refused whole.
    problems: Findings
    # Kept rows that deserve a look (the ingest writes them to FILE.warnings.csv).
    warnings: Findings = field(default_factory=list)
    # Fields set aside: the row is loaded without them (files), or refused (channels).
    quarantined: list[Quarantined] = field(default_factory=list)
    kind: str = ""

    @property
    def faults(self) -> Findings:
        """Every broken rule, the row's and its fields': what a channel's row is refused for."""
        return [*self.problems, *((q.field, q.reason) for q in self.quarantined)]

    def set_aside(self, name: str, reason: str) -> None:
        """Quarantine a field found wrong after the row's check (a reference that does not exist)."""
        self.values.pop(name, None)
        self.quarantined.append(_quarantined(name, reason, self.original.get(name), MAX_LENGTHS[self.kind][name]))


def _quarantined(name: str, reason: str, raw: Any, limit: int) -> Quarantined:
    value = ";".join(map(str, raw)) if isinstance(raw, list) else "" if raw is None else str(raw)
    if len(value) > limit:
        return Quarantined(name, reason, value[:limit], len(value))
    return Quarantined(name, reason, value)


def invalid_fields_json(quarantined: list[Quarantined]) -> str | None:
    """The INVALID_FIELDS property of a record with fields set aside; None for a record without."""
    if not quarantined:
        return None
    return orjson.dumps(
        {
            q.field: {"value": q.value, "reason": q.reason, **({"length": q.length} if q.length is not None else {})}
            for q in quarantined
        }
    ).decode()


def invalid_fields(stored: str | None) -> dict[str, dict[str, Any]]:
    """A stored INVALID_FIELDS property read back, by field."""
    if not stored:
        return {}
    try:
        found = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def shown_original(checked: Checked) -> dict[str, Any]:
    """The original fields as the source record keeps them: an over-long value only by its first
    characters (invalid_fields has its length), so a pasted document does not end up in the graph."""
    cut = {q.field: q.value for q in checked.quarantined if q.length is not None}
    return {**checked.original, **cut} if cut else checked.original


# Per kind, (field, rule, required, keep, max length) in order, for every field of a million rows.
# ``keep``: the record stands without the field, which is set aside when it fails.
_Plan = tuple[str, Callable[[Any], Any], bool, bool, int]
_PLANS: dict[str, tuple[_Plan, ...]] = {
    kind: tuple(
        (
            name,
            f.rule,
            f.required,
            name != "source_id" and (not f.required or name in spec.kept_without),
            f.max_length,
        )
        for name, f in spec.fields.items()
    )
    for kind, spec in KINDS.items()
}
MAX_LENGTHS = {kind: {name: limit for name, _, _, _, limit in plan} for kind, plan in _PLANS.items()}
# The fields a row may give as a list (a record's phones); every other field is one value.
LIST_FIELDS = {
    kind: frozenset(name for name, f in spec.fields.items() if f.rule is phone_list) for kind, spec in KINDS.items()
}


def reference_sets_aside(kind: str, name: str) -> bool:
    """A reference to an employee (a manager, a handler) that does not exist sets the field aside; the
    references a record hangs on (its customer, its account) refuse the row."""
    spec = KINDS[kind]
    return spec.references.get(name) == "employees" and not spec.fields[name].required


def _check_field(
    plan: _Plan, raw: Any, values: dict[str, Any], problems: Findings, quarantined: list[Quarantined]
) -> None:
    """One field by its rule: its value in ``values``, or why not in ``problems`` or ``quarantined``."""
    name, rule, required, keep, limit = plan
    if type(raw) is str:
        blank = not raw or raw.isspace()
        length = len(raw)
    else:
        blank = raw is None or raw == []
        if not blank:
            raw = raw if isinstance(raw, list) and rule is phone_list else str(raw)
            length = len(raw) if type(raw) is str else len(";".join(map(str, raw)))
    if blank:
        if required:
            if keep:
                quarantined.append(Quarantined(name, "is required", ""))
            else:
                problems.append((name, "is required"))
        return
    if length > limit:
        reason = f"has {length} characters, more than the {limit} this field may have"
    elif "\x00" in raw:
        reason = "contains a NUL character (U+0000), which no store can keep in a value"
    else:
        try:
            values[name] = raw.strip() if rule is text else rule(raw)
            return
        except Invalid as exc:
            reason = str(exc)
    if keep:
        quarantined.append(_quarantined(name, reason, raw, limit))
    else:
        problems.append((name, reason))


FieldsCheck = Callable[[Callable[[str], Any], dict[str, Any], Findings, list[Quarantined]], None]


def _fields_check(plans: tuple[_Plan, ...]) -> FieldsCheck:
    """A kind's fields checked in one function written out field by field, as dataclasses writes its
    methods: a text value that is neither blank, too long nor holds a NUL (nearly every value) is
    kept without a loop's unpacking and tests (the bills of the 100,000-person demo: 3.45 s of CPU
    against 3.91); anything else goes to :func:`_check_field`, whose answer tests hold it to."""
    scope: dict[str, Any] = {"slow": _check_field, "Invalid": Invalid, "plans": plans}
    lines = ["def check(get, values, problems, quarantined):"]
    for n, (name, rule, _, _, limit) in enumerate(plans):
        scope[f"rule{n}"] = rule
        lines += [
            f"    raw = get({name!r})",
            f"    if type(raw) is str and raw and len(raw) <= {limit} and '\\x00' not in raw and not raw.isspace():",
        ]
        if rule is text:
            lines.append(f"        values[{name!r}] = raw.strip()")
        else:
            lines += [
                "        try:",
                f"            values[{name!r}] = rule{n}(raw)",
                "        except Invalid:",
                f"            slow(plans[{n}], raw, values, problems, quarantined)",
            ]
        lines += ["    else:", f"        slow(plans[{n}], raw, values, problems, quarantined)"]
    if not plans:
        lines.append("    return None")
    exec("\n".join(lines), scope)  # noqa: S102 (the text is made of the kinds' own field names and limits)
    check: FieldsCheck = scope["check"]
    return check


_FIELDS_CHECKS = {kind: _fields_check(plans) for kind, plans in _PLANS.items()}


def check_row(kind: str, line: int, original: Mapping[str, Any]) -> Checked:
    spec = KINDS[kind]
    values: dict[str, Any] = {}
    problems: Findings = []
    warnings: Findings = []
    quarantined: list[Quarantined] = []
    get = original.get
    _FIELDS_CHECKS[kind](get, values, problems, quarantined)
    if not problems:

        def set_aside(name: str, reason: str) -> None:
            values.pop(name, None)
            quarantined.append(_quarantined(name, reason, get(name), MAX_LENGTHS[kind][name]))

        problems.extend(spec.check_row(values, warnings, set_aside))
    source_id = str(original.get("source_id") or "").strip()
    return Checked(line, source_id, values, dict(original), problems, warnings, quarantined, kind)
