"""Chaos under load: bench/load.py's mixed load while servers restart and processes die,
then bench/load.py's checks: nothing lost, nothing doubled.

    python bench/chaos.py [--minutes 4] [--clients 8] [--rounds 1] [--down-seconds 3]

Starts its own PostgreSQL 15 (initdb in a temporary directory, run as the postgres user, on
a free port) and its own redis-server (no RDB, no AOF: a restart comes back empty), a local
SMTP server, gunicorn as the Procfile runs it (2 gthread workers) and one `rq worker` kept
alive as systemd's Restart=always would (started again 1 s after it exits). For `--minutes`
it drives the load of bench/load.py (filing with an Idempotency-Key, sent again until
answered; tracking; verifying; answering; the SLA sweep every 2 s) and, spaced evenly, in
each round: stops PostgreSQL (`pg_ctl stop -m fast`) for `--down-seconds` and starts it
again; shuts Redis down (SHUTDOWN NOSAVE) for `--down-seconds` and starts it again, empty,
while a job runs if one does; SIGKILLs one gunicorn worker (the master forks a new one); and
SIGKILLs the RQ worker with its work-horse, a job in flight if one comes within 10 s.

Then it waits for the queues to drain and runs bench/load.py's checks complaint by complaint:
every acknowledged complaint stored once with one submit event, every acknowledged staff
action in the audit trail once, every email sent once, no delivery left. It prints the load
held, each fault with its window (from the fault until the part is back and /healthz answers
200, plus `--tail` seconds), requests and errors during and outside the windows, every process
exit the bench did not cause (with the end of its log), the exceptions in the logs, and lost
and doubled counts; then the whole as JSON. Exit status 0 when nothing was lost or doubled.

`--database-url` with `--restart-postgres CMD`, and `--redis-url` with `--restart-redis CMD`,
point it at servers an operator allows it to restart (CMD run by the shell; the URL's database
is used as the admin connection, a scratch database is made on it and dropped). Never point
it at a server others use: it restarts it, and the Redis database is flushed.

Measured 3 December 2026 on this 2-core machine (a test run sharing it), PostgreSQL 15,
Redis 7, `--minutes 3`, otherwise the defaults (8 clients, --down-seconds 3, --tail 3):

    load: 8 clients, 180.1 s, 21415 requests, 118.9 requests/s
      restart PostgreSQL        at +36 s, back after 3.3 s, healthy after 3.4 s: 313 requests,
                                67 errors, all 503 (21.4 %)
      restart Redis             at +72 s (job notify-341 in flight), back after 3.0 s:
                                936 requests, 0 errors; the RQ worker stayed up
      SIGKILL a gunicorn worker at +108 s, a new one 0.1 s later: 270 requests, 4 errors
                                (connection reset, no answer) = 1.5 %
      SIGKILL the RQ worker     at +144 s (job notify-591 in flight), a new one 4.3 s later:
                                1035 requests, 0 errors
    during faults: 2554 requests (111.3/s), 71 errors (2.78 %)
    outside faults: 18861 requests (120.0/s), 0 errors
    drained in 992.8 s; accepted 10704, stored 10704 (each once, one submit event each);
    staff actions acknowledged verify 3190 / respond 2093, in the trail 3191 / 2094 (one
    of each whose answer was lost in a fault: done once, allowed); emails sent 7858, received
    7858, plus one resent with the same Message-ID (the SIGKILLed work-horse's: accepted by
    the SMTP server before the row was marked sent; the same message, not a second one)
    lost 0, doubled 0

An earlier run (2 December, 4 minutes, before a request's session was invalidated on a dead
connection and before one Message-ID per notification) had one 500 during the PostgreSQL
restart (session.close() in the teardown on a connection PostgreSQL had terminated) and
counted the resent email as doubled.

Before issue 22's changes (HEAD of 2 December, 2 minutes): the Redis restart made the RQ
worker quit ("found an unhandled exception, quitting...": redis ConnectionError from
rq/worker/worker_classes.py monitor_work_horse), and bench/load.py's sweep thread died on the
PostgreSQL restart (it now skips that round, as cron would).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: the load and its checks)
from intake import free_port  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from lapor.infra import db  # noqa: E402
from lapor.infra.jobs import QUEUES  # noqa: E402
from lapor.infra.settings import Settings  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RESTART_SECONDS = 1.0  # systemd's RestartSec for the RQ worker and the web master
RECOVERY_TIMEOUT = 90.0  # a part not back by then is reported as not recovered
HORSE_WAIT = 10.0  # how long a kill waits for a job to be in flight
EXCEPTION_LINE = re.compile(r"^([\w.]+(?:Error|Exception|Exit|Interrupt|Timeout)\b.*)$")


# --- the servers -----------------------------------------------------------------------------


class OwnPostgres:
    """A PostgreSQL cluster in a temporary directory, run as the postgres user."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lapor-chaos-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(
            PG_BIN / "initdb", "-D", self.dir / "data", "-A", "trust", "-U", "postgres"
        )

    def _as_postgres(self, *command) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def _pg_ctl(self, *args: str) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-w", *args)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", options, "-l", str(self.dir / "server.log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self, down: float) -> None:
        self.stop()
        time.sleep(down)
        self.start()

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnRedis:
    """A redis-server that keeps nothing on disk: after a restart it is empty."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lapor-chaos-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with (self.dir / "server.log").open("a") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
                + ["--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stopped last, by the bench, not by the Ctrl-C
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        once = redis.Redis(port=self.port, retry=Retry(NoBackoff(), 0))  # it will not answer
        with contextlib.suppress(redis.ConnectionError):
            once.shutdown(nosave=True)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self, down: float) -> None:
        self.stop()
        time.sleep(down)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class OperatorServer:
    """A server the operator named, restarted by the command they gave."""

    def __init__(self, url: str, restart_command: str) -> None:
        self.url = self.admin_url = url
        self.command = restart_command

    def start(self) -> None:
        """Already running."""

    def restart(self, down: float) -> None:
        subprocess.run(self.command, shell=True, check=True)  # noqa: S602 (the operator's)

    def close(self) -> None:
        """Not ours to stop."""


# --- the processes ---------------------------------------------------------------------------


def web_command(port: int) -> list[str]:
    """gunicorn as the Procfile runs it, with the bench's app (no per-address limits)."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        "python:lapor.web.gunicorn_config",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--log-level",
        "warning",
        load.WEB_APP,
    ]


