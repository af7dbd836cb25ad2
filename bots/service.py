"""What the bot asks of Lapor: blocking database and model work, run off the event loop with
asyncio.to_thread. Filing goes through the same `file_complaint` as the web form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from lapor.domain import tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError
from lapor.domain.intake import Submission, Upload
from lapor.domain.reporter_key import follow_up_url
from lapor.domain.timefmt import human
from lapor.domain.workflow import ACTION_LABELS, STATUS_LABELS, TERMINAL, Action
from lapor.infra import db
from lapor.infra.region import gazetteer_for
from lapor.infra.settings import Settings
from lapor.services import reporter
from lapor.services.filing import file_complaint
from lapor.services.views import find_complaint
from models import Agency, Channel, Complaint, ComplaintEvent, Reporter

LIST_LIMIT = 10


@dataclass(frozen=True)
class TelegramUser:
    id: int
    chat_id: int
    name: str


@dataclass(frozen=True)
class Receipt:
    code: str
    agency: str | None
    next_deadline: str
    created: bool
    private_link: str | None


def file_draft(
    settings: Settings, draft: dict, user: TelegramUser, uploads: list[Upload], now: datetime
) -> Receipt:
    """File the chat's draft; the draft's id keys it, so a second confirmation is a no-op."""
    submission = Submission(
        text=draft.get("text", ""),
        channel=Channel.TELEGRAM,
        regency=draft.get("regency"),
        district=draft.get("district"),
        lat=draft.get("lat"),
        lon=draft.get("lon"),
        anonymous=bool(draft.get("anonymous")),
        confidential=bool(draft.get("confidential")),
        name=user.name or None,
        telegram_user_id=user.id,
        telegram_chat_id=user.chat_id,
        uploads=uploads,
        idempotency_key=f"draft-{draft['id']}",
    )
    result = file_complaint(settings, submission, now=now)
    return Receipt(
        code=tracking.display(result.complaint.tracking_code),
        agency=result.agency.name if result.agency else None,
        next_deadline=human(next_deadline(result.complaint), settings.tz),
        created=result.created,
        private_link=result.reporter_key
        and follow_up_url(settings.public_url, result.complaint.tracking_code, result.reporter_key),
    )


def place_from_text(settings: Settings, text: str) -> tuple[str, str | None]:
    """A typed 'kabupaten/kota, kecamatan' as the gazetteer's names, or DomainError."""
    gazetteer = gazetteer_for(settings.region)
    regency_text, _, district_text = text.partition(",")
    regency = gazetteer.regency(regency_text.strip())
    if regency is None:
        names = ", ".join(r.name for r in gazetteer.all_regencies())
        raise DomainError(
            f"Kabupaten/kota '{regency_text.strip()}' tidak dikenal. Pilih salah satu: {names}.",
            code="unknown_regency",
        )
    if not district_text.strip():
        return regency.name, None
    district = gazetteer.district(regency, district_text.strip())
    if district is None:
        raise DomainError(
            f"Kecamatan '{district_text.strip()}' tidak ada di {regency.name}.",
            code="unknown_district",
        )
    return regency.name, district


def status_text(settings: Settings, raw_code: str, telegram_user_id: int) -> str:
    """The state of a complaint as a chat message; a confidential one's answers only to the
    Telegram account that filed it (the code alone proves nothing)."""
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = _by_code(session, raw_code)
        own = reporter.TelegramProof(telegram_user_id).admits(settings, session, complaint)
        agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
        # A confidential complaint's answers are for its reporter only.
        withheld = complaint.confidential and not own
        answers = (
            []
            if withheld
            else session.exec(
                select(ComplaintEvent)
                .where(
                    ComplaintEvent.complaint_id == complaint.id,
                    ComplaintEvent.public.is_(True),
                    ComplaintEvent.note.is_not(None),
                    ComplaintEvent.actor_kind == "staff",
                )
                .order_by(ComplaintEvent.at.desc(), ComplaintEvent.id.desc())
                .limit(3)
            ).all()
        )
        lines = [
            f"Pengaduan {tracking.display(complaint.tracking_code)}",
            f"Status: {STATUS_LABELS[complaint.status]}",
            f"OPD: {agency.name if agency else 'sedang diverifikasi'}",
        ]
        due = next_deadline(complaint)
        if due is not None and complaint.status not in TERMINAL:
            lines.append(f"Batas waktu tahap berikutnya: {human(due, settings.tz)}")
        for event in reversed(answers):
            label = ACTION_LABELS.get(Action(event.action), event.action)
            lines.append(f"\n{label} ({human(event.at, settings.tz)}):\n{event.note}")
        return "\n".join(lines)


def my_complaints(settings: Settings, telegram_user_id: int) -> list[str]:
    """The sender's own complaints, newest first, a line each."""
    with Session(db.engine_for(settings.database_url)) as session:
        rows = session.exec(
            select(Complaint)
            .join(Reporter, Reporter.id == Complaint.reporter_id)
            .where(Reporter.telegram_user_id == telegram_user_id)
            .order_by(Complaint.received_at.desc())
            .limit(LIST_LIMIT)
        ).all()
        return [
            f"{tracking.display(c.tracking_code)} · {STATUS_LABELS[c.status]} · "
            f"{human(c.received_at, settings.tz)}"
            for c in rows
        ]


def answer_info(
    settings: Settings, raw_code: str, telegram_user_id: int, text: str, now: datetime
) -> str:
    """The reporter's answer to an OPD's question; the clock resumes. The display code."""
    proof = reporter.TelegramProof(telegram_user_id)
    return tracking.display(reporter.provide_info(settings, raw_code, proof, text, now=now))


def rate(
    settings: Settings, raw_code: str, telegram_user_id: int, rating: int, now: datetime
) -> None:
    """The reporter's rating of a resolved complaint; it closes."""
    proof = reporter.TelegramProof(telegram_user_id)
    reporter.rate(settings, raw_code, proof, rating, None, now=now)


def reopen(
    settings: Settings, raw_code: str, telegram_user_id: int, reason: str, now: datetime
) -> None:
    """The reporter says it is not resolved, and why: back to the OPD."""
    reporter.reopen(settings, raw_code, reporter.TelegramProof(telegram_user_id), reason, now=now)


def _by_code(session: Session, raw_code: str) -> Complaint:
    if tracking.normalize(raw_code) is None:
        raise DomainError(
            "Kode pelacakan terdiri dari 10 huruf/angka, misalnya ABCDE-FGHJK.", code="bad_code"
        )
    complaint = find_complaint(session, raw_code)
    if complaint is None:
        raise DomainError("Pengaduan dengan kode itu tidak ditemukan.", code="not_found")
    return complaint
