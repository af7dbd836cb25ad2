"""A year of the region's calendar as month grids (Monday first), each day marked as a working
day, a weekend, a national holiday, collective leave (cuti bersama) or a regional day off."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

WORK, WEEKEND, HOLIDAY, CUTI, REGIONAL = "work", "weekend", "holiday", "cuti", "regional"
WEEKEND_REASON = "akhir pekan"


@dataclass(frozen=True)
class Day:
    """One day of the grid: what kind of day it is and why (a holiday's name)."""

    day: date
    kind: str
    reason: str | None = None
    # A regional day off that falls on a national holiday or weekend keeps that reason too.
    national: str | None = None


@dataclass(frozen=True)
class Month:
    """One month: its weeks, Monday first; days of the neighbouring months are None."""

    year: int
    month: int
    weeks: list[list[Day | None]]


@dataclass(frozen=True)
class Year:
    """The months of a year and the year's named days off, in date order."""

    year: int
    months: list[Month]
    holidays: list[Day]  # national holidays and cuti bersama
    regional: list[Day]


def kind_of(day: date, national: str | None, weekend: frozenset[int]) -> str:
    """What the national calendar makes of a day (before the region's own days off)."""
    if national is None:
        return WORK
    if national == WEEKEND_REASON and day.weekday() in weekend:
        return WEEKEND
    return CUTI if "cuti bersama" in national.lower() else HOLIDAY


def year_view(
    year: int,
    national_reason: Callable[[date], str | None],
    regional: Mapping[date, str],
    weekend: frozenset[int] = frozenset({5, 6}),
) -> Year:
    """The year's grids. `national_reason` is the working calendar's reason for a day off
    without the region's days, `regional` the region's days off and their reasons."""
    months = calendar.Calendar(calendar.MONDAY).yeardatescalendar(year, width=12)[0]
    reasons = {day: national_reason(day) for day in _days_of(year)}
    national = {day: Day(day, kind_of(day, r, weekend), r) for day, r in reasons.items()}
    days = {
        day: Day(day, REGIONAL, regional[day] or "libur daerah", reasons[day])
        if day in regional
        else national[day]
        for day in reasons
    }
    return Year(
        year,
        [
            Month(year, number, [[_in(days, d, number) for d in week] for week in weeks])
            for number, weeks in enumerate(months, start=1)
        ],
        [d for d in national.values() if d.kind in (HOLIDAY, CUTI)],
        [d for d in days.values() if d.kind == REGIONAL],
    )


def _days_of(year: int) -> list[date]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def _in(days: Mapping[date, Day], day: date, month: int) -> Day | None:
    return days[day] if day.month == month else None
