"""The SLA clock: working days on Indonesia's calendar, table-driven."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from lapor.domain.working_days import WorkingCalendar, due_at, pause, remaining, resume

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")
JAKARTA = WorkingCalendar(WIB)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.mark.parametrize(
    ("start", "days", "due_day", "why"),
    [
        (wib(2026, 11, 23, 9), 3, date(2026, 11, 26), "Monday + 3 = Thursday"),
        (wib(2026, 11, 27, 16, 30), 1, date(2026, 11, 30), "Friday afternoon + 1 = Monday"),
        (wib(2026, 11, 27, 16, 30), 3, date(2026, 12, 2), "over a weekend"),
        (wib(2026, 11, 28, 10), 3, date(2026, 12, 2), "received on Saturday"),
        # Idul Fitri 2026: Nyepi 19 Mar with cuti bersama 18 Mar, cuti bersama 20, 23, 24 Mar,
        # Idul Fitri 21-22 Mar (a weekend).
        (wib(2026, 3, 17, 9), 3, date(2026, 3, 27), "Idul Fitri week"),
        (wib(2026, 3, 13, 9), 5, date(2026, 3, 27), "into the Idul Fitri week"),
        # Year end: cuti bersama Natal 24 Dec, Natal 25 Dec, 1 Jan, weekends.
        (wib(2026, 12, 23, 15), 3, date(2026, 12, 30), "Christmas and the weekend"),
        (wib(2026, 12, 30, 15), 2, date(2027, 1, 4), "New Year"),
        (wib(2026, 11, 23, 9), 5, date(2026, 11, 30), "5 working days"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_deadlines_skip_weekends_holidays_and_collective_leave(start, days, due_day, why):
    due = due_at(start, days, JAKARTA)
    assert due.date() == due_day, why
    assert (due.hour, due.minute) == (23, 59) and due.tzinfo == WIB


def test_the_day_is_the_local_one_in_each_timezone():
    # 23:30 UTC on Sunday 22 Nov is already Monday morning in WIB, WITA and WIT.
    start = datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC"))
    for zone in (WIB, WITA, WIT):
        assert due_at(start, 1, WorkingCalendar(zone)).date() == date(2026, 11, 24)
    # 16:30 UTC on Friday is still Friday in WIB (23:30) but Saturday in WITA and WIT.
    friday = datetime(2026, 11, 27, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert due_at(friday, 1, WorkingCalendar(WIB)).date() == date(2026, 11, 30)
    assert due_at(friday, 1, WorkingCalendar(WITA)).date() == date(2026, 11, 30)
    assert due_at(friday, 1, WorkingCalendar(WIT)).date() == date(2026, 11, 30)


def test_regional_days_off_and_reasons():
    region = WorkingCalendar(WIB, extra_days_off={date(2026, 11, 24): "Cuti Gubernur"})
    assert due_at(wib(2026, 11, 23, 9), 1, region).date() == date(2026, 11, 25)
    assert region.day_off_reason(date(2026, 11, 24)) == "Cuti Gubernur"
    unnamed = WorkingCalendar(WIB, extra_days_off={date(2026, 11, 24): ""})
    assert unnamed.day_off_reason(date(2026, 11, 24)) == "libur daerah"
    assert "Idul Fitri" in JAKARTA.day_off_reason(date(2026, 3, 21))
    assert "Cuti Bersama" in JAKARTA.day_off_reason(date(2026, 3, 20))
    assert JAKARTA.day_off_reason(date(2026, 11, 28)) == "akhir pekan"
    assert JAKARTA.is_working_day(date(2026, 11, 23))


def test_remaining_working_days_and_overdue():
    due = due_at(wib(2026, 11, 23, 9), 3, JAKARTA)  # Thursday 26 Nov
    assert remaining(wib(2026, 11, 23, 10), due, JAKARTA) == 3
    assert remaining(wib(2026, 11, 26, 8), due, JAKARTA) == 0  # due today
    assert remaining(wib(2026, 11, 27, 8), due, JAKARTA) == -1
    assert remaining(wib(2026, 11, 30, 8), due, JAKARTA) == -2  # the weekend does not count


def test_a_pause_spanning_a_holiday_gives_back_the_days_left():
    due = due_at(wib(2026, 3, 12, 9), 5, JAKARTA)  # Thu 12 Mar: 13, 16, 17, 25, 26
    assert due.date() == date(2026, 3, 26)
    left = pause(wib(2026, 3, 16, 10), due, JAKARTA)  # Monday 16 Mar: 17, 25, 26 are left
    assert left == 3
    # The reporter answers on Thursday 19 Mar (Nyepi): 25, 26, 27 Mar.
    assert resume(wib(2026, 3, 19, 11), left, JAKARTA).date() == date(2026, 3, 27)


def test_bad_day_counts_are_refused():
    with pytest.raises(ValueError):
        due_at(wib(2026, 11, 23, 9), 0, JAKARTA)
