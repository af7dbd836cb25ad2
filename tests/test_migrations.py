"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401
from lapor.infra import db


def test_migrated_schema_matches_the_models(settings):
    with db.engine_for(settings.database_url).connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, **db.autogenerate_filters(connection.dialect.name)},
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_downgrade_to_nothing_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = db.alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert sa.inspect(db.engine_for(url)).get_table_names() == ["alembic_version"]
    command.upgrade(config, "head")
    assert "complaint" in sa.inspect(db.engine_for(url)).get_table_names()
