"""Writing a session's new rows with plain INSERTs, parents first.

A new complaint arrives with its audit events, notices and outbox rows: a handful of rows that
only reference each other. The ORM's unit of work spends more time sorting and tracking them
than the database spends storing them (about 1 ms a complaint), so intake writes them here,
and afterwards the objects belong to the session as if loaded from the database. On
PostgreSQL all of them go in one statement (a WITH query of INSERTs, each child reading its
parent's new key); elsewhere (SQLite) one INSERT per table in dependency order.
"""

from __future__ import annotations

import itertools
from functools import cache, lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import MANYTOONE, Mapper, Relationship, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel


def insert_new_rows(session: Session) -> None:
    """Write every new object of the session (no commit); the unit of work when the session
    holds anything else: changed or deleted rows, or a row these INSERTs cannot build."""
    new = list(session.new)
    writable = new and not session.dirty and not session.deleted and all(map(_insertable, new))
    if not writable:
        session.flush()
        return
    rows = _parents_first(new)
    for row in rows:
        session.expunge(row)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _insert_in_one_statement(connection, rows)
    else:
        _insert_table_by_table(connection, rows)
    # All rows first become detached, then join the session: adding a child earlier would
    # cascade to a parent still transient and make it pending again.
    for row in rows:
        make_transient_to_detached(row)
    for row in rows:
        session.add(row)


def _parents_first(rows: list[SQLModel]) -> list[SQLModel]:
    """The rows ordered by table so that every table comes after the tables it refers to."""
    order = {table: n for n, table in enumerate(_tables_parents_first())}
    return sorted(rows, key=lambda row: order[_table(row)])


def _table(row: SQLModel) -> sa.Table:
    return sa.inspect(type(row)).local_table


@cache
def _tables_parents_first() -> list[sa.Table]:
    # MetaData sorts its tables anew on every call; the schema is fixed once models load.
    return SQLModel.metadata.sorted_tables


def _insertable(row: object) -> bool:
    """A new row of a plain table whose key the database assigns."""
    mapper = sa.inspect(type(row), raiseerr=False)
    return (
        mapper is not None
        and _plain_mapping(mapper)
        and getattr(row, mapper.primary_key[0].key) is None
    )


@cache
def _plain_mapping(mapper: Mapper) -> bool:
    """One integer key the database assigns, no inheritance, and links to parents of other
    tables by their key (a new parent is then always written before its children)."""
    return (
        mapper.inherits is None
        and len(mapper.primary_key) == 1
        and mapper.primary_key[0].autoincrement in (True, "auto")
        and all(
            remote.primary_key and remote.table is not mapper.local_table
            for relationship in _parent_links(mapper)
            for _local, remote in relationship.local_remote_pairs
        )
    )


def _insert_table_by_table(connection: sa.Connection, rows: list[SQLModel]) -> None:
    """One INSERT … RETURNING per table, parents first, foreign keys from the parents."""
    for table, group in itertools.groupby(rows, key=_table):
        same_table = list(group)
        mapper = sa.inspect(type(same_table[0]))
        key = mapper.primary_key[0]
        for row in same_table:
            _copy_parent_keys(row, mapper)
        values = [_column_values(row, mapper) for row in same_table]
        several = len(same_table) > 1
        statement = _insert_returning(table, key, several)
        ids = connection.execute(statement, values if several else values[0]).scalars().all()
        for row, new_id in zip(same_table, ids, strict=True):
            set_committed_value(row, key.key, new_id)


@cache
def _insert_returning(table: sa.Table, key: sa.Column, several: bool) -> sa.Insert:
    # Built once: a statement object remembers its cache key, so reusing it skips that work.
    return table.insert().returning(key, sort_by_parameter_order=several)


def _copy_parent_keys(row: SQLModel, mapper: Mapper) -> None:
    """Fill the row's foreign keys from the parent objects set on it (written already)."""
    for relationship in _parent_links(mapper):
        parent = row.__dict__.get(relationship.key)
        if parent is not None:
            for local, remote in relationship.local_remote_pairs:
                setattr(row, mapper.get_property_by_column(local).key, getattr(parent, remote.key))


@cache
def _parent_links(mapper: Mapper) -> list[Relationship]:
    return [r for r in mapper.relationships if r.direction is MANYTOONE]


def _column_values(row: SQLModel, mapper: Mapper) -> dict[str, object]:
    """The row's values by column key, its database-assigned key left out."""
    return {column.key: getattr(row, attribute) for column, attribute in _value_columns(mapper)}


