"""GET /healthz: whether this process can reach its database and Redis."""

from __future__ import annotations

import redis
import sqlalchemy.exc
from flask import Blueprint, current_app, jsonify

from lapor.infra import broker, db, embedded_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """JSON with the state of each dependency; 503 when one is down."""
    settings = current_app.extensions["lapor.settings"]
    checks = {"database": _check_database(settings), "redis": _check_redis()}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return jsonify(body), 200 if healthy else 503


def _check_database(settings) -> dict:
    try:
        db.ping(settings)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        current_app.logger.warning("health: database unreachable: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "backend": "sqlite" if settings.is_sqlite else "postgresql"}


def _check_redis() -> dict:
    settings = current_app.extensions["lapor.settings"]
    try:
        broker.get_redis().ping()
    except (redis.RedisError, OSError) as exc:
        current_app.logger.warning("health: redis unreachable: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    embedded = broker.redis_url(settings) == embedded_redis.url_for(settings.data_dir)
    return {"ok": True, "backend": "embedded" if embedded else "redis"}
