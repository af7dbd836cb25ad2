"""the region's configuration in the database: SLA and routing documents, regional days off,
the audit of configuration changes, the configuration version; a staff member's last sign-in

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable): no batch copy of the table on SQLite.
    op.add_column("app_user", sa.Column("last_login_at", UTCDateTime(), nullable=True))
    op.create_table(
        "region_setting",
        sa.Column("key", sa.String(length=40), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "day_off",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "config_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    op.create_index("ix_config_change_at", "config_change", ["at"])
    op.create_index("ix_config_change_subject", "config_change", ["subject"])
    op.create_table(
        "config_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=True),
    )
    op.execute("INSERT INTO config_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("config_version")
    op.drop_index("ix_config_change_subject", table_name="config_change")
    op.drop_index("ix_config_change_at", table_name="config_change")
    op.drop_table("config_change")
    op.drop_table("day_off")
    op.drop_table("region_setting")
    op.drop_column("app_user", "last_login_at")
