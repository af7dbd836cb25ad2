"""reporter keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:40:00.000000

Every complaint gets a reporter key. Nobody knows the keys given here to complaints filed
before: their reporters get a private link by email (/lacak/kunci) or act through Telegram.
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reporter_key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
    _give_every_complaint_a_key()
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.alter_column(
            "reporter_key_hash",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
        )


def _give_every_complaint_a_key() -> None:
    connection = op.get_bind()
    complaint = sa.table("complaint", sa.column("id"), sa.column("reporter_key_hash"))
    update = (
        sa.update(complaint)
        .where(complaint.c.id == sa.bindparam("row_id"))
        .values(reporter_key_hash=sa.bindparam("new_hash"))
    )
    last = 0
    while True:
        ids = connection.execute(
            sa.select(complaint.c.id)
            .where(complaint.c.id > last)
            .order_by(complaint.c.id)
            # Batches keep a million-row table's migration within memory.
            .limit(BATCH)
        ).scalars()
        rows = [{"row_id": i, "new_hash": _random_hash()} for i in ids]
        if not rows:
            return
        connection.execute(update, rows)
        last = rows[-1]["row_id"]


def _random_hash() -> str:
    return hashlib.sha256(secrets.token_urlsafe(20).encode()).hexdigest()


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("reporter_key_hash")
