"""A throw-away PostgreSQL database for the benchmarks that fill one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from lapor.infra import db

ADMIN_URL = os.environ.get("LAPOR_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_database(prefix: str = "lapor_bench", admin_url: str = ADMIN_URL) -> Iterator[str]:
    """The URL of a new, empty database on the bench server (the one `admin_url` names);
    dropped afterwards, once Lapor's pooled connections to it are closed."""
    # No pool: a connection kept open would be dead after a server restart (bench/chaos.py).
    admin = sa.create_engine(
        sa.make_url(admin_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        db.dispose_all()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
