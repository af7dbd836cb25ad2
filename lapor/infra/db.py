"""The database: one engine per process, a session per request or job, migrations."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from lapor.infra.notification_jobs import SETTINGS_KEY
from lapor.infra.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
T = TypeVar("T")

_engines: dict[str, sa.Engine] = {}


def engine_for(url: str) -> sa.Engine:
    """The process's engine for a URL, created on first use."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = _create_engine(url)
    return engine


def _create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = sa.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url, pool_size=5, max_overflow=10, connect_args=_server_connect_args(url)
    )
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A server that does not answer at all (a host down, a network cut) fails a new connection
# after this long instead of holding a web thread for the system's TCP timeout (minutes).
CONNECT_TIMEOUT_SECONDS = 5


def _server_connect_args(url: str) -> dict:
    if "connect_timeout" in sa.make_url(url).query:
        return {}  # the URL says how long
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


# A pooled connection that was used this recently is trusted without a round trip; one idle
# for longer is pinged first (the server may have restarted or dropped it). A connection lost
# in between fails its transaction, which run_in_transaction retries on a fresh one.
PING_AFTER_IDLE_SECONDS = 5.0


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is not None and time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()  # hand the connection on outside any transaction
    except dbapi_connection.OperationalError as exc:  # psycopg's, for this connection
        # The pool discards this connection and checks out another one.
        raise sa.exc.DisconnectionError() from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web, worker and cron processes read while one of them writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def dispose_all() -> None:
    """Close every pooled connection (after fork, and between tests)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back otherwise."""
    with Session(engine_for(settings.database_url), expire_on_commit=False) as session:
        session.info[SETTINGS_KEY] = settings
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# Conflicts that a fresh attempt resolves: a concurrent insert of the same unique key (the
# retry then finds the winner's row), an optimistic-lock loss, a serialization failure.
RETRYABLE = (IntegrityError, StaleDataError, OperationalError)


def run_in_transaction(settings: Settings, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Run `work` in its own transaction and commit, retrying on a conflict with another writer."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(settings) as session:
                return work(session)
        except RETRYABLE:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the packaged migrations against `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def ping(settings: Settings) -> None:
    """Raise if the database does not answer."""
    with engine_for(settings.database_url).connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def init_app(app: Flask) -> None:
    """A session per request, closed (and rolled back if uncommitted) when the request ends."""
    app.teardown_appcontext(_close_request_session)


def get_session() -> Session:
    """The current request's session; views commit it themselves, at the edge."""
    if "db_session" not in g:
        settings: Settings = current_app.extensions["lapor.settings"]
        g.db_session = Session(engine_for(settings.database_url), expire_on_commit=False)
        g.db_session.info[SETTINGS_KEY] = settings
    return g.db_session


def _close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except (OperationalError, InterfaceError):
        # The server went away mid-request (a restart): the rollback inside close() cannot
        # reach it. The response (a 503) is already made; drop the dead connection from the
        # pool instead of turning that answer into a 500.
        session.invalidate()


# The console's queue indexes on the deadline expression, made by migration 0010 (PostgreSQL).
QUEUE_INDEXES = frozenset(
    {"ix_complaint_open_agency_deadline", "ix_complaint_open_deadline", "ix_complaint_deadline"}
)


def autogenerate_filters(dialect_name: str) -> dict:
    """What Alembic compares with the models on this database: not SQLite's FTS5 search table
    and its shadow tables, which the migration creates by hand (no model describes them), nor
    there the GIN index that exists only on PostgreSQL."""

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        return not (type_ == "table" and name is not None and name.startswith("complaint_fts"))

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "index" and name in QUEUE_INDEXES:
            return False  # expression indexes of migration 0010: no model column to compare
        postgres_only = type_ == "index" and name == "ix_complaint_search_terms"
        return not (postgres_only and dialect_name != "postgresql")

    return {"include_name": include_name, "include_object": include_object}
