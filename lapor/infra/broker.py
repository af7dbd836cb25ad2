"""The Redis connection of a process: the configured server, or the embedded one."""

from __future__ import annotations

import redis
from flask import Flask, current_app

from lapor.infra import embedded_redis
from lapor.infra.settings import Settings

_clients: dict[str, redis.Redis] = {}


def redis_url(settings: Settings) -> str:
    """LAPOR_REDIS_URL, or the socket of the data directory's embedded server."""
    return settings.redis_url or embedded_redis.url_for(settings.data_dir)


def connect(settings: Settings) -> redis.Redis:
    """The process's client for the settings' Redis (it pools its own connections)."""
    url = redis_url(settings)
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
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
