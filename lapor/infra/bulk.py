"""The SLA sweep's writes, in bulk: a batch of due complaints locked and loaded in one query,
their changes written in a few executemany UPDATEs (one per set of changed columns, each
still checking the row version it read), their audit events and in-app notices in one
executemany INSERT per table. SQLAlchemy's Core statements, as its documentation describes
for bulk work: the unit of work would send a statement per versioned row."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from models import Complaint, ComplaintEvent, Notification, NotificationStatus


def lock_due(session: Session, now: datetime, limit: int) -> list[Complaint]:
    """Lock and load up to `limit` complaints whose next check has come, earliest first.

    An indexed range scan on `next_check_at`, so the cost follows the number due, not the
    number stored; FOR UPDATE SKIP LOCKED where the database has it, so two sweeps at once
    take different complaints (and the row version settles any race left)."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: take its one write lock before reading, so a second sweep
        # waits for this batch to commit and then reads what is still due.
        session.exec(sa.text("UPDATE complaint SET id = id WHERE 0"))
    query = (
        select(Complaint)
        .where(Complaint.next_check_at <= now)
        .order_by(Complaint.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(query).all())


def write_complaints(session: Session, complaints: list[Complaint]) -> None:
    """UPDATE the batch's complaints in a few executemany statements (one per set of changed
    columns) instead of one round trip each: the ORM will not batch versioned rows. Each
    UPDATE still checks the row version it read, as the ORM would."""
    table = Complaint.__table__
    columns = frozenset(c.name for c in table.columns) - {"id", "row_version"}
    groups: dict[frozenset[str], list[dict]] = {}
    for complaint in complaints:
        changed = columns - sa.inspect(complaint).unmodified
        if changed:
            row = {name: getattr(complaint, name) for name in changed}
            row["b_id"], row["b_version"] = complaint.id, complaint.row_version
            groups.setdefault(changed, []).append(row)
        session.expunge(complaint)  # written here, not by the flush
    for changed, rows in groups.items():
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .where(table.c.row_version == sa.bindparam("b_version"))
            .values(
                {name: sa.bindparam(name) for name in sorted(changed)}
                | {"row_version": table.c.row_version + 1}
            )
        )
        matched = session.connection().execute(statement, rows).rowcount
        if matched != len(rows):
            raise StaleDataError(f"complaint: {len(rows)} rows to update, {matched} matched")


def insert_records(session: Session) -> None:
    """INSERT the batch's audit events and in-app notices in one executemany each: nothing
    refers to their ids, so they need no RETURNING round trips. Deliveries are left to the
    flush: their ids are enqueued once the batch commits (lapor.infra.notification_jobs)."""
    by_table: dict[sa.Table, list[dict]] = {}
    for record in list(session.new):
        if isinstance(record, ComplaintEvent) or (
            isinstance(record, Notification) and record.status == NotificationStatus.SENT
        ):
            table = record.__table__
            row = {c.name: getattr(record, c.name) for c in table.columns if c.name != "id"}
            by_table.setdefault(table, []).append(row)
            session.expunge(record)
    for table, rows in by_table.items():
        session.connection().execute(table.insert(), rows)
