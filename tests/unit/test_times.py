"""One time representation (app/clock.py, the time rules of app/fields.py): every stored time is a UTC
instant of fixed width, so text order is time order whatever offset a time came in; people see the
operator's zone (C360_TIME_ZONE); days turn at the operator's midnight; an event time more than a day
ahead of the clock, or before 1900, is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import clock
from app.errors import ConfigError
from app.fields import Invalid, a_past_date, a_time, an_instant
from app.settings import get_settings

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read afresh, so a test may set C360_TIME_ZONE; the cached ones come back afterwards."""
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("C360_TIME_ZONE", raising=False)
    get_settings.cache_clear()


def at(moment: datetime) -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(moment)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


@pytest.mark.parametrize(
    ("moment", "stored"),
    [
        (datetime(2026, 11, 30, 23, 30, tzinfo=CHINA), "2026-11-30T15:30:00.000Z"),
        (datetime(2026, 12, 1, 4, 0, tzinfo=CHINA), "2026-11-30T20:00:00.000Z"),
        (datetime(2026, 11, 30, 15, 30, 0, 123999, tzinfo=UTC), "2026-11-30T15:30:00.123Z"),
        (datetime(2026, 11, 30, 10, 30, tzinfo=timezone(timedelta(hours=-5))), "2026-11-30T15:30:00.000Z"),
        # Naive: a wall-clock time in the operator's zone (Asia/Shanghai by default).
        (datetime(2026, 11, 30, 23, 30), "2026-11-30T15:30:00.000Z"),
        (datetime(1900, 1, 1, 0, 0, tzinfo=UTC), "1900-01-01T00:00:00.000Z"),
    ],
)
def test_an_instant_is_utc_with_milliseconds_and_z_at_fixed_width(moment: datetime, stored: str) -> None:
    assert clock.instant(moment) == stored
    assert len(stored) == clock.INSTANT_LENGTH and clock.is_instant(stored)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T23:30:00+08:00",
        "2026-11-30T23:30:00.000+08:00",
        "2026-11-30T15:30:00+00:00",
        "2026-11-30T15:30:00.000+00:00",
        "2026-11-30T15:30:00Z",
        "2026-11-30T15:30:00.000Z",
        "2026-11-30T10:30:00-05:00",
        "2026-11-30T23:30:00",
        " 2026-11-30T23:30:00+08:00 ",
    ],
)
def test_every_way_of_writing_one_instant_is_stored_alike(text: str) -> None:
    assert clock.instant_of(text) == "2026-11-30T15:30:00.000Z"


