"""Writing a session's new rows with plain INSERTs, parents first.

A new complaint arrives with its audit events, notices and outbox rows: a handful of rows that
only reference each other. The ORM's unit of work spends more time sorting and tracking them
than the database spends storing them (about 1 ms a complaint), so intake writes them here:
one INSERT per table in dependency order, foreign keys taken from the parent rows just
written, and afterwards the objects belong to the session as if loaded from the database.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import MANYTOONE, Mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel


def insert_new_rows(session: Session) -> None:
    """Write every new object of the session (no commit); the unit of work when the session
    holds anything else: changed or deleted rows, or a row these INSERTs cannot build."""
    new = list(session.new)
    if not new or session.dirty or session.deleted or not all(map(_insertable, new)):
        session.flush()
        return
    by_table: dict[sa.Table, list[SQLModel]] = {}
    for row in new:
        by_table.setdefault(sa.inspect(type(row)).local_table, []).append(row)
    for row in new:
        session.expunge(row)
    connection = session.connection()
    for table in _tables_parents_first():
        if table in by_table:
            _insert(connection, table, by_table[table])
    # All rows first become detached, then join the session: adding a child earlier would
    # cascade to a parent still transient and make it pending again.
    for row in new:
        make_transient_to_detached(row)
    for row in new:
        session.add(row)


@cache
def _tables_parents_first() -> list[sa.Table]:
    # MetaData sorts its tables anew on every call; the schema is fixed once models load.
    return SQLModel.metadata.sorted_tables


def _insertable(row: object) -> bool:
    """A row with one integer key the database assigns, and no inherited mapping."""
    mapper = sa.inspect(type(row), raiseerr=False)
    return (
        mapper is not None
        and mapper.inherits is None
        and len(mapper.primary_key) == 1
        and mapper.primary_key[0].autoincrement in (True, "auto")
        and getattr(row, mapper.primary_key[0].key) is None
    )


def _insert(connection: sa.Connection, table: sa.Table, rows: list[SQLModel]) -> None:
    mapper = sa.inspect(type(rows[0]))
    key = mapper.primary_key[0]
    values = [_values(row, mapper, key) for row in rows]
    several = len(rows) > 1
    statement = _insert_returning(table, key, several)
    ids = connection.execute(statement, values if several else values[0]).scalars().all()
    for row, new_id in zip(rows, ids, strict=True):
        set_committed_value(row, key.key, new_id)


@cache
def _insert_returning(table: sa.Table, key: sa.Column, several: bool) -> sa.Insert:
    # Built once: a statement object remembers its cache key, so reusing it skips that work.
    return table.insert().returning(key, sort_by_parameter_order=several)


def _values(row: SQLModel, mapper: Mapper, key: sa.Column) -> dict:
    """The row's column values, foreign keys filled in from parent objects set on it."""
    for relationship in mapper.relationships:
        parent = row.__dict__.get(relationship.key)
        if parent is not None and relationship.direction is MANYTOONE:
            for local, remote in relationship.local_remote_pairs:
                setattr(row, mapper.get_property_by_column(local).key, getattr(parent, remote.key))
    return {
        column.key: getattr(row, prop.key)
        for prop in mapper.column_attrs
        for column in prop.columns
        if column is not key
    }
