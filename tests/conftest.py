"""Test fixtures: every database test runs on the embedded default (SQLite + embedded Redis)
and, when they are reachable, on PostgreSQL + Redis. Under CI=true the services must be there."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import sqlalchemy as sa
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from lapor import create_app
from lapor.infra import db, directory, region
from lapor.infra.embedded_redis import EmbeddedRedis
from lapor.infra.settings import Settings
from lapor.infra.storage import AttachmentStore
from lapor.routing.artifacts import ModelStore
from lapor.routing.dataset import SHIPPED, read_examples
from lapor.routing.model import train

PG_URL = os.environ.get("LAPOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LAPOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"
SAMPLE_PER_LABEL = 60


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "fuzz: the long fuzz, hundreds of generated requests per operation (also marked slow);"
        " `make fuzz` (and .ci/run) runs it, `make test-slow` leaves it out",
    )


@pytest.fixture(autouse=True)
def _signal_handlers_kept() -> Iterator[None]:
    """A test that runs an RQ worker in this process (support.work) is left with the worker's
    SIGINT and SIGTERM handlers; pytest's go back, so Ctrl-C or a CI timeout still stops the
    run instead of failing whichever test is running."""
    held = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in held.items():
        signal.signal(number, handler)


@dataclass
class Backend:
    name: str
    database_url: str  # for "embedded": a migrated template SQLite file to copy per test
    redis_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.name == "embedded"


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} not reachable: {exc}"
    if IN_CI:
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated and seeded SQLite file; each test gets a copy (much faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "lapor.infra.db"
    url = f"sqlite:///{path}"
    db.migrate(url)
    _seed(url)
    db.dispose_all()
    return path


def _seed(url: str) -> None:
    registry = region.registry_for("kalteng")
    with Session(db.engine_for(url)) as session:
        region.seed_agencies(session, registry)
        session.commit()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test session, migrated."""
    admin_url = sa.make_url(_with_driver(PG_URL))
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        _unavailable("PostgreSQL", exc)
    name = f"lapor_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        db.migrate(url)
        yield url
    finally:
        db.dispose_all()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _with_driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


# Every test empties its Redis database (FLUSHDB). Two test sessions on one database would
# empty each other's mid-test (a job's result gone between the worker and the assert), so a
# session claims its database with this key and keeps it through every flush.
CLAIM_KEY = "lapor-test:session"
CLAIM_SECONDS = 600  # renewed by every test; a killed session's claim lapses by itself
SESSION_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def real_redis() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        _unavailable("Redis", exc)
    url = _claimed_database(REDIS_URL)
    yield url
    _release(url)


def _claimed_database(url: str) -> str:
    """This session's own Redis database: the one asked for, or (when none was asked for)
    the first free one counting down from 15."""
    if "LAPOR_TEST_REDIS_URL" in os.environ:
        candidates = [url]
    else:
        candidates = [_with_db(url, n) for n in range(15, -1, -1)]
    for candidate in candidates:
        if _claim(candidate):
            return candidate
    owner = (redis.Redis.from_url(url).get(CLAIM_KEY) or b"").decode()
    pytest.fail(
        f"Redis {url} is in use by another test session ({owner}); "
        "set LAPOR_TEST_REDIS_URL to a database of your own"
    )


def _with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


def _claim(url: str) -> bool:
    """Take the database for this session if it is free or its owner's process is gone."""
    connection = redis.Redis.from_url(url)
    if connection.set(CLAIM_KEY, SESSION_ID, nx=True, ex=CLAIM_SECONDS):
        return True
    owner = (connection.get(CLAIM_KEY) or b"").decode()
    if owner == SESSION_ID or _owner_is_gone(owner):
        connection.set(CLAIM_KEY, SESSION_ID, ex=CLAIM_SECONDS)
        return True
    return False


def _owner_is_gone(owner: str) -> bool:
    """A claim left by a process of this machine that no longer runs (killed mid-run)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not Path(f"/proc/{pid}").exists()


def _release(url: str) -> None:
    connection = redis.Redis.from_url(url)
    if connection.get(CLAIM_KEY) == SESSION_ID.encode():
        connection.delete(CLAIM_KEY)


def _empty_redis(url: str) -> None:
    """FLUSHDB and the session's claim again in one transaction: no moment unclaimed."""
    with redis.Redis.from_url(url).pipeline(transaction=True) as pipeline:
        pipeline.flushdb()
        pipeline.set(CLAIM_KEY, SESSION_ID, ex=CLAIM_SECONDS)
        pipeline.execute()


@pytest.fixture(scope="session", params=["embedded", "services"])
def backend(request) -> Backend:
    if request.param == "embedded":
        template = request.getfixturevalue("sqlite_template")
        server = request.getfixturevalue("embedded_server")
        return Backend("embedded", str(template), server.url)
    return Backend(
        "services",
        request.getfixturevalue("postgres_database"),
        request.getfixturevalue("real_redis"),
    )


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a clean installation: empty tables (agencies seeded), empty Redis."""
    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    if backend.is_sqlite:
        shutil.copy(backend.database_url, data_dir / "lapor.infra.db")
        database_url = f"sqlite:///{data_dir / 'lapor.infra.db'}"
    else:
        database_url = backend.database_url
        _truncate(database_url)
        _seed(database_url)
    _empty_redis(backend.redis_url)
    directory.agencies.clear()
    yield Settings(
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        redis_url=backend.redis_url,
        secret_key="test-secret",
    ).completed()
    if backend.is_sqlite:
        db.engine_for(database_url).dispose()


def _truncate(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.engine_for(url).begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    with Session(db.engine_for(settings.database_url), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def store(settings: Settings) -> AttachmentStore:
    return AttachmentStore(settings.attachments_dir)


@pytest.fixture
def app(settings: Settings):
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory) -> Path:
    """Up to 60 shipped complaints per label: small enough to train in seconds."""
    by_label = defaultdict(list)
    for example in read_examples(SHIPPED):
        by_label[example.label].append(example)
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("routing") / "sample.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for label, examples in sorted(by_label.items()):
            for example in rng.sample(examples, min(SAMPLE_PER_LABEL, len(examples))):
                writer.writerow([example.text, label])
    return path


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory, sample_csv) -> Path:
    """A models directory holding one model trained on the sample."""
    root = tmp_path_factory.mktemp("models")
    trained = train(read_examples(sample_csv), now=datetime(2026, 11, 23, tzinfo=UTC))
    store = ModelStore(root)
    store.save(trained)
    store.promote(trained.version)
    return root


@pytest.fixture
def routed_settings(settings, trained_models):
    """Settings whose data directory holds the sample model."""
    shutil.copytree(trained_models, settings.data_dir / "models")
    return settings


@pytest.fixture
def telegram():
    """A local server that speaks the Telegram Bot API, keeping every call it gets."""
    from fakes import FakeTelegram

    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback, keeping every message it accepts."""
    from fakes import FakeSmtp

    server = FakeSmtp().start()
    yield server
    server.stop()


# --- a real browser (the slow suite) ------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
