"""Outages the system rides out (issue 22): a Redis restart in the middle of a job leaves the
job done once and the worker working; a web request while the database is unreachable gets
503 in the app's error shape and the next one after it is back succeeds, without a restart."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import make_url
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain.intake import Submission
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services.filing import file_complaint
from models import Notification, NotificationStatus

from support import export_settings

ROOT = Path(__file__).resolve().parent.parent
RQ = Path(sys.executable).parent / "rq"
TEXT = "Lampu lalu lintas di simpang Jl. Yos Sudarso mati sejak kemarin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


# --- Redis restarted under a working RQ worker ---------------------------------------------


class RedisServer:
    """A redis-server of this test's own on a free port, keeping nothing on disk (a restart
    empties it, as on the machines the chaos bench runs on)."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory), "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
        )
        _wait_for(self._answers, 10, "redis-server")
        return self

    def crash(self) -> None:
        """Go away at once, as a killed or restarting server does."""
        self.process.kill()
        self.process.wait()

    def _answers(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0


class SlowMailbox:
    """An SMTP server's handler that takes its time over each message."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.receiving = threading.Event()
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.receiving.set()
        await asyncio.sleep(self.seconds)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    yield server
    server.crash()


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowMailbox, int]]:
    mailbox, port = SlowMailbox(seconds=2), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def _email_row(settings, code_email: str) -> Notification:
    with Session(db.engine_for(settings.database_url)) as session:
        query = select(Notification).where(Notification.address == code_email)
        return session.exec(query).one()


@pytest.mark.slow
def test_a_redis_restart_mid_job_leaves_the_job_done_once_and_the_worker_working(
    settings, own_redis, slow_smtp, monkeypatch
):
    mailbox, smtp_port = slow_smtp
    local = settings.with_overrides(
        {
            "redis_url": own_redis.url,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": "none",
        }
    )
    export_settings(monkeypatch, local)
    now = datetime.now(UTC)
    file_complaint(local, Submission(text=TEXT, email="pertama@example.id"), now=now)
    worker = subprocess.Popen(
        [str(RQ), "worker", "--url", own_redis.url, "--worker-class"]
        + ["workers.worker.LaporWorker", "lapor-high", "lapor-default", "lapor-low"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(mailbox.receiving.is_set, 60, "the delivery job to start sending")
        # Redis goes away while the work-horse is in the middle of the job, and stays away
        # until after the job has ended and RQ wants to record its result.
        own_redis.crash()
        time.sleep(mailbox.seconds + 2)
        own_redis.start()

        first = lambda: _email_row(local, "pertama@example.id").status  # noqa: E731
        _wait_for(lambda: first() == NotificationStatus.SENT, 30, "the first email")
        # The worker is still there and takes the next job from the restarted Redis.
        file_complaint(local, Submission(text=TEXT, email="kedua@example.id"), now=now)
        second = lambda: _email_row(local, "kedua@example.id").status  # noqa: E731
        _wait_for(lambda: second() == NotificationStatus.SENT, 30, "the second email")
        assert worker.poll() is None
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert "unhandled exception" not in output, output
    assert sorted(mailbox.recipients) == ["kedua@example.id", "pertama@example.id"], output
    assert _email_row(local, "pertama@example.id").attempts == 1


# --- the database unreachable under the web app --------------------------------------------

MISSING = "ABCDE23456"  # a well-formed tracking code that is not there: a query, then 404
# Each of the app's error shapes, and what the path answers when the database is up.
PROBES = {
    f"/api/v1/complaints/{MISSING}": 404,
    f"/open311/v2/requests/{MISSING}.json": 404,
    f"/lacak/{MISSING}": 404,
    "/api/v1/agencies": 200,
}


def _answers(client) -> dict[str, int]:
    return {path: client.get(path).status_code for path in PROBES}


def _assert_unavailable_in_each_shape(client) -> None:
    api = client.get(f"/api/v1/complaints/{MISSING}")
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json()["error"]["code"] == "unavailable"
    open311 = client.get(f"/open311/v2/requests/{MISSING}.json")
    assert open311.status_code == 503
    assert open311.get_json()[0]["code"] == 503
    page = client.get(f"/lacak/{MISSING}", headers={"Accept-Language": "id"})
    assert page.status_code == 503
    assert "Layanan sedang tidak tersedia" in page.get_data(as_text=True)
    assert _answers(client) == dict.fromkeys(PROBES, 503)


def test_a_request_while_the_database_file_is_gone_gets_503_then_works_again(
    app, settings, tmp_path
):
    client = app.test_client()
    if not settings.is_sqlite:
        pytest.skip("on PostgreSQL: test_a_postgresql_outage_gets_503_and_the_app_recovers_…")
    path = Path(make_url(settings.database_url).database)
    assert _answers(client) == PROBES
    # The file cannot be opened (a directory stands in its place) and the pool holds no
    # connection to the old one, as after the disk went away.
    path.rename(tmp_path / "moved.db")
    path.mkdir()
    db.engine_for(settings.database_url).dispose()
    try:
        _assert_unavailable_in_each_shape(client)
    finally:
        path.rmdir()
        (tmp_path / "moved.db").rename(path)
    assert _answers(client) == PROBES


class PostgresServer:
    """A PostgreSQL cluster of this test's own on a free port, so that stopping it disturbs
    nobody (root may not run PostgreSQL: it runs as the user postgres)."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, _free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/lapor"

    def create(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run("initdb", "-D", str(self.directory / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "lapor")
        return self

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def _pg_ctl(self, action: str, *options: str) -> None:
        server = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        data, log = str(self.directory / "data"), str(self.directory / "log")
        self._run("pg_ctl", action, "-w", "-D", data, "-o", server, "-l", log, *options)

    def _run(self, program: str, *arguments: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        command = [*as_postgres, str(self.BIN / program), *arguments]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    if not (PostgresServer.BIN / "pg_ctl").exists():
        pytest.skip("no PostgreSQL 15 programs to run a server of the test's own")
    # Not under pytest's temporary directory, which the user postgres may not enter.
    directory = Path(tempfile.mkdtemp(prefix="lapor-pg-"))
    try:
        server = PostgresServer(directory).create()
        db.migrate(server.url)
        yield server
        db.engine_for(server.url).dispose()
        server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.slow
def test_a_postgresql_outage_gets_503_and_the_app_recovers_without_a_restart(
    own_postgres, embedded_server, tmp_path
):
    settings = Settings(
        env="test",
        data_dir=tmp_path / "instance",
        database_url=own_postgres.url,
        redis_url=embedded_server.url,
        secret_key="test-secret",
    ).completed()
    app = create_app(settings)
    app.config.update(TESTING=True)
    client = app.test_client()
    assert _answers(client) == PROBES

    own_postgres.stop()
    _assert_unavailable_in_each_shape(client)
    own_postgres.start()
    # Back at once: the pool drops the dead connections and opens new ones.
    assert _answers(client) == PROBES

    # A restart while the pool's connections are fresh (trusted without a ping): at most
    # the first request meets a dropped connection, and the rest find new ones.
    own_postgres.stop()
    own_postgres.start()
    first = client.get(f"/api/v1/complaints/{MISSING}").status_code
    assert first in (404, 503)
    _wait_for(lambda: _answers(client) == PROBES, 5, "the app to answer again")
