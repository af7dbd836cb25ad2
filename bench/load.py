"""The whole system under a mixed load, then a check that nothing was lost or doubled.

    python bench/load.py [--seconds 30] [--clients 16]

Starts gunicorn (2 workers) and one `rq worker` on a scratch PostgreSQL database and Redis
(LAPOR_BENCH_DATABASE_URL as admin connection, default postgresql://postgres@127.0.0.1:5432/
test; Redis database 11 at 127.0.0.1:6379, flushed) with a local SMTP server, and drives it
over loopback with a mix of: filing (the JSON API, half with an email address), tracking,
verifiers disposing triaged complaints and officers answering theirs (the staff API), while
the SLA sweep runs every two seconds. Then it waits for the queues to drain and checks that
every accepted complaint is stored exactly once with its audit trail, every staff action that
was acknowledged is in that trail, no delivery is left to make and every email went out once.
Prints JSON: per operation count, throughput, p50/p99 and errors, and the checks.
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


class Shared:
    """What the clients learn as they go: codes filed, codes waiting per OPD."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.filed: list[str] = []
        self.triage: list[str] = []
        self.routed: dict[str, list[str]] = defaultdict(list)
        self.acknowledged: Counter = Counter()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: Counter = Counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rq-workers", type=int, default=1, help="worker processes")
    args = parser.parse_args()
    with scratch_database("lapor_load") as url:
        print(json.dumps(run(url, args.seconds, args.clients, args.rq_workers), indent=2))


def run(url: str, seconds: float, clients: int, rq_workers: int = 1) -> dict:
    smtp = FakeSmtp().start()
    data_dir = tempfile.mkdtemp(prefix="lapor-load-")
    env = {
        **os.environ,
        "LAPOR_ENV": "production",
        "LAPOR_SECRET_KEY": "load-" + uuid.uuid4().hex,
        "LAPOR_DATABASE_URL": url,
        "LAPOR_REDIS_URL": REDIS_URL,
        "LAPOR_DATA_DIR": data_dir,
        "LAPOR_SMTP_HOST": "127.0.0.1",
        "LAPOR_SMTP_PORT": str(smtp.port),
        "LAPOR_SMTP_SECURITY": "none",
    }
    settings = Settings.from_env(env)
    redis.Redis.from_url(REDIS_URL).flushdb()
    db.migrate(settings.database_url)
    tokens = _staff(settings)
    port = free_port()
    web = start_gunicorn("bench.floor_app:lapor_app()", port, env)
    workers = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "rq"),
                "worker",
                "--url",
                REDIS_URL,
                "--worker-class",
                "workers.worker.LaporWorker",
                "lapor-high",
                "lapor-default",
                "lapor-low",
            ],
            env=env,
            cwd=ROOT,
            stdout=(Path(data_dir) / f"worker-{n}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for n in range(rq_workers)
    ]
    print(f"worker logs: {data_dir}", file=sys.stderr)
    shared = Shared()
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_every, args=(settings, stop, 2.0), daemon=True)
    try:
        sweeper.start()
        started = time.monotonic()
        threads = [
            threading.Thread(target=_client, args=(port, tokens, shared, started + seconds, i))
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stop.set()
        sweeper.join()
        drain_started = time.monotonic()
        drained = _drain(settings, timeout=600)
        drain_seconds = round(time.monotonic() - drain_started, 1)
        checks = _check(settings, shared, smtp)
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
        "operations": _report(shared, elapsed),
        "queues_drained": drained,
        "drain_seconds": drain_seconds,
        "checks": checks,
    }


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


