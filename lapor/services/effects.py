"""The edge between the state machine and this installation: the region's calendar and SLA
policies, and the notification channels the settings enable."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlmodel import Session

from lapor.domain import workflow
from lapor.domain.deadlines import Deadlines
from lapor.domain.notices import Notices
from lapor.domain.working_days import WorkingCalendar
from lapor.infra.region import sla_book_for
from lapor.infra.settings import Settings
from models import Complaint, ComplaintEvent


@cache
def _deadlines(region: str, timezone: str) -> Deadlines:
    book = sla_book_for(region)
    calendar = WorkingCalendar(
        ZoneInfo(timezone), weekend=book.weekend, extra_days_off=frozenset(book.days_off)
    )
    return Deadlines(calendar, book)


def deadlines_for(settings: Settings) -> Deadlines:
    """The region's working calendar and SLA policies (sla.yaml), built once per process."""
    return _deadlines(settings.region, settings.timezone)


def notices_for(settings: Settings) -> Notices:
    """Who can be notified how: Telegram with a bot token, email with an SMTP server."""
    return Notices(
        public_url=settings.public_url,
        tz=settings.tz,
        telegram=settings.telegram_enabled,
        email=settings.email_enabled,
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
