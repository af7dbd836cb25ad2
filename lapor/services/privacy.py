"""Reporters' personal data: the retention policy in force, erasing a reporter on request
(`forget`) or when the retention ran out (`apply_retention`), and giving them their data
(`export`). The rules are lapor.domain.privacy; docs/privacy.md says what is kept and why."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import datetime

import redis
import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.domain import privacy, tracking
from lapor.domain.errors import DomainError, NotFound
from lapor.domain.privacy import Erased, RetentionPolicy
from lapor.infra import bot_state, broker, db, region
from lapor.infra.settings import Settings
from lapor.infra.storage import AttachmentStore
from lapor.services import changes
from lapor.services.changes import Editor
from lapor.services.effects import effects
from lapor.services.views import complaint_view, find_complaint, full_location
from models import (
    Agency,
    Attachment,
    Complaint,
    Feedback,
    Notification,
    RegionSetting,
    Reporter,
)

log = logging.getLogger(__name__)
SETTING_KEY = "privacy"
BATCH = 200


# --- the policy ---------------------------------------------------------------------------


def policy_in_force(settings: Settings, session: Session) -> RetentionPolicy:
    """The retention policy an admin saved, else the region's privacy.yaml, else the default."""
    saved = session.get(RegionSetting, SETTING_KEY)
    document = saved.data if saved is not None else region.privacy_document_for(settings.region)
    return RetentionPolicy.from_dict(document)


def retention_in_force(settings: Settings) -> RetentionPolicy:
    """The retention policy in force, read in a session of its own (for the privacy page)."""
    with db.session_scope(settings) as session:
        return policy_in_force(settings, session)


def set_retention(settings: Settings, editor: Editor, years: object, *, now: datetime):
    """Change how many years a reporter's identity is kept after the complaint ends; audited."""
    policy = RetentionPolicy(identity_years=privacy.check_years(years))

    def work(session: Session) -> RetentionPolicy:
        changes.lock(session)
        before = policy_in_force(settings, session)
        if before == policy:
            return policy
        row = session.get(RegionSetting, SETTING_KEY) or RegionSetting(key=SETTING_KEY)
        row.data, row.updated_at = copy.deepcopy(policy.as_dict()), now
        session.add(row)
        changes.record(
            session, editor, subject=SETTING_KEY, key=SETTING_KEY, action="update",
            before=before.as_dict(), after=policy.as_dict(), now=now,
        )  # fmt: skip
        return policy

    return db.run_in_transaction(settings, work)


# --- erasing --------------------------------------------------------------------------------


class AlreadyErased(DomainError):
    """Nothing of the reporter is left on this complaint."""

    def __init__(self, code: str, when: datetime) -> None:
        super().__init__(
            f"Data pribadi pelapor pengaduan {tracking.display(code)} sudah dihapus (bila "
            "orang yang sama masih punya pengaduan lain, gunakan kode pengaduan itu).",
            code="already_erased",
            at=when.isoformat(),
        )


def _complaint(session: Session, raw_code: str) -> Complaint:
    complaint = find_complaint(session, raw_code)
    if complaint is None:
        code = tracking.normalize(raw_code)
        shown = tracking.display(code) if code else repr(raw_code)
        raise NotFound(f"Pengaduan {shown} tidak ditemukan.", code="unknown_complaint")
    return complaint


def _person(session: Session, complaint: Complaint) -> list[Reporter]:
    reporter = session.get(Reporter, complaint.reporter_id) if complaint.reporter_id else None
    return privacy.same_person(session, reporter) if reporter is not None else []


def affected(settings: Settings, raw_code: str) -> list[str]:
    """The tracking codes `forget` would erase the reporter from (to confirm first)."""
    with db.session_scope(settings) as session:
        complaint = _complaint(session, raw_code)
        found = privacy.complaints_of(session, _person(session, complaint))
        return sorted({complaint.tracking_code, *(c.tracking_code for c in found)})


def forget(settings: Settings, raw_code: str, *, now: datetime) -> Erased:
    """Erase the identity, contact and files of the reporter of this complaint — every row of
    the same person (same email or phone, or Telegram account) — from each of their
    complaints, which stay. One transaction; the files go once it has committed."""

    def work(session: Session) -> Erased:
        complaint = _complaint(session, raw_code)
        reporters = _person(session, complaint)
        complaints = privacy.complaints_of(session, reporters)
        if complaint.id not in {c.id for c in complaints}:
            complaints.insert(0, complaint)  # anonymous without contact: its files at least
        if not reporters and complaint.identity_erased_at is not None:
            raise AlreadyErased(complaint.tracking_code, complaint.identity_erased_at)
        erased = privacy.erase(
            session, complaints, reporters, why=privacy.ON_REQUEST, now=now, **effects(settings)
        )
        _compact_search_index(session)
        return erased

    erased = db.run_in_transaction(settings, work)
    _remove_after_commit(settings, erased)
    return erased


@dataclass
class RetentionRun:
    """What one run of the retention did."""

    years: int
    cutoff: datetime
    complaints: int = 0
    reporters: int = 0
    attachments: int = 0
    messages: int = 0
    codes: list[str] = field(default_factory=list)

    def add(self, erased: Erased) -> None:
        self.complaints += len(erased.complaints)
        self.reporters += erased.reporters
        self.attachments += erased.attachments
        self.messages += erased.messages
        self.codes += erased.complaints


