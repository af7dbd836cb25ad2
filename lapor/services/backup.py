"""Backing up and restoring an installation: where its parts are, and the scheduled backup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lapor.infra import backup
from lapor.infra.settings import Settings
from lapor.routing import service as routing

BackupError = backup.BackupError


def layout(settings: Settings) -> backup.Layout:
    """The database, attachment store and model store of this installation."""
    return backup.Layout(
        settings=settings,
        attachments_dir=settings.attachments_dir,
        models_dir=routing.model_store(settings).root,
    )


def create(settings: Settings, target: Path, *, now: datetime) -> dict:
    """Write one archive of the installation; returns its manifest."""
    return backup.create(layout(settings), target, now)


def verify(archive: Path) -> backup.Checked:
    """Check an archive from end to end (raises BackupError on any fault)."""
    return backup.verify(archive)


def restore(settings: Settings, archive: Path, *, force: bool = False) -> backup.Checked:
    """Restore an archive into this installation's (empty, unless forced) data and database."""
    return backup.restore(layout(settings), archive, force=force)


@dataclass(frozen=True)
class Scheduled:
    archive: Path
    manifest: dict
    removed: list[Path]


def scheduled(settings: Settings, *, now: datetime) -> Scheduled | None:
    """The daily backup into LAPOR_BACKUP_DIR, keeping the LAPOR_BACKUP_KEEP newest; None when
    no directory is set (the default: off)."""
    if settings.backup_dir is None:
        return None
    settings.backup_dir.mkdir(parents=True, exist_ok=True)
    target = settings.backup_dir / backup.scheduled_name(now)
    manifest = create(settings, target, now=now)
    return Scheduled(target, manifest, backup.prune(settings.backup_dir, settings.backup_keep))
