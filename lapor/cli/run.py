"""`lapor run`: the whole system in one terminal, from the Procfile, on the embedded default.

The embedded Redis starts first and stops last; the supervisor (lapor.cli.supervisor) runs the
Procfile's processes with honcho's output, starts again one that exits on its own, and stops
them all on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
from honcho.environ import parse_procfile

from lapor.cli.bootstrap import initialise
from lapor.cli.supervisor import Supervisor
from lapor.domain.timefmt import utcnow
from lapor.infra.embedded_redis import EmbeddedRedis
from lapor.infra.settings import Settings


class CommandError(click.ClickException):
    """A command that cannot do what was asked; says so in Indonesian ("Gagal: …")."""

    def show(self, file=None) -> None:
        click.secho(f"Gagal: {self.format_message()}", err=True, fg="red")


def run_system(settings: Settings, procfile: Path, host: str, port: int) -> int:
    """Initialise, start every process of the Procfile, and block until they stop."""
    processes = _processes(procfile, settings)
    _refuse_busy_port(host, port)
    counts = initialise(settings)
    click.echo(f"Basis data siap ({_describe_db(settings)}); OPD: {counts}.")
    ensure_model(settings)
    server = EmbeddedRedis(settings.data_dir) if settings.uses_embedded_redis else None
    env = _child_environment(settings, host, port)
    try:
        if server is not None:
            server.start()
            env["LAPOR_REDIS_URL"] = server.url
            click.echo(f"Redis tertanam berjalan di {server.url}")
        supervisor = Supervisor(processes, env, cwd=str(procfile.parent))
        url = f"http://{host}:{port}"
        threading.Thread(target=_announce_when_ready, args=(url,), daemon=True).start()
        return supervisor.run()
    finally:
        if server is not None:
            server.stop()
            click.echo("Redis tertanam dihentikan.")


def ensure_model(settings: Settings) -> None:
    """Train the default routing model on first start (without one, all goes to triage)."""
    from lapor.routing import service

    if service.model_store(settings).current_version() is not None:
        return
    click.echo("Melatih model penentu OPD bawaan (sekali, pada start pertama)...")
    trained = service.train_and_promote(
        settings, now=utcnow(), progress=lambda message: click.echo(f"  model: {message}")
    )
    scores = trained.metadata["out_of_fold"]
    click.echo(
        f"  model {trained.version}: macro-F1 {scores['macro_f1']:.3f}, "
        f"{trained.metadata['train_seconds']} detik"
    )


def _processes(procfile: Path, settings: Settings) -> dict[str, str]:
    if not procfile.is_file():
        raise CommandError(f"Procfile tidak ditemukan: {procfile}")
    processes = dict(parse_procfile(procfile.read_text()).processes)
    if not settings.telegram_bot_token:
        # The bot needs a token from @BotFather; without one the rest runs on its own.
        processes.pop("bot", None)
    return processes


def _child_environment(settings: Settings, host: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["LAPOR_DATA_DIR"] = str(settings.data_dir)
    env["LAPOR_DATABASE_URL"] = settings.database_url
    env["LAPOR_BIND"] = f"{host}:{port}"
    env.setdefault("LAPOR_PUBLIC_URL", f"http://{host}:{port}")
    env["PYTHONUNBUFFERED"] = "1"
    if settings.redis_url:
        env["LAPOR_REDIS_URL"] = settings.redis_url
    return env


def _refuse_busy_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"Port {host}:{port} sedang dipakai program lain ({exc.strerror}). "
                "Hentikan program itu atau pakai --port."
            ) from exc


def _describe_db(settings: Settings) -> str:
    if settings.is_sqlite:
        return f"SQLite di {settings.data_dir / 'lapor.infra.db'}"
    return "PostgreSQL"


def _announce_when_ready(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    click.secho(f"\n  Lapor siap: {url}  (Ctrl-C untuk berhenti)\n", bold=True)
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    click.secho(f"Lapor belum menjawab di {url}/healthz setelah {timeout:.0f} detik.", fg="red")
