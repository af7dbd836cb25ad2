"""Preparing a data directory and database: what `lapor init` and `lapor run` do first."""

from __future__ import annotations

from lapor.infra import db, region
from lapor.infra.settings import Settings


def initialise(settings: Settings) -> dict[str, int]:
    """Create the data directory, migrate the database, load the region's OPD registry."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    db.migrate(settings.database_url)
    registry = region.registry_for(settings.region)
    return db.run_in_transaction(settings, lambda s: region.seed_agencies(s, registry))
