"""The OPDs' response templates (canned answers): kept per OPD, one without an OPD for all;
an officer starts an answer from one, its placeholders filled for the complaint at hand."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, or_, select

from lapor.domain import tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError
from lapor.domain.text import clean_text
from lapor.domain.timefmt import human
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services.casework import Staff
from models import Agency, Complaint, ResponseTemplate, Role

MAX_TITLE, MAX_BODY = 120, 5000
# A letter to a citizen spells the month out.
MONTH_NAMES = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()
PLACEHOLDER = re.compile(r"\{(kode|opd|judul|tanggal|tenggat)\}")
PLACEHOLDERS = {
    "kode": "kode pengaduan",
    "opd": "nama OPD",
    "judul": "judul pengaduan",
    "tanggal": "tanggal hari ini",
    "tenggat": "tenggat berikutnya",
}


def for_staff(session: Session, staff: Staff) -> list[ResponseTemplate]:
    """The templates this staff member may use: their OPD's and the shared ones."""
    query = select(ResponseTemplate)
    if staff.role == Role.OFFICER:
        query = query.where(
            or_(ResponseTemplate.agency_id == staff.agency_id, ResponseTemplate.agency_id.is_(None))
        )
    return list(session.exec(query.order_by(ResponseTemplate.title, ResponseTemplate.id)))


def editable(staff: Staff, template: ResponseTemplate) -> bool:
    """Officers keep their own OPD's templates; admins and supervisors every one."""
    if staff.role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    return staff.role == Role.OFFICER and template.agency_id == staff.agency_id


def filled(
    template: ResponseTemplate,
    complaint: Complaint,
    agency: Agency | None,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> str:
    """The template's text for this complaint: each known placeholder replaced."""
    here = now.astimezone(tz)
    values = {
        "kode": tracking.display(complaint.tracking_code),
        "opd": agency.name if agency else "",
        "judul": complaint.title,
        "tanggal": f"{here.day} {MONTH_NAMES[here.month - 1]} {here.year}",
        "tenggat": human(next_deadline(complaint), tz),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template.body)


def save(
    settings: Settings,
    staff: Staff,
    *,
    title: str,
    body: str,
    now: datetime,
    template_id: int | None = None,
    shared: bool = False,
) -> ResponseTemplate:
    """Create or change a template, in one transaction; an officer's is their OPD's."""
    title, body = clean_text(title) or "", clean_text(body, multiline=True) or ""
    problems = _problems(title, body)
    if problems:
        raise DomainError(" ".join(problems), code="invalid_template")
    if shared and staff.role == Role.OFFICER:
        shared = False  # an officer's template is their OPD's

    def work(session: Session) -> ResponseTemplate:
        template = _own(session, staff, template_id) if template_id else None
        if template is None:
            template = ResponseTemplate(title=title, body=body, created_by_id=staff.id)
            template.created_at = now
            template.agency_id = None if shared else staff.agency_id
        template.title, template.body, template.updated_at = title, body, now
        session.add(template)
        session.flush()
        return template

    return db.run_in_transaction(settings, work)


def delete(settings: Settings, staff: Staff, template_id: int) -> None:
    """Remove a template this staff member keeps (answers already sent keep their text)."""

    def work(session: Session) -> None:
        session.delete(_own(session, staff, template_id))

    db.run_in_transaction(settings, work)


def _own(session: Session, staff: Staff, template_id: int) -> ResponseTemplate:
    template = session.get(ResponseTemplate, template_id)
    if template is None or not editable(staff, template):
        raise DomainError("Templat tidak ditemukan.", code="not_found")
    return template


def _problems(title: str, body: str) -> list[str]:
    problems = []
    if not title or len(title) > MAX_TITLE:
        problems.append(f"Judul templat wajib diisi, paling banyak {MAX_TITLE} karakter.")
    if len(body) < 10 or len(body) > MAX_BODY:
        problems.append(f"Isi templat 10–{MAX_BODY} karakter.")
    return problems
