"""The record kinds of source files and their field rules: docs/source-formats.md as data.

A row collects every failing field, so the rejects file (or the API's error) tells the whole story
at once. The customer kind's fields come from the customer declaration (app/customer.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app import vocabulary as v
from app.customer import SOURCE_ATTRIBUTES
from app.fields import (
    Field,
    Invalid,
    a_date,
    a_flag,
    a_month,
    a_phone,
    a_service_no,
    a_time,
    an_amount,
    one_of,
    phone_list,
    text,
)
from app.resolution.normalise import PHONE_UNLISTED, normalise_phone, parse_credit_code, parse_resident_id

# (field, reason) pairs: a row's problems or warnings.
Findings = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class KindSpec:
    fields: Mapping[str, Field]
    references: Mapping[str, str] = field(default_factory=dict)
    # Rules across fields: returns the row's problems, and adds to the warnings what to keep but flag.
    check_row: Callable[[dict[str, Any], Findings], Findings] = lambda row, warnings: []


def _customer_row(row: dict[str, Any], warnings: Findings) -> Findings:
    problems: Findings = []
    cert_type = row.get("cert_type") or "blank"
    cert_no = row.get("cert_no") or ""
    row["cert_type"] = cert_type
    if cert_type != "blank" and not cert_no:
        problems.append(("cert_no", f"required when cert_type is {cert_type}"))
    elif cert_type == "resident_id":
        parsed = parse_resident_id(cert_no)
        if not parsed.valid:
            problems.append(("cert_no", f"{cert_no!r} is not a valid resident id: {parsed.reason}"))
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
    elif cert_type == "credit_code":
        code = parse_credit_code(cert_no)
        if not code.valid:
            problems.append(("cert_no", f"{cert_no!r} is not a valid credit code: {code.reason}"))
        else:
            row["cert_no"] = code.number
    unlisted = [phone for phone in row.get("phones") or () if normalise_phone(phone).reason == PHONE_UNLISTED]
    if unlisted:
        warnings.append(("phones", f"{', '.join(unlisted)}: {PHONE_UNLISTED}"))
    if row.get("org_class") and row.get("segment") not in v.ORGANISATION_SEGMENTS:
        problems.append(("org_class", "only enterprise and government customers have an org_class"))
    return problems


def _contact_row(row: dict[str, Any], warnings: Findings) -> Findings:
    if not row.get("customer_source_id") and not row.get("service_no"):
        return [("customer_source_id", "a contact needs customer_source_id or service_no")]
    return []


KINDS: dict[str, KindSpec] = {
    "customers": KindSpec(
        fields={
            "source_id": Field(text, True),
            **{a.key: Field(a.rule, a.required) for a in SOURCE_ATTRIBUTES if a.rule is not None},
        },
        references={"account_manager_id": "employees"},
        check_row=_customer_row,
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
            "service_no": Field(a_service_no, True),
            "product_type": Field(one_of(v.PRODUCT_TYPES), True),
            "offering_code": Field(text),
            "offering_name": Field(text),
            "status": Field(one_of(v.SUBSCRIPTION_STATUSES), True),
            "start_date": Field(a_date),
            "end_date": Field(a_date),
            "updated_at": Field(a_time),
        },
        references={"customer_source_id": "customers", "account_source_id": "accounts"},
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
            "service_no": Field(a_service_no),
            "employee_id": Field(text),
            "summary": Field(text),
            "outcome": Field(one_of(v.CONTACT_OUTCOMES)),
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
            "employee_id": Field(text),
            "claimed_at": Field(a_time),
        },
        references={"customer_source_id": "customers", "employee_id": "employees"},
    ),
    "employees": KindSpec(
        fields={
            "source_id": Field(text, True),
            "name": Field(text, True),
            "role": Field(one_of(v.EMPLOYEE_ROLES), True),
            "local_network": Field(text, True),
            "backup_id": Field(text),
            "phone": Field(a_phone),
        },
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
    problems: Findings
    # Kept rows that deserve a look (the ingest writes them to FILE.warnings.csv).
    warnings: Findings = field(default_factory=list)


# Per kind, (field, rule, required) in order: the loop below runs for every field of a million rows.
_PLANS = {kind: tuple((name, f.rule, f.required) for name, f in spec.fields.items()) for kind, spec in KINDS.items()}


def check_row(kind: str, line: int, original: Mapping[str, Any]) -> Checked:
    spec = KINDS[kind]
    values: dict[str, Any] = {}
    problems: Findings = []
    warnings: Findings = []
    get = original.get
    for name, rule, required in _PLANS[kind]:
        raw: Any = get(name)
        if raw is None or raw == "" or raw == [] or (isinstance(raw, str) and raw.isspace()):
            if required:
                problems.append((name, "is required"))
            continue
        if type(raw) is not str:
            raw = raw if isinstance(raw, list) and rule is phone_list else str(raw)
        if "\x00" in raw:
            problems.append((name, "contains a NUL character (U+0000), which no store can keep in a value"))
            continue
        try:
            values[name] = raw.strip() if rule is text else rule(raw)
        except Invalid as exc:
            problems.append((name, str(exc)))
    if not problems:
        problems.extend(spec.check_row(values, warnings))
    source_id = str(original.get("source_id") or "").strip()
    return Checked(line, source_id, values, dict(original), problems, warnings)
