"""The edge between the state machine and this installation: the region's calendar and SLA
policies, and the notification channels the settings enable."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from lapor.domain import workflow
from lapor.domain.deadlines import Deadlines
from lapor.domain.notices import Notices
from lapor.domain.sla_policy import SlaBook
from lapor.domain.working_days import WorkingCalendar
from lapor.infra import directory
from lapor.infra.region import documents_in_force
from lapor.infra.settings import Settings
from lapor.infra.translations import translate
from models import Complaint, ComplaintEvent


def sla_document(settings: Settings, snapshot: directory.Snapshot | None = None) -> dict:
    """The SLA policy in force, in the structure of sla.yaml without its days off."""
    snapshot = snapshot or directory.config.snapshot(settings)
    return documents_in_force(settings.region, snapshot.documents)["sla"]


def deadlines_for(settings: Settings) -> Deadlines:
    """The region's working calendar and SLA policies at the configuration's current version
    (built once per version and process: the calendar remembers what it has counted)."""
    snapshot = directory.config.snapshot(settings)
    key = (settings.database_url, settings.region, settings.timezone)
    known = _built.get(key)
    # Built again for each new snapshot (a new version, or the cache cleared).
    if known is None or known[0] != snapshot.generation:
        built = deadlines_from(
            sla_document(settings, snapshot), snapshot.days_off, settings.timezone
        )
        known = _built[key] = (snapshot.generation, built)
    return known[1]


def deadlines_from(document: dict, days_off: dict, timezone: str) -> Deadlines:
    """The clock of a policy document (sla.yaml's structure) and a region's days off."""
    book = replace(SlaBook.from_dict(document), days_off=dict(days_off))
    calendar = WorkingCalendar(
        ZoneInfo(timezone), weekend=book.weekend, extra_days_off=book.days_off
    )
    return Deadlines(calendar, book)


_built: dict[tuple[str, str, str], tuple[int, Deadlines]] = {}


def notices_for(settings: Settings) -> Notices:
    """Who can be notified how: Telegram with a bot token, email with an SMTP server; a
    reporter's messages in their language (the English catalog)."""
    return Notices(
        public_url=settings.public_url,
        tz=settings.tz,
        telegram=settings.telegram_enabled,
        email=settings.email_enabled,
        translate=translate,
    )


def effects(settings: Settings) -> dict:
    """The clock and notices as keyword arguments, for the domain functions that take them."""
    return {"deadlines": deadlines_for(settings), "notices": notices_for(settings)}


def act(
    settings: Settings,
    session: Session,
    complaint: Complaint,
    action: workflow.Action,
    *,
    actor: workflow.Actor,
    now: datetime,
    change: workflow.Change | None = None,
) -> ComplaintEvent:
    """Take an action through the state machine with this installation's clock and notices."""
    return workflow.apply(
        session,
        complaint,
        action,
        actor=actor,
        now=now,
        change=change,
        **effects(settings),
    )
