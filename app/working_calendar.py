"""The Chinese working calendar (public holidays and make-up working days, 调休) and the quiet hours
customers are not disturbed in (不宜打扰), for time limits counted in working days and for planning
contacts (DOMAIN.md §6).

The holidays come from the pinned ``chinese-calendar`` package, not a hand-made table, because they
change every year by the State Council's notice. A year the package does not carry yet is listed in
rules.toml [calendar.years]; a day in a year neither knows raises :class:`UnknownCalendarYear`, so a
deadline there is flagged rather than guessed from weekdays alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import chinese_calendar

from app import clock
from app.rules import CalendarRules, Rules

PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
# How many rules objects keep their calendar: one in service, a few more in tests.
_KEPT = 8


class UnknownCalendarYear(Exception):
    """A day in a year whose holidays neither the package nor the rules know."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the working calendar of {year} is unknown: list its holidays and working weekends in "
            f"rules.toml [calendar.years.{year}] (the chinese-calendar package knows "
            f"{PACKAGE_YEARS.start}-{PACKAGE_YEARS.stop - 1})"
        )
        self.year = year


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` on the wall clock of ``zone``; ``start`` after ``end`` spans midnight.
    The start belongs to the quiet hours, the end does not."""

    start: time
    end: time
    zone: tzinfo

    def contains(self, moment: datetime) -> bool:
        local = clock.aware(moment).astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_outside(self, moment: datetime) -> datetime:
        """``moment`` itself outside the quiet hours, else the moment they end (in ``moment``'s zone),
        where a planned contact moves to."""
        moment = clock.aware(moment)
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=self.zone).astimezone(moment.tzinfo)


class WorkingCalendar:
    """Working days in China: Monday to Friday less public holidays, plus the weekends worked in
    their place. Days are the operator's calendar days (``zone``, Beijing time)."""

    def __init__(self, rules: CalendarRules, zone: tzinfo) -> None:
        self.zone = zone
        self.quiet_hours = QuietHours(rules.quiet_hours[0], rules.quiet_hours[1], zone)
        self._years = {
            year: (frozenset(listed.holidays), frozenset(listed.working_weekends))
            for year, listed in rules.years.items()
        }

    def covers(self, year: int) -> bool:
        return year in self._years or year in PACKAGE_YEARS

    def is_working_day(self, day: date) -> bool:
        listed = self._years.get(day.year)
        if listed is not None:
            holidays, working_weekends = listed
            return day in working_weekends or (day.weekday() < 5 and day not in holidays)
        if day.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(day))
        raise UnknownCalendarYear(day.year)

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself never counts, so a promise made
        on a Friday or a holiday is due on a following working day); ``start`` itself for 0."""
        if days < 0:
            raise ValueError(f"add_working_days counts forward, not {days}")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def end_of_working_days(self, moment: datetime, days: int) -> datetime:
        """The end (the next midnight, operator time) of the ``days``-th working day after ``moment``'s
        day: "within 1 working day" gives the whole of the next working day, whatever the hour."""
        local_day = clock.aware(moment).astimezone(self.zone).date()
        last = self.add_working_days(local_day, days)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.zone)


_built: dict[tuple[int, tzinfo], tuple[Rules, WorkingCalendar]] = {}


def working_calendar(rules: Rules) -> WorkingCalendar:
    """The calendar of ``rules`` in the operator's zone, built once per rules object (a reloaded rules
    file gets a new one)."""
    zone = clock.operator_zone()
    key = (id(rules), zone)
    kept = _built.get(key)
    if kept is not None and kept[0] is rules:
        return kept[1]
    if len(_built) >= _KEPT:
        _built.pop(next(iter(_built)))
    calendar = WorkingCalendar(rules.calendar, zone)
    _built[key] = (rules, calendar)
    return calendar
