"""Calendar months, the one month arithmetic of the service rules: a star level's window, a churn
rule's months, a care interval, a retained customer's follow-up period. Months are ``YYYY-MM`` text
where the data keeps them so (bills), and calendar dates where a rule counts them from a day."""

from __future__ import annotations

from calendar import isleap
from datetime import date
from functools import lru_cache
from typing import TypeVar

Day = TypeVar("Day", bound=date)
# Days of each month in a common year (calendar.monthrange works out the month's first weekday too).
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_days(year: int, month: int) -> int:
    return 29 if month == 2 and isleap(year) else _MONTH_DAYS[month - 1]


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_back(today: date, months: int) -> str:
    """The month ``months`` whole months before ``today``'s month."""
    return month_of(today.year * 12 + today.month - 1 - months)


@lru_cache(maxsize=256)
def complete_months(today: date, count: int) -> tuple[str, ...]:
    """The ``count`` calendar months before ``today``'s (which is not complete yet), oldest first.
    Kept: every customer of a request asks for the same few windows of the same day."""
    index = today.year * 12 + today.month - 1
    return tuple(month_of(i) for i in range(index - count, index))


def add_months(day: Day, months: int) -> Day:
    """The same day (and time, for a datetime) ``months`` later, or the month's last day where it is
    shorter: 31 January + 1 is 28 or 29 February, 30 November + 3 is 28 February."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, month_days(year, month + 1)))
