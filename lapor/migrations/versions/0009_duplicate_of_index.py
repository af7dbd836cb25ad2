"""an index on complaint.duplicate_of_id: answering a complaint finds its merged duplicates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE INDEX, not a batch: on SQLite a batch may copy the table, which would drop
    # the search triggers of 0008.
    op.create_index("ix_complaint_duplicate_of_id", "complaint", ["duplicate_of_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_duplicate_of_id", table_name="complaint")
