"""Jobs that keep the routing model learning from people's corrections."""

from __future__ import annotations

import logging

from lapor.domain.timefmt import utcnow
from lapor.infra.settings import Settings
from lapor.routing import service

log = logging.getLogger(__name__)


def retrain_model() -> dict:
    """Retrain on the shipped data plus corrections; promote only if not worse. Safe to rerun:
    with no new corrections it does nothing."""
    result = service.retrain(Settings.from_env(), now=utcnow(), progress=log.info)
    log.info("retrain: %s", result.reason)
    return result.__dict__
