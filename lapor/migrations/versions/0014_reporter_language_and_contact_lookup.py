"""The language a complaint was filed in (its emails and pages follow it), and the reporter's
email and phone indexed for "my complaints" (/lacak/saya)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch could copy the complaint table and drop 0008's triggers.
    op.add_column(
        "complaint",
        sa.Column("language", sa.String(length=5), nullable=False, server_default="id"),
    )
    # Intake stores emails in lower case, so a plain index serves the lookup.
    op.create_index("ix_reporter_email", "reporter", ["email"])
    op.create_index("ix_reporter_phone", "reporter", ["phone"])


def downgrade() -> None:
    op.drop_index("ix_reporter_phone", table_name="reporter")
    op.drop_index("ix_reporter_email", table_name="reporter")
    op.drop_column("complaint", "language")
