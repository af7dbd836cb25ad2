"""gunicorn settings for the web process (`gunicorn -c python:lapor.gunicorn_config`)."""

from __future__ import annotations

import logging

import sqlalchemy.exc

from lapor.filing import warm_up
from lapor.timefmt import utcnow

log = logging.getLogger(__name__)


def post_worker_init(worker) -> None:
    """Warm a new worker up before it takes requests, so no citizen waits for the model."""
    settings = worker.wsgi.extensions.get("lapor.settings")
    if settings is None:
        return  # not Lapor's app (a benchmark's floor, say)
    try:
        warm_up(settings, now=utcnow())
    except sqlalchemy.exc.OperationalError as exc:
        # The database is not there yet: the first requests load it all instead.
        log.warning("warm-up skipped, database unavailable: %s", exc)
