"""Filing a complaint from any channel: the edge around the one intake service."""

from __future__ import annotations

import logging
from datetime import datetime

from lapor.domain.intake import IntakeResult, Submission, submit
from lapor.domain.working_days import due_at
from lapor.infra import db, directory
from lapor.infra.region import gazetteer_for
from lapor.infra.settings import Settings
from lapor.infra.storage import AttachmentStore
from lapor.routing import service as routing
from lapor.services.effects import deadlines_for, effects

log = logging.getLogger(__name__)


def file_complaint(settings: Settings, submission: Submission, *, now: datetime) -> IntakeResult:
    """Validate, route and store a complaint in one transaction, and commit it.

    The web form, the JSON API, Open311 and the Telegram bot all come through here.
    """
    router = routing.current_router(settings)
    if router is None:
        log.info("no routing model: the complaint goes to the triage queue")
    store = AttachmentStore(settings.attachments_dir)
    gazetteer = gazetteer_for(settings.region)
    agencies = directory.agencies.get(settings)
    clock_and_notices = effects(settings)
    return db.run_in_transaction(
        settings,
        lambda session: submit(
            session,
            submission,
            now=now,
            store=store,
            gazetteer=gazetteer,
            router=router,
            agencies=agencies,
            secret=settings.secret_key,
            **clock_and_notices,
        ),
    )


def warm_up(settings: Settings, *, now: datetime) -> None:
    """Load what the first complaint of a process would otherwise wait for (about a second):
    the routing model with its first prediction, the agency table, the holiday calendar."""
    router = routing.current_router(settings)
    if router is not None:
        router(Submission(text="Lampu penerangan jalan mati sejak seminggu"))
    directory.agencies.get(settings)
    due_at(now, 5, deadlines_for(settings).calendar)
