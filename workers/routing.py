"""Jobs that keep the routing model learning from people's corrections."""

from __future__ import annotations

import logging

from lapor.domain.timefmt import utcnow
from lapor.infra.settings import Settings
from lapor.routing import service
from lapor.services import routing_monitor
from workers.once import once_per

log = logging.getLogger(__name__)


def retrain_model() -> dict:
    """Retrain on the shipped data plus corrections; promote only if not worse. Safe to rerun:
    with no new corrections it does nothing."""
    result = service.retrain(Settings.from_env(), now=utcnow(), progress=log.info)
    log.info("retrain: %s", result.reason)
    return result.__dict__


@once_per(3600)
def watch_precision() -> dict:
    """Measure the router's live precision; raise a label's threshold when it falls under the
    target, lift the raises of a model no longer current. Safe to rerun: the same facts make
    no further change."""
    steps = routing_monitor.watch(Settings.from_env(), now=utcnow())
    for step in steps:
        log.info("routing watch: %s %s %s -> %s", step.kind, step.label, step.before, step.after)
    return {"steps": [[s.kind, s.label, s.before, s.after] for s in steps]}
