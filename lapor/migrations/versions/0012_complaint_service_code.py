"""complaint.service_code: the Open311 service a complaint was filed under, kept as filed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

events = sa.table(
    "complaint_event",
    sa.column("complaint_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("data", sa.JSON),
)
complaints = sa.table(
    "complaint", sa.column("id", sa.Integer), sa.column("service_code", sa.String)
)


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: a batch could copy the table and drop 0008's triggers.
    op.add_column("complaint", sa.Column("service_code", sa.String(length=40), nullable=True))
    op.create_index("ix_complaint_service_code", "complaint", ["service_code"])
    # Until now the service was only in the submission's event: copy it onto the complaint.
    connection = op.get_bind()
    submitted = connection.execute(
        sa.select(events.c.complaint_id, events.c.data).where(events.c.action == "submit")
    ).all()
    for complaint_id, data in submitted:
        category = (data or {}).get("category")
        if category:
            connection.execute(
                complaints.update()
                .where(complaints.c.id == complaint_id)
                .values(service_code=str(category)[:40])
            )


def downgrade() -> None:
    op.drop_index("ix_complaint_service_code", table_name="complaint")
    op.drop_column("complaint", "service_code")
