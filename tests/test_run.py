"""`lapor run` as a new user starts it: the whole system comes up, a process that dies is
started again while the rest keeps answering, and Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lapor.infra import embedded_redis

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _read_until(process: subprocess.Popen, output: list[str], pattern: str, timeout: float):
    """Read the process's output until a line matches; the match."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"no {pattern!r} in:\n" + "".join(output))


def _healthy(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.load(response)


@pytest.mark.slow
def test_lapor_run_starts_everything_and_ctrl_c_stops_everything(tmp_path, trained_models):
    port = _free_port()
    data_dir = tmp_path / "instance"
    # A model is there already: training the default one takes a minute (tested elsewhere).
    shutil.copytree(trained_models, data_dir / "models")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LAPOR_") and k != "TELEGRAM_BOT_TOKEN"
    }
    env["LAPOR_DATA_DIR"] = str(data_dir)
    lapor = Path(sys.executable).parent / "lapor"
    process = subprocess.Popen(
        [str(lapor), "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        _read_until(process, output, "Lapor siap", timeout=90)
        health = _healthy(port)
        assert health["status"] == "ok"
        assert health["database"]["backend"] == "sqlite"
        assert health["redis"]["backend"] == "embedded"
        assert embedded_redis.is_running(data_dir)

        # The worker dies (the OOM killer, a crash): it is started again, the rest answers.
        [worker] = re.findall(r"worker berjalan \(pid=(\d+)\)", "".join(output))
        os.killpg(int(worker), signal.SIGKILL)
        _read_until(process, output, r"worker berhenti tanpa diminta", timeout=10)
        assert _healthy(port)["status"] == "ok"
        _read_until(process, output, r"worker berjalan \(pid=\d+, jalan ke-2\)", timeout=10)
        # In its work loop (its signal handlers installed): it cleans RQ's registries first.
        _read_until(process, output, r"worker +\| .*cleaning registries", timeout=30)
        assert not _alive(int(worker))
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
        rest, _ = process.communicate(timeout=60)
        output.append(rest)
    text = "".join(output)
    assert process.returncode is not None
    pids = [int(p) for p in re.findall(r"berjalan \(pid=(\d+)", text)]
    assert {name for name in re.findall(r"(\w+) berjalan \(pid=", text)} == {
        "web",
        "worker",
        "cron",
    }
    # Each program shut down in its own way before Redis went: gunicorn's master last of the
    # web, the RQ worker's warm shutdown.
    assert "Shutting down: Master" in text
    assert "warm shut down requested" in text
    assert text.index("Shutting down: Master") < text.index("Redis tertanam dihentikan")
    time.sleep(0.5)
    assert [pid for pid in pids if _alive(pid)] == [], text
    assert not embedded_redis.is_running(data_dir)
    assert "Redis tertanam dihentikan" in text
