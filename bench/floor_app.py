"""Apps for bench/intake.py: the floor (one INSERT and one Redis push per request) and Lapor
itself with the abuse limits lifted, both configured from the same environment."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request

from lapor import create_app
from lapor.infra import broker, db
from lapor.infra.settings import Settings

_metadata = sa.MetaData()
floor_table = sa.Table(
    "bench_floor",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def floor_app() -> Flask:
    """The floor: no validation, no routing, no audit: one INSERT and one RPUSH."""
    settings = Settings.from_env()
    engine = db.engine_for(settings.database_url)
    _metadata.create_all(engine)
    redis = broker.connect(settings)
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return jsonify(ok=True)

    @app.post("/floor")
    def floor():
        body = request.get_data(as_text=True)
        with engine.begin() as connection:
            row = connection.execute(
                floor_table.insert().values(body=body, created_at=datetime.now(UTC))
            ).inserted_primary_key[0]
        redis.rpush("bench:floor", row)
        return jsonify(id=row), 201

    return app


def lapor_app() -> Flask:
    """Lapor as deployed, but without the per-address limits (one client sends everything)."""
    return create_app({"RATELIMIT_ENABLED": False})