@settings(max_examples=300, derandomize=True)
@given(
    first=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30)),
    second=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30)),
    offsets=st.tuples(st.integers(-14 * 60, 14 * 60), st.integers(-14 * 60, 14 * 60)),
)
def test_text_order_of_instants_is_time_order_whatever_the_offsets(
    first: datetime, second: datetime, offsets: tuple[int, int]
) -> None:
    a = first.replace(tzinfo=timezone(timedelta(minutes=offsets[0])))
    b = second.replace(tzinfo=timezone(timedelta(minutes=offsets[1])))
    a_ms, b_ms = (
        a.replace(microsecond=a.microsecond // 1000 * 1000),
        b.replace(microsecond=b.microsecond // 1000 * 1000),
    )
    assert (clock.instant(a) < clock.instant(b)) == (a_ms < b_ms)
    assert (clock.instant(a) == clock.instant(b)) == (a_ms == b_ms)
    assert clock.instant_of(a.isoformat()) == clock.instant(a)
    assert datetime.fromisoformat(clock.instant(a)) == a_ms and len(clock.instant(a)) == clock.INSTANT_LENGTH


def test_times_are_shown_in_the_operators_zone(zone: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert clock.render("2026-11-30T15:30:00.000Z") == "2026-11-30T23:30:00.000+08:00"
    # A time stored before migration 2 is still shown right.
    assert clock.render("2026-11-30T15:30:00.000+00:00") == "2026-11-30T23:30:00.000+08:00"
    assert clock.render(None) is None and clock.render("") == ""
    assert clock.render("not a time") == "not a time"
    monkeypatch.setenv("C360_TIME_ZONE", "+05:30")
    get_settings.cache_clear()
    assert clock.render("2026-11-30T15:30:00.000Z") == "2026-11-30T21:00:00.000+05:30"
    assert clock.instant_of("2026-11-30T21:00:00") == "2026-11-30T15:30:00.000Z"
    monkeypatch.setenv("C360_TIME_ZONE", "Europe/Berlin")
    get_settings.cache_clear()
    assert clock.render("2026-07-01T12:00:00.000Z") == "2026-07-01T14:00:00.000+02:00"
    assert clock.render("2026-12-01T12:00:00.000Z") == "2026-12-01T13:00:00.000+01:00"
    monkeypatch.setenv("C360_TIME_ZONE", "Mars/Olympus_Mons")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="C360_TIME_ZONE='Mars/Olympus_Mons'"):
        clock.render("2026-11-30T15:30:00.000Z")


def test_the_operators_zone_needs_no_system_time_zone_database() -> None:
    """tzdata (pinned in pyproject.toml) answers when the system has no /usr/share/zoneinfo."""
    import zoneinfo

    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()
    try:
        clock.zone_of.cache_clear()
        assert clock.zone_of("Asia/Shanghai").utcoffset(datetime(2026, 11, 30)) == timedelta(hours=8)
    finally:
        zoneinfo.reset_tzpath()
        clock.zone_of.cache_clear()


def test_now_and_today_are_the_clocks_in_utc_and_in_the_operators_days() -> None:
    """04:00 on 1 December in China is still 30 November in UTC: the operator's day has turned."""
    for _ in at(datetime(2026, 12, 1, 4, 0, tzinfo=CHINA)):
        assert clock.now_iso() == "2026-11-30T20:00:00.000Z"
        assert clock.today() == date(2026, 12, 1)
        assert a_past_date("2026-12-01") == "2026-12-01"
        with pytest.raises(Invalid, match="not a plausible birth date"):
            a_past_date("2026-12-02")


def test_an_event_time_is_stored_as_an_instant_and_refused_when_implausible() -> None:
    for _ in at(datetime(2026, 11, 30, 23, 30, tzinfo=CHINA)):
        assert a_time("2026-11-30T23:30:00+08:00") == "2026-11-30T15:30:00.000Z"
        assert a_time("2026-11-30T23:30:00") == "2026-11-30T15:30:00.000Z"
        # A channel system's clock may run fast: up to a day ahead is kept.
        assert a_time("2026-12-01T23:30:00+08:00") == "2026-12-01T15:30:00.000Z"
        with pytest.raises(Invalid) as ahead:
            a_time("2026-12-01T23:30:00.001+08:00")
        assert str(ahead.value) == (
            "'2026-12-01T23:30:00.001+08:00' is more than a day after now (2026-11-30T23:30:00.000+08:00): "
            "not a plausible time"
        )
        with pytest.raises(Invalid, match="'2999-01-01T00:00:00Z' is more than a day after now"):
            a_time("2999-01-01T00:00:00Z")
        assert a_time("1900-01-01T00:00:00Z") == "1900-01-01T00:00:00.000Z"
        with pytest.raises(Invalid, match=r"^'1899-12-31T23:59:59.999Z' is before 1900: not a plausible time$"):
            a_time("1899-12-31T23:59:59.999Z")
        with pytest.raises(Invalid, match="is not an ISO-8601 time"):
            a_time("30/11/2026 23:30")
        with pytest.raises(Invalid, match="is not an ISO-8601 time"):
            a_time("0001-01-01T00:00:00+08:00")
        # A query's bound is any instant: the future is a fine upper bound.
        assert an_instant("2999-01-01T08:00:00+08:00") == "2999-01-01T00:00:00.000Z"
