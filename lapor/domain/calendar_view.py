"""A year of the region's calendar as month grids (Monday first), each day marked as a working
day, a weekend, a national holiday, collective leave (cuti bersama) or a regional day off."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from lapor.domain.language import N_

WORK, WEEKEND, HOLIDAY, CUTI, REGIONAL = "work", "weekend", "holiday", "cuti", "regional"
WEEKEND_REASON = N_("akhir pekan")
REGIONAL_REASON = N_("libur daerah")


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
    named: Callable[[date, str], str] | None = None,
) -> Year:
    """The year's grids. `national_reason` is the working calendar's reason for a day off
    without the region's days, `regional` the region's days off and their reasons; `named`
    gives a national reason as people read it (another language), the kind of day being
    decided on the calendar's own words."""
    months = calendar.Calendar(calendar.MONDAY).yeardatescalendar(year, width=12)[0]
    reasons = {day: national_reason(day) for day in _days_of(year)}
    shown = {day: r and (named(day, r) if named else r) for day, r in reasons.items()}
    national = {day: Day(day, kind_of(day, r, weekend), shown[day]) for day, r in reasons.items()}
    days = {
        # A regional day keeps a national holiday's name beside its own, not "weekend".
        day: Day(
            day,
            REGIONAL,
            regional[day] or (named(day, REGIONAL_REASON) if named else REGIONAL_REASON),
            shown[day] if national[day].kind in (HOLIDAY, CUTI) else None,
        )
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
