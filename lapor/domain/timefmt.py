"""Times as people read them: in the region's timezone (WIB by default), in their language
(month and day names from Babel's CLDR data)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

# Indonesian writes a dot between hours and minutes (17.30), English a colon.
CLOCK = {"id": "%H.%M", "en": "%H:%M"}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC; read at the edges and passed inward as `now`."""
    return datetime.now(UTC)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment in the given timezone."""
    return moment.astimezone(tz)


def human(moment: datetime | None, tz: ZoneInfo, language: str = "id") -> str:
    """e.g. '23 Nov 2026 17.30 WIB', in English '23 Nov 2026 17:30 WIB'."""
    if moment is None:
        return "-"
    here = moment.astimezone(tz)
    day = format_date(here, "d MMM y", locale=language)
    return f"{day} {here.strftime(CLOCK.get(language, CLOCK['id']))} {here.tzname()}"


def long_date(
    moment: datetime | None, tz: ZoneInfo, language: str = "id", *, time: bool = False
) -> str:
    """A day in words, as a deadline is announced: 'Selasa, 9 Desember 2026', in English
    'Tuesday, 9 December 2026'; with `time`, 'Selasa, 9 Desember 2026, 14.05 WIB'."""
    if moment is None:
        return "-"
    here = moment.astimezone(tz)
    day = format_date(here, "EEEE, d MMMM y", locale=language)
    if not time:
        return day
    return f"{day}, {here.strftime(CLOCK.get(language, CLOCK['id']))} {here.tzname()}"


def parse_w3c(text: str) -> datetime | None:
    """A W3C date-time with its zone (2026-12-01T08:00:00+07:00, …Z) as an aware moment;
    None for anything else (no zone, other digits than ASCII, not a date-time)."""
    if not text.isascii():
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
