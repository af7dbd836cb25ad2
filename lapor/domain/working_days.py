"""The SLA clock: deadlines counted in working days of the region's calendar.

Working days skip weekends, Indonesia's national holidays and collective leave (cuti bersama,
the `holidays` package's "government" category) and the region's own extra days off. A
deadline of n working days from a moment is the end (23:59:59 local time) of the n-th working
day after the day of that moment: a complaint received on Monday morning with 3 days is due
at the end of Thursday; one received on Saturday is due at the end of Wednesday.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

END_OF_DAY = time(23, 59, 59)
# The `holidays` package's name of each language people read Lapor in.
HOLIDAY_LANGUAGES = {"id": "id", "en": "en_US"}


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days in a region, in its timezone."""

    tz: ZoneInfo
    weekend: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday
    # The region's own days off and their reasons (not part of the hash: a mapping).
    extra_days_off: Mapping[date, str] = field(default_factory=dict, hash=False)
    country: str = "ID"

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        # Years are filled in on first lookup of a date in them (the package's expand mode).
        return holidays.country_holidays(
            self.country, categories=("public", "government"), language="id"
        )

    def holiday_names(self, year: int, language: str) -> Mapping[date, str]:
        """The country's holidays of a year named in a language ("id", or "en")."""
        return holidays.country_holidays(
            self.country,
            categories=("public", "government"),
            language=HOLIDAY_LANGUAGES.get(language, "id"),
            years=year,
        )

    def day_off_reason(self, day: date) -> str | None:
        """Why a day is not a working day (holiday name, 'akhir pekan', …), or None."""
        if day in self.extra_days_off:
            return self.extra_days_off[day] or "libur daerah"
        if day in self._holidays:
            return self._holidays.get(day)
        if day.weekday() in self.weekend:
            return "akhir pekan"
        return None

    @cached_property
    def _working(self) -> dict[date, bool]:
        return {}

    def is_working_day(self, day: date) -> bool:
        # Asked thousands of times per sweep for the same few weeks: remembered per calendar.
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self.day_off_reason(day) is None
        return known

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    @cached_property
    def _nth_after(self) -> dict[tuple[date, int], date]:
        return {}

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1); `day` itself does not count."""
        if n < 1:
            raise ValueError("n must be at least 1")
        # Every complaint of a day asks the same few questions: remembered per calendar.
        found = self._nth_after.get((day, n))
        if found is None:
            found = self._nth_after[(day, n)] = self._count_working_days(day, n)
        return found

    def _count_working_days(self, day: date, n: int) -> date:
        current, counted = day, 0
        while counted < n:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def previous_working_day(self, day: date) -> date:
        """The last working day before `day`."""
        current = day - timedelta(days=1)
        while not self.is_working_day(current):
            current -= timedelta(days=1)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count


def due_at(start: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """The deadline, as an aware datetime in the calendar's timezone."""
    day = calendar.nth_working_day_after(calendar.local_day(start), working_days)
    return datetime.combine(day, END_OF_DAY, tzinfo=calendar.tz)


def remaining(now: datetime, due: datetime, calendar: WorkingCalendar) -> int:
    """Whole working days left before the deadline's day (0 on that day; negative: overdue)."""
    today, due_day = calendar.local_day(now), calendar.local_day(due)
    if now > due:
        return -max(1, calendar.working_days_between(due_day, today))
    return calendar.working_days_between(today, due_day)


def pause(now: datetime, due: datetime, calendar: WorkingCalendar) -> int:
    """Stop the clock: the working days that are left, to be given back on resume (min. 1)."""
    return max(1, remaining(now, due, calendar))


def resume(now: datetime, days_left: int, calendar: WorkingCalendar) -> datetime:
    """Restart a paused clock: a new deadline with the working days that were left."""
    return due_at(now, max(1, days_left), calendar)
