"""Housekeeping jobs."""

from __future__ import annotations

import logging
import time

from lapor.infra.settings import Settings
from workers.once import once_per

log = logging.getLogger(__name__)
STALE_UPLOAD_SECONDS = 3600


@once_per(3600)
def remove_stale_uploads(now_epoch: float | None = None) -> int:
    """Delete half-written upload files (".upload-*") a crashed process left behind."""
    settings = Settings.from_env()
    now_epoch = time.time() if now_epoch is None else now_epoch
    removed = 0
    if not settings.attachments_dir.is_dir():
        return 0
    for path in settings.attachments_dir.glob("*/.upload-*"):
        if now_epoch - path.stat().st_mtime > STALE_UPLOAD_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d stale upload file(s)", removed)
    return removed