@cache
def _value_columns(mapper: Mapper) -> tuple[tuple[sa.Column, str], ...]:
    """Each column but the database-assigned key, with the attribute that holds its value."""
    key = mapper.primary_key[0]
    return tuple(
        (column, prop.key)
        for prop in mapper.column_attrs
        for column in prop.columns
        if column is not key
    )


# --- PostgreSQL: one statement ------------------------------------------------------------


def _insert_in_one_statement(connection: sa.Connection, rows: list[SQLModel]) -> None:
    """Every row in one statement: an INSERT … RETURNING per row in a WITH query, a child's
    foreign key read from its parent's. One round trip, and one statement for SQLAlchemy and
    PostgreSQL to prepare (it is cached per shape), instead of one per table."""
    number = {id(row): n for n, row in enumerate(rows)}
    plan: list[_RowPlan] = []
    params: dict[str, object] = {}
    for n, row in enumerate(rows):
        mapper = sa.inspect(type(row))
        links = _links_to_new_parents(row, mapper, number)
        linked = {column_key for column_key, _parent in links}
        _copy_parent_keys(row, mapper)  # parents already in the database; new ones have no key
        columns = []
        given = row.__dict__  # a new row's values: cheaper than its instrumented attributes
        for column, attribute, name, writes_none in _named_columns(mapper, n):
            value = given[attribute] if attribute in given else getattr(row, attribute)
            if (value is None and not writes_none) or column.key in linked:
                continue  # left to its default as the unit of work does, or a new parent's key
            columns.append(column)
            params[name] = value
        plan.append(_RowPlan(mapper.local_table, mapper.primary_key[0], tuple(columns), links))
    new_ids = dict(connection.execute(_one_statement(tuple(plan)), params).all())
    for n, (row, row_plan) in enumerate(zip(rows, plan, strict=True)):
        mapper = sa.inspect(type(row))
        set_committed_value(row, row_plan.key.key, new_ids[n])
        for column_key, parent in row_plan.links:
            set_committed_value(
                row,
                mapper.get_property_by_column(row_plan.table.c[column_key]).key,
                new_ids[parent],
            )


@lru_cache(maxsize=256)
def _named_columns(mapper: Mapper, n: int) -> tuple[tuple[sa.Column, str, str, bool], ...]:
    """The value columns with their parameter names as row n of a statement, and whether a
    None is written (a JSON column's becomes JSON null) rather than left to the default."""
    return tuple(
        (column, attribute, _param_name(n, column), column.type.should_evaluate_none)
        for column, attribute in _value_columns(mapper)
    )


def _param_name(n: int, column: sa.Column) -> str:
    """The bound parameter of row n's value for the column (the values and the statement)."""
    return f"r{n}_{column.key}"


class _RowPlan(NamedTuple):
    """How one row is written: its table and key, the columns given, and the foreign keys
    that come from rows of the same statement (column key, number of the parent row)."""

    table: sa.Table
    key: sa.Column
    columns: tuple[sa.Column, ...]
    links: tuple[tuple[str, int], ...]


def _links_to_new_parents(
    row: SQLModel, mapper: Mapper, number: dict[int, int]
) -> tuple[tuple[str, int], ...]:
    links = []
    for relationship in _parent_links(mapper):
        parent = row.__dict__.get(relationship.key)
        if parent is not None and id(parent) in number:
            for local, _remote in relationship.local_remote_pairs:
                links.append((local.key, number[id(parent)]))
    return tuple(links)


@lru_cache(maxsize=128)
def _one_statement(plan: tuple[_RowPlan, ...]) -> sa.Select | sa.CompoundSelect:
    """WITH new_0 AS (INSERT … RETURNING id), new_1 AS (…) SELECT 0, id FROM new_0 UNION ALL …"""
    written: list[sa.CTE] = []
    for n, row in enumerate(plan):
        values: dict[str, object] = {
            column.key: sa.bindparam(_param_name(n, column), type_=column.type)
            for column in row.columns
        }
        for column_key, parent in row.links:
            values[column_key] = sa.select(written[parent].c[0]).scalar_subquery()
        written.append(row.table.insert().values(values).returning(row.key).cte(f"new_{n}"))
    numbered = [
        sa.select(sa.literal_column(str(n), sa.Integer), cte.c[0]) for n, cte in enumerate(written)
    ]
    return sa.union_all(*numbered) if len(numbered) > 1 else numbered[0]
