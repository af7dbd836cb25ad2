"""indexes for the console's queues and searches with a million complaints (PostgreSQL)

Measured by bench/console.py: an officer's queue 114 → 3 ms, a supervisor's 283 → 3 ms, a
search for a common word sorted by deadline 985 → 27 ms. The queues sort by the next deadline
(`coalesce` of the three stage deadlines, lapor.domain.deadlines.next_deadline_expression) and
then by arrival, as lapor.services.worklist orders them; the partial indexes hold only the open
complaints (lapor.domain.workflow.OPEN), a few MB. On SQLite the tables are small enough.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEADLINE = "coalesce(verification_due_at, response_due_at, resolution_due_at)"
OPEN = "status IN ('received', 'routed', 'in_progress', 'needs_info', 'resolved', 'reopened')"
STATEMENTS = [
    f"CREATE INDEX ix_complaint_open_agency_deadline ON complaint "
    f"(agency_id, ({DEADLINE}), received_at DESC, id DESC) WHERE {OPEN}",
    f"CREATE INDEX ix_complaint_open_deadline ON complaint "
    f"(({DEADLINE}), received_at DESC, id DESC) WHERE {OPEN}",
    f"CREATE INDEX ix_complaint_deadline ON complaint (({DEADLINE}), received_at DESC, id DESC)",
    # "overdue in one kabupaten": without these statistics the planner expects 5 rows of 8,578.
    "CREATE STATISTICS st_complaint_status_regency (mcv) ON status, (lower(regency)) "
    "FROM complaint",
    # Enough common stems that a rare or misspelt word is not estimated at thousands of rows
    # (which made the planner walk a sorted index through the whole table).
    "ALTER TABLE complaint ALTER COLUMN search_terms SET STATISTICS 1000",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in STATEMENTS:
        op.execute(statement)
    op.execute("ANALYZE complaint")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE complaint ALTER COLUMN search_terms SET STATISTICS -1")
    op.execute("DROP STATISTICS st_complaint_status_regency")
    for name in ("ix_complaint_deadline", "ix_complaint_open_deadline"):
        op.execute(f"DROP INDEX {name}")
    op.execute("DROP INDEX ix_complaint_open_agency_deadline")