@dataclass
class Exit:
    """A process that ended: when (monotonic), its code, and whether the bench killed it."""

    name: str
    at: float
    returncode: int
    killed_by_bench: bool
    log_tail: list[str] = field(default_factory=list)


class Kept:
    """One process kept running as systemd's Restart=always would: started again after exit."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen], log: Path) -> None:
        self.name, self.start, self.log = name, start, log
        self.process = start()
        self.exits: list[Exit] = []
        self.expect_exit = False
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._keep, name=f"keep-{name}", daemon=True)
        self.thread.start()

    def _keep(self) -> None:
        while not self.stopping.wait(0.2):
            with self.lock:
                code = self.process.poll()
                if code is None:
                    continue
                self.exits.append(
                    Exit(self.name, time.monotonic(), code, self.expect_exit, _tail(self.log))
                )
                self.expect_exit = False
            if self.stopping.wait(RESTART_SECONDS):
                return
            with self.lock:
                self.process = self.start()

    def kill(self) -> list[int]:
        """SIGKILL the process and its children (its control group, as systemd would)."""
        with self.lock:
            self.expect_exit = True
            return _kill_tree(self.process.pid)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        with self.lock:
            children = _children(self.process.pid)
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _kill_tree(pid: int) -> list[int]:
    victims = [pid] + [child.pid for child in _children(pid)]
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    return victims


def _tail(log: Path, lines: int = 25) -> list[str]:
    try:
        return log.read_text(errors="replace").splitlines()[-lines:]
    except FileNotFoundError:
        return []


def exceptions_in(log: Path) -> dict[str, int]:
    """The exception lines of a log (tracebacks' last lines), counted."""
    found: Counter = Counter()
    with contextlib.suppress(FileNotFoundError):
        for line in log.read_text(errors="replace").splitlines():
            match = EXCEPTION_LINE.match(line.strip())
            if match:
                found[match.group(1)[:200]] += 1
    return dict(found.most_common(15))


# --- the faults ------------------------------------------------------------------------------


@dataclass
class Fault:
    """One fault: when it was made, when the part was back, when /healthz answered 200."""

    name: str
    injected: float
    restored: float = 0.0
    healthy: float = 0.0
    detail: dict = field(default_factory=dict)

    def window(self, tail: float) -> tuple[float, float]:
        """From the fault until the part is back and healthy, plus `tail` seconds."""
        return self.injected, max(self.restored, self.healthy, self.injected) + tail


@dataclass
class Stage:
    """What the faults act on."""

    postgres: OwnPostgres | OperatorServer
    redis: OwnRedis | OperatorServer
    web: Kept
    worker: Kept
    port: int
    redis_url: str
    down: float


def restart_postgres(stage: Stage) -> Fault:
    fault = Fault("restart PostgreSQL", time.monotonic(), detail={"down_s": stage.down})
    stage.postgres.restart(stage.down)
    fault.restored = time.monotonic()
    return fault


def restart_redis(stage: Stage) -> Fault:
    job = _job_in_flight(stage, wait=5.0)
    fault = Fault("restart Redis", time.monotonic(), detail={"down_s": stage.down, "job": job})
    stage.redis.restart(stage.down)
    fault.restored = time.monotonic()
    return fault


def kill_web_worker(stage: Stage) -> Fault:
    master = stage.web.process.pid
    workers = psutil.Process(master).children()
    victim = workers[0].pid
    fault = Fault("SIGKILL a gunicorn worker", time.monotonic(), detail={"pid": victim})
    os.kill(victim, signal.SIGKILL)
    fault.restored = _wait_for(lambda: _web_workers_back(master, victim, len(workers)))
    return fault


def kill_rq_worker(stage: Stage) -> Fault:
    job = _job_in_flight(stage, wait=HORSE_WAIT)
    old = stage.worker.process.pid
    fault = Fault("SIGKILL the RQ worker", time.monotonic(), detail={"job": job})
    fault.detail["pids"] = stage.worker.kill()
    fault.restored = _wait_for(lambda: _worker_registered(stage, old))
    return fault


FAULTS = (restart_postgres, restart_redis, kill_web_worker, kill_rq_worker)


def _job_in_flight(stage: Stage, wait: float) -> str | None:
    """Wait up to `wait` s for the RQ worker to run a job (a work-horse); the job's id."""
    from rq import Queue

    connection = redis.Redis.from_url(stage.redis_url)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if _children(stage.worker.process.pid):
            with contextlib.suppress(redis.RedisError):
                for name in QUEUES:
                    registry = Queue(name, connection=connection).started_job_registry
                    running = registry.get_job_ids(cleanup=False)
                    if running:
                        return running[0]
        time.sleep(0.02)
    return None


def _web_workers_back(master: int, victim: int, count: int) -> bool:
    alive = 0
    for child in _children(master):
        with contextlib.suppress(psutil.NoSuchProcess):
            alive += child.pid != victim and child.status() != psutil.STATUS_ZOMBIE
    return alive >= count


def _worker_registered(stage: Stage, old_pid: int) -> bool:
    from rq import Worker

    pid = stage.worker.process.pid
    if pid == old_pid:
        return False
    with contextlib.suppress(redis.RedisError):
        return any(
            w.pid == pid for w in Worker.all(connection=redis.Redis.from_url(stage.redis_url))
        )
    return False


def _wait_for(condition: Callable[[], bool], timeout: float = RECOVERY_TIMEOUT) -> float:
    """The time `condition` first held (0.0 if it did not within `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.1)
    return 0.0


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def inject(stage: Stage, schedule: list[tuple[float, Callable]], halt: threading.Event, faults):
    """Make each fault at its time (monotonic), one after the other."""
    for at, make in schedule:
        if halt.wait(max(0.0, at - time.monotonic())):
            return
        try:
            fault = make(stage)
        except (
            OSError,
            RuntimeError,
            subprocess.CalledProcessError,
            psutil.Error,
            IndexError,
        ) as error:
            fault = Fault(make.__name__, time.monotonic(), detail={"failed": repr(error)})
        fault.healthy = _wait_for(lambda: _healthy(stage.port))
        faults.append(fault)


def schedule_for(started: float, seconds: float, rounds: int) -> list[tuple[float, Callable]]:
    """Every fault `rounds` times, evenly spaced, none in the first or last stretch."""
    makes = list(FAULTS) * rounds
    step = seconds / (len(makes) + 1)
    return [(started + step * (n + 1), make) for n, make in enumerate(makes)]


# --- the accounting --------------------------------------------------------------------------


def tally(attempts: list, faults: list[Fault], started: float, seconds: float, tail: float):
    """Requests and errors in each fault's window and outside them all."""
    windows = [fault.window(tail) for fault in faults]

    def inside(attempt, window) -> bool:
        return attempt.started < window[1] and attempt.ended > window[0]

    per_fault = []
    for fault, window in zip(faults, windows, strict=True):
        hit = [a for a in attempts if inside(a, window)]
        failed = [a for a in hit if a.failed]
        per_fault.append(
            {
                "fault": fault.name,
                "at_s": round(fault.injected - started, 1),
                "window_s": [round(window[0] - started, 1), round(window[1] - started, 1)],
                "back_after_s": _after(fault.restored, fault.injected),
                "healthy_after_s": _after(fault.healthy, fault.injected),
                **fault.detail,
                **_counts(hit, failed, window[1] - window[0]),
                "errors_until_s": round(max(a.ended for a in failed) - fault.injected, 1)
                if failed
                else None,
                "error_statuses": dict(Counter(a.status for a in failed)),
            }
        )
    outside = [a for a in attempts if not any(inside(a, w) for w in windows)]
    covered = sum(min(w[1], started + seconds) - w[0] for w in windows)
    failed_outside = [a for a in outside if a.failed]
    during = [a for a in attempts if any(inside(a, w) for w in windows)]
    return {
        "faults": per_fault,
        "during_faults": _counts(during, [a for a in during if a.failed], covered),
        "outside_faults": {
            **_counts(outside, failed_outside, seconds - covered),
            "error_statuses": dict(Counter(a.status for a in failed_outside)),
        },
    }


def _after(moment: float, injected: float) -> float | None:
    return round(moment - injected, 1) if moment else None


def _counts(hit: list, failed: list, seconds: float) -> dict:
    return {
        "requests": len(hit),
        "errors": len(failed),
        "error_rate": round(len(failed) / len(hit), 4) if hit else 0.0,
        "per_s": round(len(hit) / seconds, 1) if seconds > 0 else 0.0,
    }


# --- the run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(args) -> Iterator[tuple]:
    """PostgreSQL and Redis for the run: our own unless the operator named theirs."""
    with contextlib.ExitStack() as stack:
        if args.database_url:
            postgres = OperatorServer(args.database_url, args.restart_postgres)
        else:
            postgres = OwnPostgres()
            stack.callback(postgres.close)
            postgres.start()
        if args.redis_url:
            own_redis = OperatorServer(args.redis_url, args.restart_redis)
        else:
            own_redis = OwnRedis()
            stack.callback(own_redis.close)
            own_redis.start()
        yield postgres, own_redis


def run(args, postgres, own_redis, url: str, work: Path) -> dict:
    """The load with the faults, the drain and the checks."""
    smtp = load.FakeSmtp().start()
    env = load.environment(url, own_redis.url, smtp.port, str(work))
    env["PYTHONUNBUFFERED"] = "1"
    settings = Settings.from_env(env)
    tokens = load.prepare(settings, own_redis.url)
    port = free_port()
    logs = {"web": work / "web.log", "worker": work / "worker.log"}
    shared = load.Shared()
    halt = threading.Event()
    web = worker = None
    helpers: list[subprocess.Popen] = []
    try:
        web = Kept("web", lambda: _start_web(port, env, logs["web"]), logs["web"])
        if not _wait_for(lambda: _healthy(port), 60):
            raise RuntimeError(f"gunicorn did not start: {_tail(logs['web'])}")
        worker = Kept(
            "worker", lambda: load.start_worker(own_redis.url, env, logs["worker"]), logs["worker"]
        )
        stage = Stage(postgres, own_redis, web, worker, port, own_redis.url, args.down_seconds)
        seconds = args.minutes * 60
        faults: list[Fault] = []
        started = time.monotonic()
        injector = threading.Thread(
            target=inject,
            args=(stage, schedule_for(started, seconds, args.rounds), halt, faults),
            daemon=True,
        )
        injector.start()
        elapsed = load.drive(settings, port, tokens, shared, seconds, args.clients)
        injector.join()
        result = under_load(args, shared, faults, started, elapsed, [web, worker], logs)
        # Printed now: the drain can take long, and these figures are known already.
        print(summary(result), file=sys.stderr, flush=True)
        drain_started = time.monotonic()
        # More workers only to empty the backlog sooner: the faults are over.
        helpers.extend(
            load.start_worker(own_redis.url, env, work / f"drain-{n}.log")
            for n in range(args.drain_workers)
        )
        result["queues_drained"] = load.drain(settings, own_redis.url, args.drain_timeout)
        result["drain_seconds"] = round(time.monotonic() - drain_started, 1)
        result["checks"] = load.check(settings, shared, smtp)
        result["exceptions_logged"] = {name: exceptions_in(log) for name, log in logs.items()}
        return result
    finally:
        halt.set()
        shared.halt.set()
        for kept in (web, worker):
            if kept is not None:
                kept.stop()
        for helper in helpers:
            helper.terminate()
            helper.wait(timeout=30)
        smtp.stop()


def under_load(args, shared, faults, started: float, elapsed: float, kept, logs) -> dict:
    """The figures of the load phase: throughput, the faults' windows, exits, sweep errors."""
    attempts = sorted(shared.attempts, key=lambda a: a.started)
    exits = [e for process in kept for e in process.exits]
    return {
        "minutes": args.minutes,
        "clients": args.clients,
        "load": {
            "seconds": round(elapsed, 1),
            "requests": len(attempts),
            "per_s": round(len(attempts) / elapsed, 1),
            "operations": load.report(shared, elapsed),
        },
        **tally(attempts, faults, started, elapsed, args.tail),
        "tail_s": args.tail,
        "unexpected_exits": [
            {
                "process": e.name,
                "at_s": round(e.at - started, 1),
                "returncode": e.returncode,
                "log_tail": e.log_tail,
            }
            for e in exits
            if not e.killed_by_bench
        ],
        "exits_caused": sum(1 for e in exits if e.killed_by_bench),
        "sweep_errors": [
            {"at_s": round(at - started, 1), "error": error[:300]}
            for at, error in shared.sweep_errors
        ],
        "exceptions_logged": {name: exceptions_in(log) for name, log in logs.items()},
    }


def _start_web(port: int, env: dict, log: Path) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen(
            web_command(port),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C reaches the bench, which stops it in order
        )


def summary(result: dict) -> str:
    """The figures in a few lines."""
    lines = [
        f"load: {result['clients']} clients, {result['load']['seconds']} s, "
        f"{result['load']['requests']} requests, {result['load']['per_s']} requests/s",
    ]
    for fault in result["faults"]:
        lines.append(
            f"  {fault['fault']:<27} at +{fault['at_s']} s, window {fault['window_s']} s, "
            f"back after {fault['back_after_s']} s, healthy after {fault['healthy_after_s']} s: "
            f"{fault['requests']} requests, {fault['errors']} errors "
            f"({fault['error_rate']:.1%}) {fault['error_statuses']}"
            + (f", job in flight {fault['job']}" if fault.get("job") else "")
            + (f", FAILED {fault['failed']}" if fault.get("failed") else "")
        )
    for label in ("during_faults", "outside_faults"):
        part = result[label]
        lines.append(
            f"{label.replace('_', ' ')}: {part['requests']} requests ({part['per_s']}/s), "
            f"{part['errors']} errors ({part['error_rate']:.2%})"
        )
    for gone in result["unexpected_exits"]:
        lines.append(
            f"UNEXPECTED EXIT: {gone['process']} at +{gone['at_s']} s, code {gone['returncode']}"
        )
    if "checks" not in result:
        return "\n".join(lines)
    checks = result["checks"]
    lines.append(
        f"drained: {result['queues_drained']} in {result['drain_seconds']} s; accepted "
        f"{checks['accepted']}, stored {checks['stored']}, actions acknowledged "
        f"{checks['acknowledged_actions']}, in trail {checks['actions_in_audit_trail']}, "
        f"emails sent {checks['emails_sent']} received {checks['emails_received']} "
        f"(+{checks['emails_resent_same_message_id']} resent with the same Message-ID)"
    )
    lines.append(f"lost {checks['lost_total']} {checks['lost']}")
    lines.append(f"doubled {checks['doubled_total']} {checks['doubled']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="times each fault is made")
    parser.add_argument("--down-seconds", type=float, default=3.0)
    parser.add_argument("--tail", type=float, default=3.0, help="seconds added to each window")
    parser.add_argument("--drain-timeout", type=float, default=1800)
    parser.add_argument(
        "--drain-workers", type=int, default=2, help="RQ workers added after the load"
    )
    parser.add_argument("--database-url", help="an operator's PostgreSQL (admin connection)")
    parser.add_argument("--restart-postgres", help="shell command restarting that server")
    parser.add_argument("--redis-url", help="an operator's Redis (its database is flushed)")
    parser.add_argument("--restart-redis", help="shell command restarting that server")
    parser.add_argument("--keep-logs", type=Path, help="copy the processes' logs here")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    for url, command in (
        (args.database_url, args.restart_postgres),
        (args.redis_url, args.restart_redis),
    ):
        if bool(url) != bool(command):
            parser.error("--database-url/--redis-url need --restart-postgres/--restart-redis")
    signal.signal(signal.SIGTERM, _interrupt)
    work = Path(tempfile.mkdtemp(prefix="lapor-chaos-"))
    try:
        with servers(args) as (postgres, own_redis):
            with scratch_database("lapor_chaos", admin_url=postgres.admin_url) as url:
                result = run(args, postgres, own_redis, url, work)
                text = json.dumps(result, indent=2)
                if args.json:
                    args.json.write_text(text)
                print(text)
                print(summary(result), flush=True)
                db.dispose_all()
    finally:
        if args.keep_logs:
            shutil.copytree(work, args.keep_logs, dirs_exist_ok=True, ignore=_only_logs)
        shutil.rmtree(work, ignore_errors=True)
    checks = result["checks"]
    return 0 if checks["lost_total"] == 0 and checks["doubled_total"] == 0 else 1


def _only_logs(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if not n.endswith(".log")]


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does


if __name__ == "__main__":
    sys.exit(main())
