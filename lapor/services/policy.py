"""The region's rules that admins edit besides the registry: the SLA policy (sla.yaml's
structure), the regional days off, and the routing map (routing.yaml's structure). Each save
is checked whole, audited, and reaches every process through the configuration version;
complaints already on a stage keep the deadline they were given."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from lapor.domain import calendar_view
from lapor.domain.deadlines import Deadlines
from lapor.domain.errors import DomainError, FieldProblem, ValidationFailed
from lapor.domain.places import Gazetteer
from lapor.domain.sla_policy import PolicyError, SlaBook
from lapor.domain.working_days import WorkingCalendar, due_at
from lapor.infra.translations import translate
from lapor.services import changes, registry
from lapor.services.changes import Editor
from models import Agency, AgencyKind, Complaint, DayOff, RegionSetting

EARLIEST_DAY_OFF = date(2000, 1, 1)
LATEST_DAY_OFF = date(2100, 12, 31)


def _save_document(session: Session, key: str, data: dict, now: datetime) -> dict | None:
    row = session.get(RegionSetting, key, with_for_update=True)
    before = copy.deepcopy(row.data) if row is not None else None
    if row is None:
        row = RegionSetting(key=key, data=data, updated_at=now)
    else:
        row.data, row.updated_at = data, now
    session.add(row)
    return before


# --- the SLA policy -----------------------------------------------------------------------


def check_sla(session: Session, document: Mapping, labels: set[str]) -> SlaBook:
    """The policy checked as `SlaBook.from_dict` checks the file, and against the registry:
    every OPD named exists, the triage unit is an active OPD, every category is a label."""
    book = SlaBook.from_dict(document)
    known = {a.code: a for a in session.exec(select(Agency))}
    for code in book.by_agency:
        if code not in known:
            raise PolicyError(f"agencies.{code}: OPD tidak dikenal.")
    if not book.triage_agency:
        # Its chain is escalated while a complaint waits for verification: it must exist.
        raise PolicyError("triage_agency: wajib diisi (OPD yang memverifikasi pengaduan).")
    triage = known.get(book.triage_agency)
    if triage is None or not triage.active or triage.kind == AgencyKind.EXTERNAL:
        raise PolicyError(f"triage_agency: '{book.triage_agency}' bukan OPD aktif.")
    for name in book.by_category:
        if name not in labels:
            raise PolicyError(f"categories.{name}: kategori tidak dikenal (label peta rute).")
    return book


def save_sla(
    session: Session,
    editor: Editor,
    document: Mapping,
    *,
    labels: set[str],
    current: Mapping,
    now: datetime,
) -> SlaBook:
    """Replace the policy whole. `calendar.days_off`, when given, replaces the regional days
    off too (the structure of sla.yaml, taken back whole)."""
    book = check_sla(session, document, labels)
    stored = copy.deepcopy(dict(document))
    calendar = dict(stored.get("calendar") or {})
    days_off = calendar.pop("days_off", None)
    stored["calendar"] = calendar
    if days_off is not None:
        for day, reason in days_off.items():
            _check_reason(day, reason)
        _replace_days_off(session, editor, book.days_off, now)
    if stored != dict(current):
        before = _save_document(session, "sla", stored, now)
        old, new = changes.changed_fields(before or dict(current), stored)
        changes.record(
            session, editor, subject="sla", key="sla", action="update",
            before=old, after=new, now=now,
        )  # fmt: skip
    return book


@dataclass(frozen=True)
class DuePreview:
    """When a complaint verified now to one OPD would be due, stage by stage."""

    agency_code: str
    response_days: int
    response_due: datetime
    resolution_due: datetime


def preview(deadlines: Deadlines, agency_code: str, now: datetime) -> DuePreview:
    """The deadlines a complaint disposed now to this OPD gets under the policy in force."""
    policy = deadlines.book.policy_for(agency_code, None)
    return DuePreview(
        agency_code,
        policy.response_days,
        due_at(now, policy.response_days, deadlines.calendar),
        now + timedelta(days=policy.resolution_calendar_days),
    )


# --- regional days off --------------------------------------------------------------------


def days_off(session: Session, year: int | None = None) -> list[DayOff]:
    """The regional days off, of one year or all, in date order."""
    query = select(DayOff).order_by(DayOff.day)
    if year is not None:
        query = query.where(DayOff.day >= date(year, 1, 1), DayOff.day <= date(year, 12, 31))
    return list(session.exec(query))


def year_calendar(
    session: Session, calendar: WorkingCalendar, year: int, language: str = "id"
) -> calendar_view.Year:
    """A year's month grids: weekends, the national holidays and cuti bersama of the clock,
    and the region's days off as committed now (not as cached); named in `language`."""
    national = replace(calendar, extra_days_off={})
    regional = {row.day: row.reason for row in days_off(session, year)}
    names = calendar.holiday_names(year, language)

    def named(day: date, reason: str) -> str:
        return names.get(day) or translate(reason, language)

    return calendar_view.year_view(
        year, national.day_off_reason, regional, calendar.weekend, named=named
    )


