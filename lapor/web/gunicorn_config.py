"""gunicorn settings for the web process (`gunicorn -c python:lapor.web.gunicorn_config`)."""

from __future__ import annotations

import logging

import sqlalchemy.exc

from lapor.domain.timefmt import utcnow
from lapor.services.filing import warm_up

log = logging.getLogger(__name__)

# gunicorn's default access line, with the path instead of the whole request line: a query
# string can hold a reporter's private key (/lacak/CODE?kunci=…), and logs are kept.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'


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
