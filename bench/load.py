"""The whole system under a mixed load, then a check that nothing was lost or doubled.

    python bench/load.py [--seconds 30] [--clients 16] [--redis-url URL]

Starts gunicorn (2 workers) and one `rq worker` on a scratch PostgreSQL database and Redis
(LAPOR_BENCH_DATABASE_URL as admin connection, default postgresql://postgres@127.0.0.1:5432/
test; --redis-url, default database 11 at 127.0.0.1:6379, flushed) with a local SMTP
server, and drives it over loopback with a mix of: filing (the JSON API, half with an email
address), tracking,
verifiers disposing triaged complaints and officers answering theirs (the staff API), while
the SLA sweep runs every two seconds. A filing that gets no answer or a 5xx is sent again with
the same Idempotency-Key, as a client would; a staff action is not (its outcome stays unknown).
Then it waits for the queues to drain and checks, complaint by complaint, that every accepted
complaint is stored exactly once with one submit event, every staff action that was
acknowledged is in that trail exactly once, no delivery is left to make and every email went
out once. Prints JSON: per operation count, throughput, p50/p99 and errors, and the checks.
bench/chaos.py runs the same load and checks while it restarts servers and kills processes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from intake import free_port, start_gunicorn  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from lapor.domain import delivery  # noqa: E402
from lapor.infra import db, region  # noqa: E402
from lapor.infra.jobs import QUEUES  # noqa: E402
from lapor.infra.settings import Settings  # noqa: E402
from lapor.services import accounts, deliveries  # noqa: E402
from lapor.services import sweep as sla  # noqa: E402
from models import Complaint, ComplaintEvent, Notification  # noqa: E402

from fakes import FakeSmtp  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/11"
OFFICERS = ("DISHUB", "PUPR", "DINKES", "DISDIK")
TEXTS = [
    "Lampu lalu lintas mati di simpang {n}, rawan tabrakan",
    "Jalan berlubang di km {n} jalan provinsi",
    "Puskesmas nomor {n} kehabisan obat untuk lansia",
    "Gedung sekolah nomor {n} atapnya bocor",
]
MIX = [("file", 50), ("track", 25), ("verify", 15), ("respond", 10)]
WEB_APP = "bench.floor_app:lapor_app()"
RETRY_PAUSE = 0.5  # seconds between two attempts at the same filing
RETRY_FOR = 120.0  # a filing still unanswered this long after the load ends is given up
# What a sweep may meet while a server restarts; anything else is a bug and stops the bench.
SERVER_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, redis.RedisError, OSError)


@dataclass(frozen=True)
class Attempt:
    """One HTTP request as a client saw it (monotonic seconds; status 0 = no answer)."""

    started: float
    ended: float
    operation: str
    status: int

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500


class Shared:
    """What the clients learn as they go: codes filed, codes waiting per OPD, every attempt."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.filed: list[str] = []
        self.triage: list[str] = []
        self.routed: dict[str, list[str]] = defaultdict(list)
        self.acknowledged: Counter = Counter()
        self.acknowledged_actions: list[tuple[str, str]] = []  # (code, action)
        self.unknown_actions: list[tuple[str, str]] = []  # sent, answer lost or 5xx
        self.filings_given_up = 0
        self.attempts: list[Attempt] = []
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: Counter = Counter()
        self.sweeps = 0
        self.sweep_errors: list[tuple[float, str]] = []
        self.halt = threading.Event()  # set on Ctrl-C: the clients stop at once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rq-workers", type=int, default=1, help="worker processes")
    parser.add_argument("--redis-url", default=REDIS_URL, help="flushed first")
    args = parser.parse_args()
    with scratch_database("lapor_load") as url:
        result = run(url, args.seconds, args.clients, args.rq_workers, args.redis_url)
        print(json.dumps(result, indent=2))


def run(
    url: str, seconds: float, clients: int, rq_workers: int = 1, redis_url: str = REDIS_URL
) -> dict:
    smtp = FakeSmtp().start()
    data_dir = tempfile.mkdtemp(prefix="lapor-load-")
    env = environment(url, redis_url, smtp.port, data_dir)
    settings = Settings.from_env(env)
    tokens = prepare(settings, redis_url)
    port = free_port()
    web = start_gunicorn(WEB_APP, port, env)
    workers = [
        start_worker(redis_url, env, Path(data_dir) / f"worker-{n}.log") for n in range(rq_workers)
    ]
    print(f"worker logs: {data_dir}", file=sys.stderr)
    shared = Shared()
    try:
        elapsed = drive(settings, port, tokens, shared, seconds, clients)
        drain_started = time.monotonic()
        drained = drain(settings, redis_url, timeout=600)
        drain_seconds = round(time.monotonic() - drain_started, 1)
        checks = check(settings, shared, smtp)
    finally:
        web.terminate()
        web.wait(timeout=30)
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        smtp.stop()
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "rq_workers": rq_workers,
        "operations": report(shared, elapsed),
        "queues_drained": drained,
        "drain_seconds": drain_seconds,
        "checks": checks,
    }


