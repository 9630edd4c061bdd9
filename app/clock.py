"""The one source of "now", and the one form of a stored instant, so that SLA clocks, merge audits,
orderings and tests agree on time.

Every event time the graph keeps is an instant in one text form, :func:`instant`: UTC, fixed width,
milliseconds and a ``Z`` (``2026-11-30T15:30:00.000Z``). Fixed width makes text order time order,
so both stores sort, page and filter times as plain strings, and a file's ``+08:00`` and the API's
clock agree on the same moment. People see times in the operator's zone (``C360_TIME_ZONE``,
:func:`render`); calendar days and months (a birth date, a bill month, the star level's window) are
the operator's too (:func:`today`).

Tests and simulations replace the clock with :class:`FixedClock`; nothing else calls
``datetime.now`` directly.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Protocol, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import ConfigError
from app.settings import get_settings

# The length of an instant's text: YYYY-MM-DDTHH:MM:SS.mmmZ.
INSTANT_LENGTH = 24
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class RunningClock:
    """Starts at a given moment and runs on in real time: a demo or a rehearsal lives on its own day
    (C360_CLOCK_START), so its star levels, due work and breaches do not drift with the calendar."""

    def __init__(self, start: datetime) -> None:
        self._offset = aware(start) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


_clock: Clock = SystemClock()


@lru_cache(maxsize=8)
def zone_of(name: str) -> tzinfo:
    """A zone name of the tz database (``Asia/Shanghai``, from the pinned ``tzdata`` package when
    the system has none) or a fixed offset (``+08:00``, ``UTC``)."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    fixed = _OFFSET.match(name)
    if fixed:
        sign, hours, minutes = fixed.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"C360_TIME_ZONE={name!r} is neither a time zone name (Asia/Shanghai) nor an offset (+08:00)"
        ) from None


def operator_zone() -> tzinfo:
    """Where the operator's people live: naive times are read there, and times are shown there."""
    return zone_of(get_settings().time_zone)


def aware(moment: datetime) -> datetime:
    """``moment`` with its zone; a naive one is a wall-clock time in the operator's zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=operator_zone())


def instant(moment: datetime) -> str:
    """The stored form of ``moment``; a naive ``moment`` is a wall-clock time in the operator's zone.
    The day's text is kept per day and the time's made by time.isoformat: 2.7 us for a time with an
    offset on this machine, against 3.7 written out with format specifiers and more by isoformat with
    a timespec on the aware datetime."""
    utc = aware(moment).astimezone(UTC)
    return f"{_day_text(utc.toordinal())}T{utc.time().isoformat('milliseconds')}Z"


@lru_cache(maxsize=4096)
def _day_text(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def is_instant(text: str) -> bool:
    """Already in the stored form (cheap: no parsing), so it can be compared as it is."""
    return len(text) == INSTANT_LENGTH and text[-1] == "Z" and text[10] == "T"


def parse(text: str) -> datetime:
    """An ISO-8601 time as an aware datetime (naive text is the operator's wall clock).
    Raises ValueError when it is not one."""
    return aware(datetime.fromisoformat(text.strip()))


def instant_of(text: str) -> str:
    """An ISO-8601 time in any offset (or none: the operator's zone) in the stored form.
    Raises ValueError when ``text`` is not a time."""
    try:
        return instant(parse(text))
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None


@overload
def render(stored: str) -> str: ...
@overload
def render(stored: None) -> None: ...
@overload
def render(stored: str | None) -> str | None: ...


def render(stored: str | None) -> str | None:
    """A stored time as people read it: ISO-8601 in the operator's zone, with its offset
    (``2026-11-30T23:30:00.000+08:00``). A value that is not a time is shown as it is."""
    if not stored:
        return stored
    try:
        moment = parse(stored)
    except ValueError:
        return stored
    return moment.astimezone(operator_zone()).isoformat(timespec="milliseconds")


def now() -> datetime:
    return _clock.now()


def now_iso() -> str:
    """Now, in the stored form: every writer that stamps a time uses this."""
    return instant(_clock.now())


def now_ms() -> int:
    return int(_clock.now().timestamp() * 1000)


def local_now() -> datetime:
    return _clock.now().astimezone(operator_zone())


def today() -> date:
    """The operator's calendar day, which turns at its midnight, not UTC's."""
    return local_now().date()


def start_at(moment: datetime) -> Clock:
    """Install a :class:`RunningClock` starting at ``moment``; hands back the previous clock."""
    return set_clock(RunningClock(moment))


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` and hand back the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous
