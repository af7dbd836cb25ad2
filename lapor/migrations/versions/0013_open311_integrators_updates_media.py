"""Open311: integrator keys, client-posted updates (idempotent on their update_id), a
complaint's media_url and service attributes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch could copy the complaint table and drop 0008's triggers.
    op.add_column("complaint", sa.Column("media_url", sa.String(length=500), nullable=True))
    op.add_column("complaint", sa.Column("service_attributes", sa.JSON(), nullable=True))
    op.create_table(
        "integrator_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=80), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_integrator_key_key_hash", "integrator_key", ["key_hash"], unique=True)
    op.create_table(
        "open311_update",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client", sa.String(length=80), nullable=False),
        sa.Column("update_id", sa.String(length=100), nullable=False),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id"), nullable=False),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("complaint_event.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("client", "update_id", name="uq_open311_update_client"),
    )
    op.create_index("ix_open311_update_complaint_id", "open311_update", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_open311_update_complaint_id", table_name="open311_update")
    op.drop_table("open311_update")
    op.drop_index("ix_integrator_key_key_hash", table_name="integrator_key")
    op.drop_table("integrator_key")
    op.drop_column("complaint", "service_attributes")
    op.drop_column("complaint", "media_url")