def check_day_off(day: object, reason: object) -> tuple[date, str]:
    """A day off as an admin sends it: a date in YYYY-MM-DD and a reason."""
    problems: dict[str, FieldProblem] = {}
    parsed = None
    if isinstance(day, date):
        parsed = day
    elif isinstance(day, str) and len(day.strip()) == 10 and day.strip().isascii():
        try:
            parsed = date.fromisoformat(day.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        problems["date"] = FieldProblem("invalid_date", "Tanggal tidak valid (format YYYY-MM-DD).")
    elif not EARLIEST_DAY_OFF <= parsed <= LATEST_DAY_OFF:
        problems["date"] = FieldProblem("date_out_of_range", "Tanggal harus antara 2000 dan 2100.")
    text = reason.strip() if isinstance(reason, str) else ""
    if not 3 <= len(text) <= 200:
        problems["reason"] = FieldProblem(
            "invalid_reason", "Keterangan libur wajib diisi, 3–200 karakter."
        )
    if problems:
        raise ValidationFailed(problems)
    return parsed, text  # type: ignore[return-value]


def add_day_off(
    session: Session, editor: Editor, day: object, reason: object, *, now: datetime
) -> DayOff:
    """Declare a regional day off; the working-day clock of every process skips it."""
    parsed, text = check_day_off(day, reason)
    if session.get(DayOff, parsed) is not None:
        raise ValidationFailed(
            {"date": FieldProblem("already_off", f"{parsed.isoformat()} sudah libur daerah.")}
        )
    row = DayOff(day=parsed, reason=text, created_at=now)
    session.add(row)
    changes.record(
        session, editor, subject="holiday", key=parsed.isoformat(), action="create",
        before=None, after={"date": parsed.isoformat(), "reason": text}, now=now,
    )  # fmt: skip
    return row


def remove_day_off(session: Session, editor: Editor, day: date, *, now: datetime) -> None:
    """Take a regional day off back: the day is a working day again for new deadlines."""
    row = session.get(DayOff, day)
    if row is None:
        raise DomainError(f"{day.isoformat()} bukan libur daerah.", code="not_found")
    session.delete(row)
    changes.record(
        session, editor, subject="holiday", key=day.isoformat(), action="delete",
        before={"date": day.isoformat(), "reason": row.reason}, after=None, now=now,
    )  # fmt: skip


def _check_reason(day: object, reason: object) -> None:
    """A day off in a whole policy follows the rule of one added alone."""
    try:
        check_day_off(day if isinstance(day, date) else str(day), reason)
    except ValidationFailed as failed:
        message = next(iter(failed.fields.values())).message
        raise PolicyError(f"calendar.days_off.{day}: {message}") from failed


def _replace_days_off(
    session: Session, editor: Editor, wanted: Mapping[date, str], now: datetime
) -> None:
    existing = {row.day: row for row in days_off(session)}
    for day in sorted(set(existing) - set(wanted)):
        remove_day_off(session, editor, day, now=now)
    for day, reason in sorted(wanted.items()):
        if day not in existing:
            add_day_off(session, editor, day, reason, now=now)
        elif existing[day].reason != reason:
            before = existing[day].reason
            existing[day].reason = check_day_off(day, reason)[1]
            session.add(existing[day])
            changes.record(
                session, editor, subject="holiday", key=day.isoformat(), action="update",
                before={"reason": before}, after={"reason": reason}, now=now,
            )  # fmt: skip


# --- the routing map ----------------------------------------------------------------------

BY_LOCATION = {"by_location": True}


def save_routing(
    session: Session,
    editor: Editor,
    labels: Mapping[str, object],
    *,
    region: str,
    gazetteer: Gazetteer,
    now: datetime,
) -> dict:
    """Point classifier labels at other OPDs (None: always to triage; {"by_location": true}:
    the kabupaten/kota of the complaint). Only labels of the map in force can be set; the
    others keep what they are in the database now (read under the configuration's lock)."""
    changes.lock(session)
    current = registry.documents(session, region)["routing"]
    targets = dict(current.get("labels") or {})
    known = {a.code: a for a in session.exec(select(Agency))}
    problems: dict[str, FieldProblem] = {}
    for label, target in labels.items():
        if label not in targets:
            problems[label] = FieldProblem("unknown_label", f"Label tidak dikenal: {label}.")
        elif target not in (None, BY_LOCATION) and (
            not isinstance(target, str) or target not in known
        ):
            problems[label] = FieldProblem("unknown_agency", f"OPD tidak dikenal: {target}.")
        elif isinstance(target, str) and target != targets[label] and not known[target].active:
            problems[label] = FieldProblem("inactive_agency", f"OPD tidak aktif: {target}.")
        elif target == BY_LOCATION and not (current.get("location_agencies") or {}):
            problems[label] = FieldProblem(
                "no_location_agencies", "Wilayah ini tidak memetakan kabupaten/kota ke OPD."
            )
    if problems:
        raise ValidationFailed(problems)
    regencies = {regency.name for regency in gazetteer.all_regencies()}
    for name, code in (current.get("location_agencies") or {}).items():
        if name not in regencies or code not in known:
            raise DomainError(f"location_agencies: '{name}' → {code} tidak valid.", code="invalid")
    changed = {label: t for label, t in labels.items() if targets.get(label) != t}
    if not changed:
        return dict(current)
    document = {**copy.deepcopy(dict(current)), "labels": {**targets, **changed}}
    _save_document(session, "routing", document, now)
    changes.record(
        session, editor, subject="routing", key=", ".join(sorted(changed))[:200],
        action="update", before={k: targets.get(k) for k in changed}, after=changed, now=now,
    )  # fmt: skip
    return document


def label_volumes(session: Session, since: datetime) -> dict[str, int]:
    """How many complaints each label decided since a moment (the model's live volume)."""
    rows = session.exec(
        select(Complaint.routing_label, func.count())
        .where(Complaint.received_at >= since, Complaint.routing_label.is_not(None))
        .group_by(Complaint.routing_label)
    ).all()
    return {label: count for label, count in rows}
