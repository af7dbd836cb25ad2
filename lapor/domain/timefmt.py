"""Times as people read them: in the region's timezone (WIB by default), in Indonesian."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC; read at the edges and passed inward as `now`."""
    return datetime.now(UTC)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment in the given timezone."""
    return moment.astimezone(tz)


def human(moment: datetime | None, tz: ZoneInfo) -> str:
    """e.g. '23 Nov 2026 17.30 WIB' (Indonesian style: a dot between hours and minutes)."""
    if moment is None:
        return "-"
    here = moment.astimezone(tz)
    return f"{here.day} {MONTHS[here.month - 1]} {here.year} {here:%H.%M} {here.tzname()}"


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
