"""Keeping the Procfile's processes running in one terminal, as `lapor run` does.

Each process is started by honcho's Popen (a shell in a session of its own) and its output
relayed in honcho's coloured, prefixed lines (honcho's Printer). honcho's own Manager stops
everything when one process exits, so the loop is Lapor's: a process that exits on its own
is started again after a pause that doubles from 1 s up to 30 s (back to 1 s once it has
stayed up for a minute). Ctrl-C or SIGTERM stops them all: SIGTERM to each, SIGKILL to what
is still there after the grace period; a second Ctrl-C kills at once.
"""

from __future__ import annotations

import datetime
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from honcho.colour import get_colours
from honcho.printer import Message, Printer
from honcho.process import Popen

SYSTEM_NAME = "lapor"
POLL_SECONDS = 0.1
# After SIGKILL, how long to wait for the output to close (a grandchild in a process group of
# its own, such as RQ's work-horse, may still hold it) before returning anyway.
AFTER_KILL_SECONDS = 3.0
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass(frozen=True)
class Backoff:
    """How long to wait before starting a process that exited again."""

    first: float = 1.0
    longest: float = 30.0
    steady_after: float = 60.0  # a run this long counts as healthy: the next pause is `first`

    def next_pause(self, previous: float | None, ran_for: float) -> float:
        """The pause after a run of `ran_for` seconds that followed a pause of `previous`."""
        if previous is None or ran_for >= self.steady_after:
            return self.first
        return min(previous * 2, self.longest)


@dataclass
class Child:
    """One line of the Procfile and the state of its current run.

    The Procfile's shell is the process started (its pid is also its process group's id);
    the program it runs may go on after the shell has gone (the shell dies at once on SIGTERM,
    the program shuts down in its own time), holding the output open until it exits."""

    name: str
    command: str
    colour: str
    pid: int | None = None
    running: bool = False  # the shell has not exited
    output_open: bool = False  # someone still writes to the output: the program, mostly
    returncode: int | None = None  # the shell's
    started_at: float = 0.0
    pause: float | None = None
    restart_at: float | None = None
    runs: int = 0

    @property
    def busy(self) -> bool:
        return self.running or self.output_open