def apply_retention(
    settings: Settings, *, now: datetime, batch: int = BATCH, most: int | None = None
) -> RetentionRun:
    """Erase the reporter identity of every complaint that ended longer ago than the retention
    period (at most `most` of them), `batch` complaints per transaction. Safe to run twice: an
    erased complaint is marked and not looked at again."""
    with db.session_scope(settings) as session:
        policy = policy_in_force(settings, session)
    run = RetentionRun(years=policy.identity_years, cutoff=policy.cutoff(now))
    after_id = 0
    while True:
        size = batch if most is None else min(batch, most - run.complaints)
        if size <= 0:
            return run
        erased, after_id = db.run_in_transaction(
            settings, lambda s, a=after_id, n=size: _retention_batch(settings, s, policy, now, a, n)
        )
        _remove_after_commit(settings, erased)
        run.add(erased)
        if not erased.complaints:
            return run


def _retention_batch(
    settings: Settings,
    session: Session,
    policy: RetentionPolicy,
    now: datetime,
    after_id: int,
    batch: int,
) -> tuple[Erased, int]:
    """One batch in the caller's transaction: (what it erased, the last id looked at)."""
    due = list(session.exec(privacy.due_query(policy, now, after_id, batch)))
    total = Erased(complaints=[])
    for complaint in due:
        # One complaint at a time: a Telegram account's row is kept while other complaints of
        # theirs are still within the period, and one reporter's name never blanks another's.
        reporter = session.get(Reporter, complaint.reporter_id) if complaint.reporter_id else None
        erased = privacy.erase(
            session,
            [complaint],
            [reporter] if reporter is not None else [],
            why=privacy.RETENTION,
            now=now,
            years=policy.identity_years,
            **effects(settings),
        )
        total.add(erased)
    if due:
        _compact_search_index(session)
    return total, (due[-1].id if due else after_id)


def _compact_search_index(session: Session) -> None:
    """SQLite's full-text index keeps a replaced entry's words in its older segments until they
    are merged: merge them now, so the erased words are gone from the file too. (PostgreSQL's
    search column is a plain column: the new row version replaces it.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO complaint_fts(complaint_fts) VALUES ('optimize')"))


def _remove_after_commit(settings: Settings, erased: Erased) -> None:
    """What the erased rows kept outside the database: the attachment files, the bot's drafts."""
    _remove_files(settings, erased.files)
    if not erased.telegram_users:
        return
    try:
        bot_state.forget_users(broker.connect(settings), erased.telegram_users)
    except redis.RedisError as error:
        # The rows are gone already; the operator must remove the bot's entries by hand.
        log.error(
            "the bot's drafts of Telegram users %s not removed from Redis: %s",
            ", ".join(map(str, erased.telegram_users)),
            error,
        )


def _remove_files(settings: Settings, paths: tuple[str, ...]) -> None:
    """Remove the erased attachments' files (their rows are gone: nothing refers to them)."""
    store = AttachmentStore(settings.attachments_dir)
    for relative in paths:
        try:
            store.open(relative).unlink(missing_ok=True)
        except (OSError, ValueError) as error:
            # The rows are gone already; the operator must remove what is left by hand.
            log.error("erased attachment %s not removed: %s", relative, error)


# --- the reporter's copy ----------------------------------------------------------------------


def export(settings: Settings, raw_code: str, *, now: datetime) -> dict:
    """Everything Lapor holds about the reporter of this complaint (UU 27/2022: access and a
    copy): their identity and contact, and each of their complaints as they see it, with their
    rating, the files they sent (listed) and the messages sent to them. JSON-ready."""
    with db.session_scope(settings) as session:
        complaint = _complaint(session, raw_code)
        reporters = _person(session, complaint)
        complaints = privacy.complaints_of(session, reporters) or [complaint]
        policy = policy_in_force(settings, session)
        return {
            "exported_at": now.isoformat(),
            "retention_years": policy.identity_years,
            "identities": [_identity(r) for r in reporters],
            "complaints": [_complaint_copy(settings, session, c) for c in complaints],
        }


def _identity(reporter: Reporter) -> dict:
    return {
        "name": reporter.name,
        "email": reporter.email,
        "phone": reporter.phone,
        "telegram_user_id": reporter.telegram_user_id,
        "telegram_chat_id": reporter.telegram_chat_id,
        "since": reporter.created_at.isoformat(),
    }


def _complaint_copy(settings: Settings, session: Session, complaint: Complaint) -> dict:
    view = complaint_view(session, complaint, settings.tz, reporter=True)
    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    return {
        "tracking_code": complaint.tracking_code,
        "channel": complaint.channel.value,
        "language": complaint.language,
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "status": complaint.status.value,
        "received_at": complaint.received_at.isoformat(),
        "closed_at": complaint.closed_at.isoformat() if complaint.closed_at else None,
        "identity_erased_at": (
            complaint.identity_erased_at.isoformat() if complaint.identity_erased_at else None
        ),
        "title": complaint.title,
        "text": complaint.text,
        "location": full_location(complaint),
        "agency": agency.name if agency else None,
        "timeline": view["timeline"],
        "ratings": [
            {"rating": f.rating, "comment": f.comment, "at": f.created_at.isoformat()}
            for f in _of(session, Feedback, complaint)
        ],
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "at": a.created_at.isoformat(),
            }
            for a in _of(session, Attachment, complaint)
        ],
        "messages": [
            {
                "channel": n.channel,
                "address": n.address,
                "subject": n.subject,
                "status": n.status.value,
                "at": n.created_at.isoformat(),
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
            }
            for n in _of(session, Notification, complaint)
            if n.agency_id is None and n.channel != "inapp"
        ],
    }


def _of(session: Session, table, complaint: Complaint) -> list:
    query = select(table).where(table.complaint_id == complaint.id).order_by(table.id)
    return list(session.exec(query))
