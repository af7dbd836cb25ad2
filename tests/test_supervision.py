"""The supervisor of `lapor run` (issue 22): a process that exits on its own is started again
with a growing pause while the others keep running; Ctrl-C and SIGTERM stop everything
within the grace period, a second Ctrl-C at once."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from lapor.cli.supervisor import AFTER_KILL_SECONDS, Backoff, Supervisor

ROOT = Path(__file__).resolve().parent.parent
STEADY = "while true; do echo detak; sleep 0.2; done"
# Ignores SIGTERM, as a process stuck in a long job would: only SIGKILL ends it.
STUBBORN = "trap '' TERM; echo keras; while true; do sleep 0.1; done"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # a zombie still answers kill(0)
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_pause_doubles_up_to_the_longest_and_starts_over_after_a_steady_run():
    backoff = Backoff(first=1, longest=30, steady_after=60)
    pauses, pause = [], None
    for _ in range(7):
        pause = backoff.next_pause(pause, ran_for=2)
        pauses.append(pause)
    assert pauses == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.next_pause(30, ran_for=61) == 1


def test_a_process_that_exits_is_started_again_and_the_others_keep_running(tmp_path):
    output = io.StringIO()
    supervisor = Supervisor(
        {"flaky": "echo hai; exit 3", "steady": STEADY},
        env=dict(os.environ),
        cwd=str(tmp_path),
        output=output,
        backoff=Backoff(first=0.2, longest=0.8),
        grace=5,
    )
    codes: list[int] = []
    runner = threading.Thread(target=lambda: codes.append(supervisor.run()))
    runner.start()
    try:
        _wait_for(lambda: supervisor.children["flaky"].runs >= 5)
        steady = supervisor.children["steady"]
        assert steady.runs == 1 and steady.running and _alive(steady.pid)
    finally:
        supervisor.request_stop()
        runner.join(timeout=10)
    assert not runner.is_alive() and codes == [143]  # as for SIGTERM
    text = output.getvalue()
    pauses = re.findall(r"flaky berhenti tanpa diminta \(kode keluar 3.*dalam ([\d.]+) detik", text)
    assert pauses[:4] == ["0.2", "0.4", "0.8", "0.8"], text
    assert "flaky  | hai" in text and "steady | detak" in text
    assert re.search(r"flaky berjalan \(pid=\d+, jalan ke-2\)", text)
    assert not _alive(steady.pid)


def _start_supervisor(tmp_path: Path, grace: float) -> tuple[subprocess.Popen, list[str]]:
    """A supervisor process of its own (signals go to it, not to pytest), its pids once up."""
    script = textwrap.dedent(
        f"""
        import os, sys
        from lapor.cli.supervisor import Supervisor
        commands = {{"steady": {STEADY!r}, "stubborn": {STUBBORN!r}}}
        sys.exit(Supervisor(commands, dict(os.environ), cwd=".", grace={grace}).run())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    while not ("keras" in "".join(lines) and "detak" in "".join(lines)):
        line = process.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
    return process, lines


def _pids(text: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"berjalan \(pid=(\d+)", text)]


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_ends_everything_within_the_grace_period(tmp_path, signum, code):
    process, lines = _start_supervisor(tmp_path, grace=2)
    started = time.monotonic()
    process.send_signal(signum)
    rest, _ = process.communicate(timeout=15)
    took = time.monotonic() - started
    text = "".join(lines) + rest
    assert process.returncode == code, text
    # SIGTERM, the grace period for the stubborn one, SIGKILL; with room for a loaded machine.
    assert 2 <= took < 2 + AFTER_KILL_SECONDS + 5, text
    assert "dihentikan paksa: stubborn" in text
    assert [pid for pid in _pids(text) if _alive(pid)] == []


@pytest.mark.slow
def test_a_second_ctrl_c_kills_at_once(tmp_path):
    process, lines = _start_supervisor(tmp_path, grace=60)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=15)
    text = "".join(lines) + rest
    assert time.monotonic() - started < 10, text  # not the 60 s grace period
    assert process.returncode == 130
    assert "Diminta berhenti sekali lagi" in text
    assert [pid for pid in _pids(text) if _alive(pid)] == []