@dataclass
class Supervisor:
    """Run the processes, start again the ones that exit, stop them all on request."""

    commands: Mapping[str, str]
    env: Mapping[str, str]
    cwd: str
    output: TextIO = sys.stdout
    backoff: Backoff = field(default_factory=Backoff)
    grace: float = 10.0  # seconds between SIGTERM and SIGKILL when stopping

    def __post_init__(self) -> None:
        self.events: queue.SimpleQueue = queue.SimpleQueue()  # put() is safe in a signal handler
        colours = get_colours()
        self.children = {
            name: Child(name, command, next(colours)) for name, command in self.commands.items()
        }
        width = max([len(SYSTEM_NAME), *(len(name) for name in self.children)])
        self.printer = Printer(self.output, width=width)
        self.stop_signal: int | None = None
        self.kill_at: float | None = None
        self.give_up_at: float | None = None

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        """Stop every process (from any thread, or as a signal handler); twice: kill them."""
        self.events.put(Message("signal", signum, None, None, None))

    def run(self) -> int:
        """Start everything and supervise until stopped; the exit code of the stop."""
        previous = self._install_signal_handlers()
        try:
            for child in self.children.values():
                self._start(child)
            while not self._finished():
                self._handle_events()
                self._restart_due()
                self._escalate_if_late()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return EXIT_CODES.get(self.stop_signal, 0)

    def _install_signal_handlers(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}  # run in a thread (tests): stopped through request_stop()
        handler = lambda signum, _frame: self.request_stop(signum)  # noqa: E731
        return {signum: signal.signal(signum, handler) for signum in EXIT_CODES}

    # --- one run of a process, in threads of its own ------------------------------------

    def _start(self, child: Child) -> None:
        child.running, child.output_open, child.pid = True, True, None
        child.started_at, child.restart_at = time.monotonic(), None
        child.runs += 1
        threading.Thread(target=self._run_once, args=(child, child.runs), daemon=True).start()

    def _run_once(self, child: Child, run: int) -> None:
        """Start the command, relay its output, report when the shell exits."""
        try:
            popen = Popen(child.command, env=dict(self.env), cwd=self.cwd)
        except OSError as error:  # no shell, the directory gone: counts as an exit
            self._event("line", child, f"tidak dapat dijalankan: {error}\n")
            self._event("closed", child, {"run": run})
            self._event("exit", child, {"run": run, "returncode": 127})
            return
        self._event("start", child, {"run": run, "pid": popen.pid})
        relay = threading.Thread(target=self._relay, args=(child, run, popen.stdout))
        relay.daemon = True
        relay.start()
        self._event("exit", child, {"run": run, "returncode": popen.wait()})

    def _relay(self, child: Child, run: int, stdout) -> None:
        for line in iter(stdout.readline, b""):
            self._event("line", child, line)
        stdout.close()
        self._event("closed", child, {"run": run})

    def _event(self, kind: str, child: Child, data) -> None:
        now = datetime.datetime.now()
        self.events.put(Message(kind, data, now, child.name, child.colour))

    # --- the supervising loop --------------------------------------------------------------

    def _handle_events(self) -> None:
        try:
            message = self.events.get(timeout=POLL_SECONDS)
        except queue.Empty:
            return
        if message.type == "line":
            self.printer.write(message)
            return
        if message.type == "signal":
            self._on_signal(message.data)
            return
        child = self.children[message.name]
        if message.data["run"] != child.runs:
            return  # the end of an earlier run's output
        if message.type == "start":
            self._started(child, message.data["pid"])
        elif message.type == "exit":
            self._exited(child, message.data["returncode"])
        elif message.type == "closed":
            child.output_open = False
            self._report_if_stopped(child)

    def _started(self, child: Child, pid: int) -> None:
        child.pid = pid
        again = f", jalan ke-{child.runs}" if child.runs > 1 else ""
        self._say(f"{child.name} berjalan (pid={pid}{again})")
        if self.stop_signal is not None:
            _signal_group(pid, signal.SIGTERM)  # started just as the stop was asked for

    def _exited(self, child: Child, returncode: int) -> None:
        child.running, child.returncode = False, returncode
        if self.stop_signal is not None:
            self._report_if_stopped(child)
            return
        if child.pid is not None:
            # What it left behind in its group (RQ's scheduler process) would run on
            # unsupervised; the next run does not wait for their output to close.
            _signal_group(child.pid, signal.SIGTERM)
        child.output_open = False
        ran_for = time.monotonic() - child.started_at
        child.pause = self.backoff.next_pause(child.pause, ran_for)
        child.restart_at = time.monotonic() + child.pause
        self._say(
            f"{child.name} berhenti tanpa diminta (kode keluar {returncode}, setelah "
            f"{ran_for:.0f} detik); dijalankan lagi dalam {child.pause:g} detik"
        )

    def _report_if_stopped(self, child: Child) -> None:
        if self.stop_signal is not None and not child.busy:
            self._say(f"{child.name} berhenti (kode keluar {child.returncode})")

    def _on_signal(self, signum: int) -> None:
        if self.stop_signal is not None:
            self._say("Diminta berhenti sekali lagi: semua proses dihentikan paksa.")
            self._signal_all(signal.SIGKILL)
            return
        self.stop_signal = signum
        self.kill_at = time.monotonic() + self.grace
        self._say(
            f"Menghentikan semua proses (paling lama {self.grace:g} detik; "
            "tekan Ctrl-C sekali lagi untuk menghentikan paksa)..."
        )
        for child in self.children.values():
            child.restart_at = None
        self._signal_all(signal.SIGTERM)

    def _restart_due(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if child.restart_at is not None and child.restart_at <= now:
                self._start(child)

    def _escalate_if_late(self) -> None:
        if self.kill_at is None or time.monotonic() < self.kill_at:
            return
        late = ", ".join(child.name for child in self.children.values() if child.busy)
        self._say(f"Belum berhenti setelah {self.grace:g} detik, dihentikan paksa: {late}")
        self._signal_all(signal.SIGKILL)

    def _signal_all(self, signum: int) -> None:
        for child in self.children.values():
            if child.busy and child.pid is not None:
                _signal_group(child.pid, signum)
        if signum == signal.SIGKILL:
            self.kill_at = None
            self.give_up_at = time.monotonic() + AFTER_KILL_SECONDS

    def _finished(self) -> bool:
        if self.stop_signal is None:
            return False
        busy = [child.name for child in self.children.values() if child.busy]
        if not busy:
            return True
        if self.give_up_at is not None and time.monotonic() >= self.give_up_at:
            self._say(f"Keluaran {', '.join(busy)} belum tertutup; tidak ditunggu lagi.")
            return True
        return False

    def _say(self, text: str) -> None:
        now = datetime.datetime.now()
        self.printer.write(Message("line", text + "\n", now, SYSTEM_NAME, None))


def _signal_group(pid: int, signum: int) -> None:
    """Signal a process's whole group: honcho starts each in a session of its own (the shell
    and the program it runs)."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already; its events are on the way
