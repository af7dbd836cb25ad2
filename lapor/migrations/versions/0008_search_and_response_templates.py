"""staff search (stems per complaint, GIN / FTS5) and the OPDs' response templates

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types
from lapor.domain import search

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000

# SQLite's full-text index reads the stems from `complaint` (external content) and is kept in
# step by triggers, so the ORM writes only the complaint row. The sweep's UPDATEs do not touch
# search_terms, so they do not fire the update trigger.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE complaint_fts USING fts5("
    "search_terms, content='complaint', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER complaint_fts_insert AFTER INSERT ON complaint BEGIN "
    "INSERT INTO complaint_fts(rowid, search_terms) VALUES (new.id, new.search_terms); END",
    "CREATE TRIGGER complaint_fts_delete AFTER DELETE ON complaint BEGIN "
    "INSERT INTO complaint_fts(complaint_fts, rowid, search_terms) "
    "VALUES ('delete', old.id, old.search_terms); END",
    "CREATE TRIGGER complaint_fts_update AFTER UPDATE OF search_terms ON complaint BEGIN "
    "INSERT INTO complaint_fts(complaint_fts, rowid, search_terms) "
    "VALUES ('delete', old.id, old.search_terms); "
    "INSERT INTO complaint_fts(rowid, search_terms) VALUES (new.id, new.search_terms); END",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "complaint", sa.Column("search_terms", models.types.SearchDocument(), nullable=True)
    )
    _fill_search_terms()
    if sqlite:
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute("INSERT INTO complaint_fts(complaint_fts) VALUES ('rebuild')")
    else:
        op.create_index(
            "ix_complaint_search_terms",
            "complaint",
            ["search_terms"],
            postgresql_using="gin",
        )
    op.create_table(
        "response_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_response_template_agency_id"), "response_template", ["agency_id"], unique=False
    )


def _fill_search_terms() -> None:
    """The stems of every stored complaint, computed here as intake computes them."""
    bind = op.get_bind()
    complaint = sa.table(
        "complaint",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("text", sa.Text),
        sa.column("regency", sa.String),
        sa.column("district", sa.String),
        sa.column("address", sa.String),
        sa.column("search_terms", models.types.SearchDocument()),
    )
    update = (
        complaint.update()
        .where(complaint.c.id == sa.bindparam("row_id"))
        .values(search_terms=sa.bindparam("terms"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(complaint).where(complaint.c.id > last).order_by(complaint.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            update,
            [
                {
                    "row_id": r.id,
                    "terms": search.document(r.title, r.text, r.regency, r.district, r.address),
                }
                for r in rows
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index(op.f("ix_response_template_agency_id"), table_name="response_template")
    op.drop_table("response_template")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER complaint_fts_{trigger}")
        op.execute("DROP TABLE complaint_fts")
    else:
        op.drop_index("ix_complaint_search_terms", table_name="complaint")
    op.drop_column("complaint", "search_terms")
