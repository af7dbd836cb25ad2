"""Preparing a data directory and database: what `lapor init` and `lapor run` do first."""

from __future__ import annotations

import click
from sqlmodel import Session, select

from lapor.domain.sla_policy import SlaBook
from lapor.domain.timefmt import utcnow
from lapor.infra import db, directory, region
from lapor.infra.settings import Settings
from models import Agency, DayOff


def initialise(settings: Settings) -> dict[str, int]:
    """Create the data directory, migrate the database, and on a new database load the
    region's files (registry, regional days off). Afterwards the admins keep them in the
    browser; `lapor registry import` brings a changed agencies.yaml in on purpose."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    db.migrate(settings.database_url)
    # The region's Open311 service definitions are read on first use: a broken file should
    # stop `lapor init` / `lapor run` with its fault named, not fail a client's request.
    try:
        region.open311_definitions_for(settings.region)
    except region.RegionDataError as fault:
        raise click.ClickException(str(fault)) from fault
    counts = db.run_in_transaction(settings, lambda session: seed_new_database(session, settings))
    directory.config.clear()
    return counts


def seed_new_database(session: Session, settings: Settings) -> dict[str, int]:
    """Seed what was never configured from the region's files: an empty registry, and the
    regional days off while no change was ever recorded (a database from before the admins
    kept them, too); leave what admins keep alone."""
    counts = {"added": 0, "updated": 0, "deactivated": 0, "days_off": 0}
    if session.exec(select(Agency.id).limit(1)).first() is None:
        counts.update(region.seed_agencies(session, region.registry_for(settings.region)))
    if directory.current_version(session) == 0:
        book = SlaBook.from_dict(region.sla_document_for(settings.region))
        for day, reason in book.days_off.items():
            if session.get(DayOff, day) is None:
                session.add(DayOff(day=day, reason=reason, created_at=utcnow()))
                counts["days_off"] += 1
        directory.bump_version(session, utcnow())
    return counts
