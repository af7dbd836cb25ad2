"""The daily retention of reporters' personal data, run by `rq cron` (workers.cron_config)."""

from __future__ import annotations

import logging

from lapor.domain.timefmt import utcnow
from lapor.infra.settings import Settings
from lapor.services import privacy
from workers.once import once_per

log = logging.getLogger(__name__)
# About 15 ms a complaint on PostgreSQL (7 on SQLite): a run stays well inside the job's
# timeout (lapor.infra.jobs.RETENTION); a larger backlog drains over the following nights.
PER_RUN = 50_000


@once_per(3600)
def apply_retention() -> dict:
    """Erase the reporter identity of complaints that ended longer ago than the region's
    retention period; safe to run twice (an erased complaint is marked and skipped)."""
    run = privacy.apply_retention(Settings.from_env(), now=utcnow(), most=PER_RUN)
    log.info(
        "retention %d years: %d complaints anonymised, %d reporters, %d attachments erased",
        run.years, run.complaints, run.reporters, run.attachments,
    )  # fmt: skip
    return {
        "years": run.years,
        "cutoff": run.cutoff.isoformat(),
        "complaints": run.complaints,
        "reporters": run.reporters,
        "attachments": run.attachments,
        "messages": run.messages,
    }
