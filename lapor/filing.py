"""Filing a complaint from any channel: the edge around the one intake service."""

from __future__ import annotations

import logging
from datetime import datetime

from lapor import db, directory
from lapor.casework import deadlines_for, notices_for
from lapor.domain.intake import IntakeResult, Submission, submit
from lapor.region import gazetteer_for
from lapor.routing import service as routing
from lapor.settings import Settings
from lapor.storage import AttachmentStore

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
    deadlines = deadlines_for(settings)
    notices = notices_for(settings)
    agencies = directory.agencies.get(settings)
    return db.run_in_transaction(
        settings,
        lambda session: submit(
            session,
            submission,
            now=now,
            store=store,
            gazetteer=gazetteer,
            router=router,
            deadlines=deadlines,
            notices=notices,
            agencies=agencies,
        ),
    )