def environment(url: str, redis_url: str, smtp_port: int, data_dir: str) -> dict[str, str]:
    """The processes' environment: production settings on these servers."""
    return {
        **os.environ,
        "LAPOR_ENV": "production",
        "LAPOR_SECRET_KEY": "load-" + uuid.uuid4().hex,
        "LAPOR_DATABASE_URL": url,
        "LAPOR_REDIS_URL": redis_url,
        "LAPOR_DATA_DIR": data_dir,
        "LAPOR_SMTP_HOST": "127.0.0.1",
        "LAPOR_SMTP_PORT": str(smtp_port),
        "LAPOR_SMTP_SECURITY": "none",
        "PYTHONPATH": str(ROOT),  # this tree's code, whatever the virtualenv points at
    }


def prepare(settings: Settings, redis_url: str) -> dict[str, str]:
    """Empty the Redis database, migrate, and make the staff: their API tokens by role/OPD."""
    redis.Redis.from_url(redis_url).flushdb()
    db.migrate(settings.database_url)
    return _staff(settings)


def worker_command(redis_url: str) -> list[str]:
    """`rq worker` as the Procfile runs it (without the scheduler: no job here is deferred)."""
    return [
        str(Path(sys.executable).parent / "rq"),
        "worker",
        "--url",
        redis_url,
        "--worker-class",
        "workers.worker.LaporWorker",
        *QUEUES,
    ]


