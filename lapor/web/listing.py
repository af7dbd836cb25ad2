"""A staff list's query string as worklist.Filters: one reading for the console's pages and
the staff API, so a bookmarked console view and an API call ask the same thing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext

from lapor.domain import workflow
from lapor.services.worklist import MAX_PER_PAGE, SLA_STATES, SORTS, Filters
from models import Channel, ComplaintStatus

MAX_QUERY = 200
FIRST_YEAR, LAST_YEAR = 1900, 2999
TRUE = ("1", "true", "ya", "on")
# The console's earlier, Indonesian parameter names, still accepted in bookmarks.
ALIASES = {"opd": "agency", "kabupaten": "regency", "tingkat": "level", "dari": "from"}


def _arg(args: Mapping[str, str], name: str) -> str:
    for alias, canonical in ALIASES.items():
        if canonical == name and args.get(alias):
            return args[alias].strip()
    return (args.get(name) or "").strip()


def parse(
    args: Mapping[str, str], tz: ZoneInfo, *, per_page: int = 25
) -> tuple[Filters, dict[str, str]]:
    """The filters a query string asks for, and a message per parameter it got wrong (the
    wrong ones are left out, so the page can still show the rest)."""
    problems: dict[str, str] = {}
    values: dict = {"q": _arg(args, "q")[:MAX_QUERY]}
    values["statuses"] = _statuses(_arg(args, "status"), problems)
    for name, key in (("agency", "agency_code"), ("regency", "regency")):
        values[key] = _arg(args, name) or None
    values["channel"] = _choice(
        _arg(args, "channel"), [c.value for c in Channel], "channel", problems
    )
    values["channel"] = Channel(values["channel"]) if values["channel"] else None
    sla = _choice(_arg(args, "sla"), SLA_STATES, "sla", problems)
    if not sla and (_arg(args, "overdue") in TRUE or _arg(args, "terlambat") in TRUE):
        sla = "overdue"
    values["sla"] = sla
    values["escalation_level"] = _number(_arg(args, "level"), "level", 0, 10, problems)
    first = _day(_arg(args, "from"), "from", problems)
    last = _day(_arg(args, "to") or _arg(args, "sampai"), "to", problems)
    values["received_from"] = _local_midnight(first, tz) if first else None
    values["received_before"] = _local_midnight(last + timedelta(days=1), tz) if last else None
    if first and last and first > last:
        problems["from"] = gettext("Tanggal awal sesudah tanggal akhir.")
    values["triage"] = _arg(args, "triage") in TRUE or _arg(args, "triase") in TRUE
    # A search looks back over every status: the newest first (a closed complaint's old
    # deadline would put years-old ones on top).
    default_sort = "uncertainty" if values["triage"] else "newest" if values["q"] else "deadline"
    values["sort"] = _choice(_arg(args, "sort"), SORTS, "sort", problems) or default_sort
    values["page"] = _number(_arg(args, "page"), "page", 1, 100_000, problems) or 1
    size = _number(_arg(args, "per_page"), "per_page", 1, MAX_PER_PAGE, problems)
    values["per_page"] = size or per_page
    return Filters(**values), problems


def _statuses(raw: str, problems: dict[str, str]) -> frozenset[ComplaintStatus] | None:
    if not raw:
        return None  # the open ones, or every status when searching by words
    if raw in ("open", "terbuka"):
        return frozenset(workflow.OPEN)
    if raw in ("all", "semua"):
        return frozenset(ComplaintStatus)
    chosen = set()
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        try:
            chosen.add(ComplaintStatus(part))
        except ValueError:
            known = ", ".join(s.value for s in ComplaintStatus)
            problems["status"] = gettext(
                "Status tidak dikenal: %(value)s (pilih dari %(known)s).",
                value=part[:40],
                known=known,
            )
    return frozenset(chosen) or None


def _choice(raw: str, allowed, name: str, problems: dict[str, str]) -> str | None:
    if not raw:
        return None
    if raw not in allowed:
        problems[name] = gettext(
            "Nilai '%(value)s' tidak dikenal; pilih dari: %(known)s.",
            value=raw[:40],
            known=", ".join(allowed),
        )
        return None
    return raw


def _number(raw: str, name: str, low: int, high: int, problems: dict[str, str]) -> int | None:
    if not raw:
        return None
    # isdigit() also says yes to "²", which int() refuses: ASCII digits only.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        problems[name] = gettext("Harus bilangan bulat %(low)s–%(high)s.", low=low, high=high)
        return None
    return int(raw)


def _day(raw: str, name: str, problems: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    # The ends of the calendar have no local midnight in UTC (or no next day): not a period.
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        problems[name] = gettext("Tanggal tidak valid: %(raw)s (format TTTT-BB-HH).", raw=raw[:20])
        return None
    return day


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)
