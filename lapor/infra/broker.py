"""The Redis connection of a process: the configured server, or the embedded one."""

from __future__ import annotations

import redis
from flask import Flask, current_app
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from lapor.infra import embedded_redis
from lapor.infra.settings import Settings

_clients: dict[str, redis.Redis] = {}
_riding_out = False  # this process's clients retry through a restart (else redis-py's default)

# A worker waits out a Redis restart: each command that meets a refused or dropped connection
# is tried again, 0.5 s, 1 s, 2 s, 4 s, then every 5 s, for about a minute in all, before the
# error reaches RQ (whose worker quits on it). A web request keeps redis-py's default (about a
# second of retries): a citizen should get an answer, not a thread held for a minute.
OUTAGE_BACKOFF_CAP = 5.0
OUTAGE_RETRIES = 15


def outage_retry() -> Retry:
    """The retry policy of a process that should ride out a Redis restart (about 60 s)."""
    return Retry(ExponentialBackoff(cap=OUTAGE_BACKOFF_CAP, base=0.25), retries=OUTAGE_RETRIES)


def ride_out_outages(connection: redis.Redis) -> None:
    """Make this connection, and every client this process makes from now on, retry through a
    Redis restart (a worker and the work-horses it forks)."""
    global _riding_out
    _riding_out = True
    connection.set_retry(outage_retry())
    for client in _clients.values():
        client.set_retry(outage_retry())


def redis_url(settings: Settings) -> str:
    """LAPOR_REDIS_URL, or the socket of the data directory's embedded server."""
    return settings.redis_url or embedded_redis.url_for(settings.data_dir)


def connect(settings: Settings) -> redis.Redis:
    """The process's client for the settings' Redis (it pools its own connections)."""
    url = redis_url(settings)
    client = _clients.get(url)
    if client is None:
        options = {"retry": outage_retry()} if _riding_out else {}
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30, **options
        )
    return client


def ensure_available(settings: Settings) -> str:
    """For commands run on their own: start the embedded server if it is the one and is down."""
    if settings.uses_embedded_redis:
        return embedded_redis.ensure(settings.data_dir)
    return settings.redis_url or ""


def init_app(app: Flask) -> None:
    """Give the app its Redis client (the connection opens on first use)."""
    app.extensions["lapor.redis"] = connect(app.extensions["lapor.settings"])


def get_redis() -> redis.Redis:
    """The current app's Redis client."""
    return current_app.extensions["lapor.redis"]