def start_worker(redis_url: str, env: dict, log: Path) -> subprocess.Popen:
    """One RQ worker process, its output appended to `log`."""
    with log.open("a") as out:
        # Its own session: a Ctrl-C reaches the bench only, which stops everything in order.
        return subprocess.Popen(
            worker_command(redis_url),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def drive(
    settings: Settings, port: int, tokens: dict, shared: Shared, seconds: float, clients: int
) -> float:
    """Run the clients and the SLA sweep for `seconds`; the seconds it took."""
    stop = threading.Event()
    sweeper = threading.Thread(target=sweep_every, args=(settings, stop, 2.0, shared))
    sweeper.start()
    try:
        started = time.monotonic()
        threads = [
            threading.Thread(target=client, args=(port, tokens, shared, started + seconds, i))
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started
    finally:
        stop.set()
        sweeper.join()


def _staff(settings: Settings) -> dict[str, str]:
    with db.session_scope(settings) as session:
        region.seed_agencies(session, region.registry_for(settings.region))
        now = datetime.now(UTC)
        tokens = {}
        accounts.create_user(
            session, username="verifikator", password="load-password-1", role="verifier", now=now
        )
        tokens["verifier"] = accounts.create_token(session, "verifikator", now=now)
        for code in OFFICERS:
            name = f"petugas-{code.lower()}"
            accounts.create_user(
                session,
                username=name,
                password="load-password-1",
                role="officer",
                agency_code=code,
                now=now,
            )
            tokens[code] = accounts.create_token(session, name, now=now)
    return tokens


class _Connection:
    """One keep-alive connection to the web server, opened again after a failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body, headers) -> tuple[int, bytes]:
        try:
            self.http.request(method, path, body, headers)
            response = self.http.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, b""


def client(port: int, tokens: dict, shared: Shared, until: float, seed: int) -> None:
    """One client: a random mix of operations until `until`, each filing until answered."""
    rng = random.Random(seed)
    connection = _Connection(port)
    n = 0
    while time.monotonic() < until and not shared.halt.is_set():
        n += 1
        operation = rng.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
        request = _request(operation, rng, tokens, shared, f"{seed}-{n}")
        if request is None:
            operation, request = "file", _request("file", rng, tokens, shared, f"{seed}-{n}")
        give_up = until + RETRY_FOR if operation == "file" else 0.0
        while True:
            status, payload = _attempt(connection, operation, request, shared)
            if (0 < status < 500) or time.monotonic() > give_up or shared.halt.is_set():
                break  # answered (a 4xx too: sending it again would not change it)
            time.sleep(RETRY_PAUSE)
        method, path, body, headers, on_success, on_unknown = request
        with shared.lock:
            if 200 <= status < 300 and on_success:
                on_success(json.loads(payload))
            elif (status == 0 or status >= 500) and on_unknown:
                on_unknown()


def _attempt(connection: _Connection, operation: str, request, shared: Shared):
    method, path, body, headers, _on_success, _on_unknown = request
    started = time.monotonic()
    status, payload = connection.send(method, path, body, headers)
    ended = time.monotonic()
    with shared.lock:
        shared.attempts.append(Attempt(started, ended, operation, status))
        shared.latencies[operation].append(ended - started)
        outcome = "ok" if 200 <= status < 300 else ("conflict" if status == 409 else "error")
        shared.outcomes[(operation, outcome)] += 1
    return status, payload


def _request(operation, rng, tokens, shared: Shared, unique: str):
    json_headers = {"Content-Type": "application/json"}
    if operation == "file":
        text = rng.choice(TEXTS).format(n=unique)
        body = {"text": text}
        if rng.random() < 0.5:
            body["contact"] = {"email": f"warga{unique}@example.id"}

        def filed(answer):
            shared.filed.append(answer["tracking_code"])
            shared.triage.append(answer["tracking_code"])

        def given_up():
            shared.filings_given_up += 1

        headers = {**json_headers, "Idempotency-Key": f"load-{unique}"}
        return "POST", "/api/v1/complaints", json.dumps(body), headers, filed, given_up
    with shared.lock:
        if operation == "track" and shared.filed:
            code = rng.choice(shared.filed)
            return "GET", f"/api/v1/complaints/{code}", None, {}, None, None
        if operation == "verify" and shared.triage:
            code = shared.triage.pop(rng.randrange(len(shared.triage)))
            agency = rng.choice(OFFICERS)
            done, unknown = _staff_outcome(shared, code, "verify")

            def verified(answer, code=code, agency=agency):
                shared.routed[agency].append(code)
                done(answer)

            body = json.dumps({"action": "verify", "agency": agency})
            headers = {**json_headers, "Authorization": f"Bearer {tokens['verifier']}"}
            path = f"/api/v1/staff/complaints/{code}/actions"
            return "POST", path, body, headers, verified, unknown
        if operation == "respond":
            agencies = [a for a in OFFICERS if shared.routed[a]]
            if agencies:
                agency = rng.choice(agencies)
                code = shared.routed[agency].pop()
                done, unknown = _staff_outcome(shared, code, "respond")
                body = json.dumps({"action": "respond", "note": "Sedang kami tangani."})
                headers = {**json_headers, "Authorization": f"Bearer {tokens[agency]}"}
                path = f"/api/v1/staff/complaints/{code}/actions"
                return "POST", path, body, headers, done, unknown
    return None


def _staff_outcome(shared: Shared, code: str, action: str):
    """What to record when a staff action is acknowledged, and when its outcome is unknown."""

    def done(_answer):
        shared.acknowledged[action] += 1
        shared.acknowledged_actions.append((code, action))

    def unknown():
        shared.unknown_actions.append((code, action))

    return done, unknown


def sweep_every(settings: Settings, stop: threading.Event, interval: float, shared: Shared):
    """The SLA sweep every `interval` seconds, as cron runs it; a server away skips a round."""
    while not stop.wait(interval):
        try:
            sla.sweep(settings, datetime.now(UTC))
            shared.sweeps += 1
        except SERVER_ERRORS as error:
            # As the cron job would: this round fails, the next one runs.
            shared.sweep_errors.append((time.monotonic(), f"{type(error).__name__}: {error}"))


def drain(settings: Settings, redis_url: str, timeout: float) -> bool:
    """Wait until every delivery is made and the queues are empty."""
    from rq import Queue

    connection = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            sla.sweep(settings, datetime.now(UTC) + delivery.GRACE)  # enqueue any leftover
            with db.session_scope(settings) as session:
                backlog = deliveries.backlog(session)
            queues = [Queue(q, connection=connection) for q in QUEUES]
            waiting = sum(q.count + q.started_job_registry.count for q in queues)
        except SERVER_ERRORS:
            backlog = waiting = -1  # a server still coming back: ask again
        if backlog == 0 and waiting == 0:
            return True
        time.sleep(1)
    return False


def check(settings: Settings, shared: Shared, smtp: FakeSmtp) -> dict:
    """Complaint by complaint: what was acknowledged against what is stored and was sent."""
    with db.session_scope(settings) as session:
        stored = Counter(dict(session.execute(_per_code(None)).all()))
        submits = Counter(dict(session.execute(_per_code("submit")).all()))
        trail = Counter()
        for action in ("verify", "respond"):
            for code, count in session.execute(_per_code(action)).all():
                trail[(code, action)] = count
        emails = dict(
            session.execute(
                sa.select(Notification.status, sa.func.count())
                .where(Notification.channel == "email")
                .group_by(Notification.status)
            ).all()
        )
        sent = Counter(
            session.execute(
                sa.select(Notification.address, Notification.subject).where(
                    Notification.channel == "email", Notification.status == "sent"
                )
            ).all()
        )
        backlog = deliveries.backlog(session)
    return compare(shared, stored, submits, trail, emails, sent, smtp, backlog)


def _per_code(action: str | None):
    """Complaints per tracking code, or events of `action` per tracking code."""
    if action is None:
        return sa.select(Complaint.tracking_code, sa.func.count()).group_by(Complaint.tracking_code)
    return (
        sa.select(Complaint.tracking_code, sa.func.count())
        .join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
        .where(ComplaintEvent.action == action)
        .group_by(Complaint.tracking_code)
    )


def distinct_messages(messages) -> tuple[Counter, int]:
    """Messages per (recipient, subject), a Message-ID counted once; and how many repeated
    a Message-ID already received (at-least-once SMTP delivery after a kill)."""
    received, seen, resent = Counter(), set(), 0
    for message in messages:
        message_id = message["Message-ID"]
        if message_id is not None:
            if message_id in seen:
                resent += 1
                continue
            seen.add(message_id)
        received[(message["X-Rcpt-To"], message["Subject"])] += 1
    return received, resent


def compare(shared, stored, submits, trail, emails, sent, smtp, backlog) -> dict:
    """What the clients were told against what the database holds and the SMTP server got."""
    codes = {c.replace("-", "") for c in shared.filed}
    acknowledged = Counter((c.replace("-", ""), a) for c, a in shared.acknowledged_actions)
    unknown = {(c.replace("-", ""), a) for c, a in shared.unknown_actions}
    received, resent = distinct_messages(smtp.messages)
    unacknowledged_stored = sum(n for code, n in stored.items() if code not in codes)
    lost = {
        "complaints": sum(1 for code in codes if stored[code] == 0),
        "submit_events": sum(1 for code in stored if submits[code] == 0),
        "actions": sum(1 for key in acknowledged if trail[key] == 0),
        "emails": sum(max(0, n - received[key]) for key, n in sent.items()),
        "deliveries_left": backlog,
    }
    doubled = {
        # With the Idempotency-Key a retried filing gets the complaint made the first time.
        "complaints": sum(max(0, n - 1) for n in stored.values())
        + max(0, unacknowledged_stored - shared.filings_given_up),
        "submit_events": sum(max(0, n - 1) for n in submits.values()),
        "actions": sum(max(0, n - 1) for n in trail.values()),
        # Two rows may legitimately send the same subject to the same address.
        "emails": sum(max(0, n - max(1, sent[key])) for key, n in received.items()),
    }
    return {
        "accepted": len(codes),
        "stored": sum(stored.values()),
        "stored_unacknowledged": unacknowledged_stored,
        "filings_given_up": shared.filings_given_up,
        "every_accepted_stored_once": lost["complaints"] == 0 and doubled["complaints"] == 0,
        "submit_events": sum(submits.values()),
        "acknowledged_actions": dict(shared.acknowledged),
        "actions_in_audit_trail": dict(Counter(action for _code, action in trail.elements())),
        "actions_outcome_unknown": len(unknown),
        "actions_done_unacknowledged": sum(1 for key in trail if key in unknown),
        "actions_not_asked": sum(1 for k in trail if k not in acknowledged and k not in unknown),
        "actions_match": lost["actions"] == 0 and doubled["actions"] == 0,
        "emails": {str(status): count for status, count in emails.items()},
        "emails_sent": sum(sent.values()),
        "emails_received": sum(received.values()),
        # A worker killed after the SMTP server took a message but before its row said so
        # sends it again, with the same Message-ID: the mailbox shows it once.
        "emails_resent_same_message_id": resent,
        "no_email_twice": doubled["emails"] == 0,
        "emails_twice": [
            f"{address}: {subject}"
            for (address, subject), n in received.items()
            if n > max(1, sent[(address, subject)])
        ][:10],
        "deliveries_left": backlog,
        "sweeps": shared.sweeps,
        "sweep_errors": len(shared.sweep_errors),
        "lost": lost,
        "doubled": doubled,
        "lost_total": sum(lost.values()),
        "doubled_total": sum(doubled.values()),
    }


def report(shared: Shared, elapsed: float) -> dict:
    """Per operation: count, throughput, latencies, errors and conflicts (every attempt)."""
    result = {}
    for operation, latencies in sorted(shared.latencies.items()):
        ordered = sorted(latencies)
        result[operation] = {
            "count": len(ordered),
            "per_s": round(len(ordered) / elapsed, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "errors": shared.outcomes[(operation, "error")],
            "conflicts": shared.outcomes[(operation, "conflict")],
        }
    return result


if __name__ == "__main__":
    main()
