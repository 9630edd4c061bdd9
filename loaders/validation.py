"""Row validation per record kind: the field rules of docs/source-formats.md as data.

A rule returns the cleaned value or raises :class:`Invalid` with the reason; a row
collects every failing field so the rejects file tells the whole story at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from app import clock
from app import vocabulary as v
from app.resolution.normalise import (normalise_email, normalise_phone, normalise_service_number, parse_credit_code,
                                      parse_resident_id)

CHINA_TIME = timezone(timedelta(hours=8))
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Invalid(ValueError):
    """A field's value breaks its rule; the message is the reason shown in the rejects file."""


Rule = Callable[[str], Any]


def text(value: str) -> str:
    return value.strip()


def one_of(values: tuple[str, ...]) -> Rule:
    def check(value: str) -> str:
        value = value.strip()
        if value not in values:
            raise Invalid(f"{value!r} is not one of {', '.join(values)}")
        return value
    return check


def a_date(value: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise Invalid(f"{value!r} is not a date (YYYY-MM-DD)") from None


def a_past_date(value: str) -> str:
    day = a_date(value)
    if day > clock.now().astimezone(CHINA_TIME).date().isoformat() or day < "1900-01-01":
        raise Invalid(f"{value!r} is not a plausible birth date")
    return day


def a_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{value!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TIME)
    return moment.isoformat()


def a_month(value: str) -> str:
    if not MONTH.match(value.strip()):
        raise Invalid(f"{value!r} is not a month (YYYY-MM)")
    return value.strip()


def an_amount(value: str) -> float:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise Invalid(f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise Invalid(f"{value!r} must be a non-negative amount with at most two decimals")
    return float(amount)


def a_flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "y", "是"):
        return True
    if lowered in ("false", "0", "no", "n", "否", ""):
        return False
    raise Invalid(f"{value!r} is not true or false")


PHONE_SEPARATORS = re.compile(r"[;,，；]")


def phone_list(value: str | list[str]) -> list[str]:
    items = value if isinstance(value, list) else PHONE_SEPARATORS.split(value)
    phones = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        phone = normalise_phone(item)
        if not phone.valid:
            raise Invalid(f"{item!r} is not a phone number: {phone.reason}")
        phones.append(phone.key)
    return phones


def a_phone(value: str) -> str:
    phones = phone_list(value)
    if len(phones) != 1:
        raise Invalid(f"{value!r} must be exactly one phone number")
    return phones[0]


def an_email(value: str) -> str:
    email = normalise_email(value)
    if not email.valid:
        raise Invalid(f"{value!r} is not an e-mail address")
    return email.key


def a_service_no(value: str) -> str:
    number = normalise_service_number(value)
    if number is None:
        raise Invalid(f"{value!r} is not a service number")
    return number


@dataclass(frozen=True, slots=True)
class Field:
    rule: Rule
    required: bool = False


@dataclass(frozen=True, slots=True)
class KindSpec:
    fields: Mapping[str, Field]
    references: Mapping[str, str] = field(default_factory=dict)
    check_row: Callable[[dict[str, Any]], list[tuple[str, str]]] = lambda row: []


def _customer_row(row: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
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
    elif cert_type == "credit_code":
        code = parse_credit_code(cert_no)
        if not code.valid:
            problems.append(("cert_no", f"{cert_no!r} is not a valid credit code: {code.reason}"))
        else:
            row["cert_no"] = code.number
    if row.get("org_class") and row.get("segment") not in v.ORGANISATION_SEGMENTS:
        problems.append(("org_class", "only enterprise and government customers have an org_class"))
    return problems


def _contact_row(row: dict[str, Any]) -> list[tuple[str, str]]:
    if not row.get("customer_source_id") and not row.get("service_no"):
        return [("customer_source_id", "a contact needs customer_source_id or service_no")]
    return []


KINDS: dict[str, KindSpec] = {
    "customers": KindSpec(
        fields={
            "source_id": Field(text, True), "name": Field(text, True),
            "cert_type": Field(one_of(v.CERT_TYPES)), "cert_no": Field(text),
            "phones": Field(phone_list), "email": Field(an_email), "address": Field(text),
            "birth_date": Field(a_past_date), "gender": Field(one_of(v.GENDERS)),
            "local_network": Field(text, True), "segment": Field(one_of(v.SEGMENTS), True),
            "org_class": Field(one_of(v.ORG_CLASSES)), "account_manager_id": Field(text),
            "vip_card": Field(one_of(v.VIP_CARDS)), "updated_at": Field(a_time),
        },
        references={"account_manager_id": "employees"},
        check_row=_customer_row,
    ),
    "accounts": KindSpec(
        fields={
            "source_id": Field(text, True), "customer_source_id": Field(text, True),
            "account_type": Field(one_of(v.ACCOUNT_TYPES), True),
            "status": Field(one_of(v.ACCOUNT_STATUSES), True),
            "opened_at": Field(a_date), "updated_at": Field(a_time),
        },
        references={"customer_source_id": "customers"},
    ),
    "subscriptions": KindSpec(
        fields={
            "source_id": Field(text, True), "customer_source_id": Field(text, True),
            "account_source_id": Field(text), "service_no": Field(a_service_no, True),
            "product_type": Field(one_of(v.PRODUCT_TYPES), True), "offering_code": Field(text),
            "offering_name": Field(text), "status": Field(one_of(v.SUBSCRIPTION_STATUSES), True),
            "start_date": Field(a_date), "end_date": Field(a_date), "updated_at": Field(a_time),
        },
        references={"customer_source_id": "customers", "account_source_id": "accounts"},
    ),
    "bills": KindSpec(
        fields={
            "source_id": Field(text, True), "account_source_id": Field(text, True),
            "month": Field(a_month, True), "amount": Field(an_amount, True),
        },
        references={"account_source_id": "accounts"},
    ),
    "contacts": KindSpec(
        fields={
            "source_id": Field(text, True), "channel": Field(one_of(v.CHANNELS), True),
            "kind": Field(one_of(v.CONTACT_KINDS), True), "at": Field(a_time, True),
            "customer_source_id": Field(text), "service_no": Field(a_service_no),
            "employee_id": Field(text), "summary": Field(text),
            "outcome": Field(one_of(v.CONTACT_OUTCOMES)),
        },
        references={"customer_source_id": "customers", "employee_id": "employees",
                    "service_no": "subscriptions.service_no"},
        check_row=_contact_row,
    ),
    "opportunities": KindSpec(
        fields={
            "source_id": Field(text, True), "customer_source_id": Field(text, True),
            "kind": Field(one_of(v.OPPORTUNITY_KINDS), True), "need": Field(one_of(v.CONTACT_KINDS), True),
            "stage": Field(one_of(v.OPPORTUNITY_STAGES), True), "channel": Field(one_of(v.CHANNELS), True),
            "captured_at": Field(a_time, True), "product": Field(text), "contact_person": Field(text),
            "key_person": Field(a_flag), "employee_id": Field(text), "claimed_at": Field(a_time),
        },
        references={"customer_source_id": "customers", "employee_id": "employees"},
    ),
    "employees": KindSpec(
        fields={
            "source_id": Field(text, True), "name": Field(text, True),
            "role": Field(one_of(v.EMPLOYEE_ROLES), True), "local_network": Field(text, True),
            "backup_id": Field(text), "phone": Field(a_phone),
        },
    ),
    "organisation_members": KindSpec(
        fields={
            "source_id": Field(text, True), "organisation_source_id": Field(text, True),
            "member_source_id": Field(text, True), "title": Field(text), "key_person": Field(a_flag),
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
    problems: list[tuple[str, str]]


# Per kind, (field, rule, required) in order: the loop below runs for every field of a million rows.
_PLANS = {kind: tuple((name, f.rule, f.required) for name, f in spec.fields.items()) for kind, spec in KINDS.items()}


def check_row(kind: str, line: int, original: Mapping[str, Any]) -> Checked:
    spec = KINDS[kind]
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    get = original.get
    for name, rule, required in _PLANS[kind]:
        raw = get(name)
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
        problems.extend(spec.check_row(values))
    source_id = str(original.get("source_id") or "").strip()
    return Checked(line, source_id, values, dict(original), problems)
