"""Field rules: what a source field's text must be, and its cleaned value.

A rule returns the cleaned value or raises :class:`Invalid` with the reason; every path that takes
a customer's or a holding's field (files, the API's channel writes) checks it with these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app import clock
from app.errors import BadInput
from app.resolution.normalise import normalise_email, normalise_phone, normalise_service_number

# ASCII digits only: months are compared as text (a full-width year would sort outside every window).
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class Invalid(BadInput):
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


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{value!r} is not a date (YYYY-MM-DD)") from None


def a_date(value: str) -> str:
    return _day(value).isoformat()


EARLIEST_DAY = date(1900, 1, 1)


def a_past_date(value: str) -> str:
    """A day that has begun in the operator's zone (a birth date): tomorrow there is refused."""
    day = _day(value)
    if day > clock.today() or day < EARLIEST_DAY:
        raise Invalid(f"{value!r} is not a plausible birth date")
    return day.isoformat()


# Times before it are typing errors, not events of a customer of a telecom operator.
EARLIEST_TIME = "1900-01-01T00:00:00.000Z"
# How far ahead of the clock an event may be: clocks of the channels' systems drift, but an event
# dated next year would stay "newest" for ever.
FUTURE_SLACK = timedelta(days=1)


def an_instant(value: str) -> str:
    """Any ISO-8601 time (a query's bound), in the stored form (app/clock.py); no offset means the
    operator's zone."""
    try:
        return clock.instant_of(value)
    except ValueError:
        raise Invalid(f"{value!r} is not an ISO-8601 time") from None


def a_time(value: str) -> str:
    """An event's time (a contact, a capture, an update), in the stored form; one before 1900 or
    more than a day ahead of the clock is refused. Every row of a file has one: the checks compare
    the parsed moment, and only the value kept is put in the stored form."""
    try:
        moment = clock.parse(value).astimezone(UTC)
        at = clock.instant(moment)
    except (ValueError, OverflowError):
        raise Invalid(f"{value!r} is not an ISO-8601 time") from None
    if at < EARLIEST_TIME:
        raise Invalid(f"{value!r} is before 1900: not a plausible time")
    now = clock.aware(clock.now())
    if moment > now + FUTURE_SLACK:
        raise Invalid(
            f"{value!r} is more than a day after now ({clock.render(clock.instant(now))}): not a plausible time"
        )
    return at


def a_month(value: str) -> str:
    if not MONTH.match(value.strip()):
        raise Invalid(f"{value!r} is not a month (YYYY-MM)")
    return value.strip()


# An amount as nearly every row gives it, which float() reads as Decimal would (both round correctly).
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,2})?")


def an_amount(value: str) -> float:
    text = value.strip()
    if _PLAIN_AMOUNT.fullmatch(text):
        return float(text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Invalid(f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise Invalid(f"{value!r} must be a non-negative amount with at most two decimals")
    return float(amount)


INTEGER = re.compile(r"^[+-]?\d{1,15}$")


def an_integer(value: str) -> int:
    """A whole number, as a count or a score is given (credit may be below zero)."""
    if not INTEGER.match(value.strip()):
        raise Invalid(f"{value!r} is not a whole number")
    return int(value.strip())


def a_count(value: str) -> int:
    """A whole number of at least zero (points)."""
    number = an_integer(value)
    if number < 0:
        raise Invalid(f"{value!r} must be a whole number of at least zero")
    return number


EARLIEST_YEAR = 1900


def a_year(value: str) -> int:
    """A calendar year (YYYY), at latest the operator's next one: the year a yearly figure is of."""
    text = value.strip()
    if not re.fullmatch(r"\d{4}", text):
        raise Invalid(f"{value!r} is not a year (YYYY)")
    year = int(text)
    if year < EARLIEST_YEAR or year > clock.today().year + 1:
        raise Invalid(f"{value!r} is not a plausible year")
    return year


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


# The longest value a field takes, unless its Field says less: a longer one is a delivery fault
# (a shifted column, a pasted document), kept aside rather than sorted, matched or shown.
TEXT_MAX = 200


@dataclass(frozen=True, slots=True)
class Field:
    rule: Rule
    required: bool = False
    max_length: int = TEXT_MAX
