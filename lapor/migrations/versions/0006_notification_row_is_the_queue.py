"""the notification row is the queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00.000000

A delivery's state lived in three places (outbox.relayed_at, notification.status, RQ's
retries). Now the notification row alone holds it: status, attempts, last error and the
time of the next attempt; the outbox table goes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_notification_next_attempt_at"), ["next_attempt_at"], unique=False
        )
    # Whatever still waited (in the outbox, or for an RQ retry) is due now.
    op.execute(
        "UPDATE notification SET next_attempt_at = created_at"
        " WHERE status IN ('pending', 'retrying')"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_relayed_at"))
    op.drop_table("outbox")


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("relayed_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_relayed_at"), ["relayed_at"], unique=False)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_next_attempt_at"))
        batch_op.drop_column("next_attempt_at")
