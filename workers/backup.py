"""The daily backup, scheduled only when LAPOR_BACKUP_DIR is set (workers.cron_config)."""

from __future__ import annotations

import logging

from lapor.domain.timefmt import utcnow
from lapor.infra.settings import Settings
from lapor.services import backup
from workers.once import once_per

log = logging.getLogger(__name__)


@once_per(24 * 3600)
def daily_backup() -> dict:
    """Write an archive into LAPOR_BACKUP_DIR and keep the LAPOR_BACKUP_KEEP newest. Safe to
    rerun: a second run writes one more archive under a new name and prunes again."""
    done = backup.scheduled(Settings.from_env(), now=utcnow())
    if done is None:
        log.info("backup: LAPOR_BACKUP_DIR is not set, nothing to do")
        return {"archive": None}
    log.info(
        "backup: %s (%s complaints), removed %d old archive(s)",
        done.archive,
        done.manifest["counts"]["complaints"],
        len(done.removed),
    )
    return {"archive": str(done.archive), "removed": [str(p) for p in done.removed]}