def _client(port: int, tokens: dict, shared: Shared, until: float, seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n = 0
    while time.monotonic() < until:
        n += 1
        operation = rng.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
        request = _request(operation, rng, tokens, shared, f"{seed}-{n}")
        if request is None:
            operation, request = "file", _request("file", rng, tokens, shared, f"{seed}-{n}")
        method, path, body, headers, on_success = request
        started = time.perf_counter()
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status, payload = 0, b""
        elapsed = time.perf_counter() - started
        with shared.lock:
            shared.latencies[operation].append(elapsed)
            outcome = "ok" if 200 <= status < 300 else ("conflict" if status == 409 else "error")
            shared.outcomes[(operation, outcome)] += 1
            if outcome == "ok" and on_success:
                on_success(json.loads(payload))


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

        headers = {**json_headers, "Idempotency-Key": f"load-{unique}"}
        return "POST", "/api/v1/complaints", json.dumps(body), headers, filed
    with shared.lock:
        if operation == "track" and shared.filed:
            code = rng.choice(shared.filed)
            return "GET", f"/api/v1/complaints/{code}", None, {}, None
        if operation == "verify" and shared.triage:
            code = shared.triage.pop(rng.randrange(len(shared.triage)))
            agency = rng.choice(OFFICERS)

            def verified(_answer, code=code, agency=agency):
                shared.routed[agency].append(code)
                shared.acknowledged["verify"] += 1

            body = json.dumps({"action": "verify", "agency": agency})
            headers = {**json_headers, "Authorization": f"Bearer {tokens['verifier']}"}
            return "POST", f"/api/v1/staff/complaints/{code}/actions", body, headers, verified
        if operation == "respond":
            agencies = [a for a in OFFICERS if shared.routed[a]]
            if agencies:
                agency = rng.choice(agencies)
                code = shared.routed[agency].pop()

                def answered(_answer):
                    shared.acknowledged["respond"] += 1

                body = json.dumps({"action": "respond", "note": "Sedang kami tangani."})
                headers = {**json_headers, "Authorization": f"Bearer {tokens[agency]}"}
                return "POST", f"/api/v1/staff/complaints/{code}/actions", body, headers, answered
    return None


def _sweep_every(settings: Settings, stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        sla.sweep(settings, datetime.now(UTC))


def _drain(settings: Settings, timeout: float) -> bool:
    """Wait until every delivery is made and the queues are empty."""
    from rq import Queue

    connection = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sla.sweep(settings, datetime.now(UTC) + delivery.GRACE)  # enqueue any leftover
        with db.session_scope(settings) as session:
            backlog = deliveries.backlog(session)
        queued = sum(Queue(q, connection=connection).count for q in ("lapor-high",))
        started = Queue("lapor-high", connection=connection).started_job_registry.count
        if backlog == 0 and queued == 0 and started == 0:
            return True
        time.sleep(1)
    return False


def _check(settings: Settings, shared: Shared, smtp: FakeSmtp) -> dict:
    with db.session_scope(settings) as session:
        codes = [c.replace("-", "") for c in shared.filed]
        stored = session.exec(
            sa.select(Complaint.tracking_code, sa.func.count()).group_by(Complaint.tracking_code)
        ).all()
        counts = dict(stored)
        total = session.execute(sa.select(sa.func.count()).select_from(Complaint)).scalar_one()
        submits = session.execute(
            sa.select(sa.func.count())
            .select_from(ComplaintEvent)
            .where(ComplaintEvent.action == "submit")
        ).scalar_one()
        actions = dict(
            session.exec(
                sa.select(ComplaintEvent.action, sa.func.count())
                .where(ComplaintEvent.action.in_(["verify", "respond"]))
                .group_by(ComplaintEvent.action)
            ).all()
        )
        emails = session.exec(
            sa.select(Notification.status, sa.func.count())
            .where(Notification.channel == "email")
            .group_by(Notification.status)
        ).all()
        backlog = deliveries.backlog(session)
    emails = {str(status): count for status, count in emails}
    # A reporter gets one email per status change: the same subject twice is a double.
    received = Counter((m["X-Rcpt-To"], m["Subject"]) for m in smtp.messages)
    return {
        "accepted": len(codes),
        "stored": total,
        "every_accepted_stored_once": all(counts.get(code) == 1 for code in codes)
        and total == len(codes),
        "submit_events": submits,
        "acknowledged_actions": dict(shared.acknowledged),
        "actions_in_audit_trail": actions,
        "actions_match": all(actions.get(k, 0) == v for k, v in shared.acknowledged.items()),
        "emails": emails,
        "emails_received": sum(received.values()),
        "no_email_twice": all(n == 1 for n in received.values()),
        "deliveries_left": backlog,
    }


def _report(shared: Shared, elapsed: float) -> dict:
    report = {}
    for operation, latencies in sorted(shared.latencies.items()):
        ordered = sorted(latencies)
        report[operation] = {
            "count": len(ordered),
            "per_s": round(len(ordered) / elapsed, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "errors": shared.outcomes[(operation, "error")],
            "conflicts": shared.outcomes[(operation, "conflict")],
        }
    return report


if __name__ == "__main__":
    main()
