"""When a complaint's reporter identity, contact and files were erased (personal data:
retention and deletion on request, UU 27/2022)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch could copy the complaint table and drop 0008's triggers.
    op.add_column(
        "complaint",
        sa.Column("identity_erased_at", models.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("complaint", "identity_erased_at")
