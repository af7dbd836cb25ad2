"""Intake throughput: POST /api/v1/complaints on gunicorn (2 workers) at 32 concurrent clients,
beside a floor measured in the same run: a bare Flask view that inserts one row and pushes one
Redis list item, served the same way.

    python bench/intake.py [--seconds 20] [--clients 32] [--rounds 5]

Uses LAPOR_DATABASE_URL / LAPOR_REDIS_URL when set (PostgreSQL and Redis: both apps write to
a scratch database made on that server and dropped afterwards), otherwise the embedded default
(SQLite + embedded Redis) in a temporary data directory. The routing model
is the data directory's (trained first if missing). Prints JSON; figures are medians of rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP_SECONDS = 3
TEXTS = [
    "Lampu PJU mati di Jl. Tjilik Riwut km {n}, gelap sekali pada malam hari",
    "Jalan berlubang besar di depan pasar nomor {n}, membahayakan pengendara",
    "Sampah menumpuk di TPS RT {n} sudah seminggu tidak diangkut",
    "Bantuan sosial PKH untuk lansia di RT {n} belum cair tiga bulan",
    "Pelayanan KTP elektronik di kantor kecamatan lambat, antrean nomor {n}",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(app: str, port: int, env: dict, threads: int = 1) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--threads",
            str(threads),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")


class Refused(Exception):
    """The server answered something other than a success, or closed mid-answer."""


async def read_response(reader: asyncio.StreamReader) -> bool:
    """Read one HTTP/1.1 response; whether the server will keep the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, keep_alive = 0, not head.startswith(b"HTTP/1.0")
    for line in head.lower().split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep_alive = value.strip() == b"keep-alive"
    await reader.readexactly(length)
    if status not in (200, 201):
        raise Refused(status)
    return keep_alive


async def post_until(port: int, path: str, stop_at: float, first: int, latencies: list) -> int:
    """One client: post distinct complaints back to back until stop_at; the failures."""
    connection, failed, n = None, 0, 0
    while time.monotonic() < stop_at:
        n += 1
        body = json.dumps({"text": TEXTS[n % len(TEXTS)].format(n=first + n)}).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        started = time.perf_counter()  # a new connection's setup counts, as a browser's would
        try:
            if connection is None:
                connection = await asyncio.open_connection("127.0.0.1", port)
            connection[1].write(request)
            keep_alive = await read_response(connection[0])
        except (OSError, ValueError, asyncio.IncompleteReadError, Refused):
            failed, keep_alive = failed + 1, False
        else:
            latencies.append(time.perf_counter() - started)
        if not keep_alive and connection is not None:
            connection[1].close()
            connection = None
    if connection is not None:
        connection[1].close()
    return failed


def client_worker(port: int, path: str, seconds: float, clients: int, offset: int, out) -> None:
    """One process of load: `clients` connections on one asyncio loop.

    A lean client on purpose: the load generator shares the machine's cores with the server, so
    every microsecond it spends parsing is taken from what is measured. (http.client in threads
    cost more CPU and added the GIL's 5 ms switch interval to the latencies it measured.)
    """

    async def run() -> tuple[list[float], int]:
        latencies: list[float] = []
        stop_at = time.monotonic() + seconds
        failures = await asyncio.gather(
            *(
                post_until(port, path, stop_at, offset + i * 10**6, latencies)
                for i in range(clients)
            )
        )
        return latencies, sum(failures)

    out.put(asyncio.run(run()))


def load(port: int, path: str, seconds: float, clients: int) -> dict:
    """`clients` concurrent connections, spread over two client processes."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    per_process = [clients // 2, clients - clients // 2]
    processes = [
        multiprocessing.Process(
            target=client_worker, args=(port, path, seconds, n, i * 10**8, queue)
        )
        for i, n in enumerate(per_process)
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    if not latencies:
        return {"requests_per_s": 0.0, "p50_ms": None, "p99_ms": None, "errors": errors}
    return {
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "errors": errors,
    }


def median_of(rounds: list[dict]) -> dict:
    keys = ("requests_per_s", "p50_ms", "p99_ms")
    result = {k: statistics.median(r[k] for r in rounds if r[k] is not None) for k in keys}
    result["errors"] = sum(r["errors"] for r in rounds)
    result["rounds"] = rounds
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    env = {**os.environ, "LAPOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env.setdefault("LAPOR_SECRET_KEY", "bench")
    lapor = str(Path(sys.executable).parent / "lapor")
    server = None
    databases = contextlib.ExitStack()
    if env.get("LAPOR_DATABASE_URL", "").startswith("postgresql"):
        # A fresh database each run: tables grown by earlier runs would slow the later ones.
        from scratch import scratch_database

        env["LAPOR_DATABASE_URL"] = databases.enter_context(
            scratch_database("lapor_intake", admin_url=env["LAPOR_DATABASE_URL"])
        )
    if not env.get("LAPOR_REDIS_URL"):
        from lapor.infra.embedded_redis import EmbeddedRedis

        server = EmbeddedRedis(data_dir).start()
        env["LAPOR_REDIS_URL"] = server.url
    processes = []
    try:
        subprocess.run([lapor, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        models = Path(os.environ.get("LAPOR_BENCH_MODELS", ROOT / "instance" / "models"))
        if (models / "current.json").exists():
            shutil.copytree(models, data_dir / "models")
        else:
            subprocess.run([lapor, "model", "train"], env=env, check=True)
        lapor_port, floor_port = free_port(), free_port()
        processes.append(
            start_gunicorn("bench.floor_app:floor_app()", floor_port, env, args.threads)
        )
        processes.append(
            start_gunicorn("bench.floor_app:lapor_app()", lapor_port, env, args.threads)
        )
        # Each worker loads what it uses on its first requests (the routing model, the
        # holiday calendar): a short unmeasured load first, as a running server would have had.
        load(floor_port, "/floor", WARM_UP_SECONDS, args.clients)
        load(lapor_port, "/api/v1/complaints", WARM_UP_SECONDS, args.clients)
        results = {"floor": [], "lapor": []}
        for _ in range(args.rounds):
            results["floor"].append(load(floor_port, "/floor", args.seconds, args.clients))
            results["lapor"].append(
                load(lapor_port, "/api/v1/complaints", args.seconds, args.clients)
            )
        floor, lapor_result = median_of(results["floor"]), median_of(results["lapor"])
        # The machine's speed drifts between rounds: each Lapor round is compared with the
        # floor round just before it too, and the median of those shares reported.
        shares = [
            round(mine["requests_per_s"] / theirs["requests_per_s"], 3)
            for mine, theirs in zip(results["lapor"], results["floor"], strict=True)
        ]
        print(
            json.dumps(
                {
                    "database": "postgresql"
                    if "postgres" in env.get("LAPOR_DATABASE_URL", "")
                    else "sqlite",
                    "clients": args.clients,
                    "threads_per_worker": args.threads,
                    "seconds_per_round": args.seconds,
                    "floor": floor,
                    "lapor": lapor_result,
                    "lapor_share_of_floor": round(
                        lapor_result["requests_per_s"] / floor["requests_per_s"], 3
                    ),
                    "lapor_share_by_round": shares,
                    "lapor_share_median_of_rounds": statistics.median(shares),
                },
                indent=2,
            )
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        databases.close()
        if server is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
