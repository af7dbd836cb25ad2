"""Load time of the supervisor dashboard (/petugas/dasbor) with 1,000,000 complaints stored in
PostgreSQL, through the Flask app signed in as a supervisor.

    python bench/dashboard.py [--count 1000000] [--loads 7]

LAPOR_BENCH_DATABASE_URL names the admin connection (default postgresql://postgres@127.0.0.1
:5432/test); a scratch database is created and dropped. Complaints are spread over two years
and 60 OPDs, in every state, some escalated, some rated and reopened. Prints JSON: the median
and every load in milliseconds (the first, cold, load is reported apart).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_database  # noqa: E402
from lapor import create_app
from lapor.infra import db, region
from lapor.infra.settings import Settings  # noqa: E402
from lapor.services import accounts  # noqa: E402

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PASSWORD = "bench-password-123"

GENERATE = """
WITH opd AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM agency WHERE kind <> 'external'
)
INSERT INTO complaint (
    tracking_code, reporter_key_hash, title, text, anonymous, confidential, channel, status,
    agency_id,
    escalation_level, row_version, received_at, updated_at, routed_at, first_response_at,
    answered_on_time, resolved_at, closed_at, response_due_at, resolution_due_at,
    reopen_count, rating
)
SELECT
    'D' || lpad(to_hex(g), 9, '0'),
    md5(random()::text) || md5(random()::text),
    'Pengaduan ' || g,
    'Contoh pengaduan nomor ' || g,
    g % 4 = 0, g % 5 = 0, 'web',
    (ARRAY['closed','closed','closed','resolved','in_progress','routed','needs_info',
           'reopened','rejected','received'])[1 + g % 10],
    CASE WHEN g % 10 IN (8, 9) THEN NULL ELSE opd.ids[1 + g % array_length(opd.ids, 1)] END,
    CASE WHEN g % 10 = 5 AND g % 7 = 0 THEN 1 + g % 3 ELSE 0 END,
    1,
    r.received, r.received, r.received + interval '1 day',
    CASE WHEN g % 10 < 5 THEN r.received + (g % 9 + 1) * interval '1 day' END,
    CASE WHEN g % 10 < 5 THEN g % 9 < 6 END,
    CASE WHEN g % 10 < 4 THEN r.received + (g % 50 + 5) * interval '1 day' END,
    CASE WHEN g % 10 < 3 THEN r.received + (g % 50 + 10) * interval '1 day' END,
    CASE WHEN g % 10 IN (5, 7) THEN r.received + interval '8 days' END,
    r.received + interval '60 days',
    CASE WHEN g % 10 = 7 THEN 1 ELSE 0 END,
    CASE WHEN g % 10 < 3 AND g % 3 = 0 THEN 1 + g % 5 END
FROM generate_series(1, :count) AS g
CROSS JOIN opd
CROSS JOIN LATERAL (
    SELECT :now - (g % 730) * interval '1 day' - (g % 24) * interval '1 hour' AS received
) AS r
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    with scratch_database() as url:
        print(json.dumps(run(url, args.count, args.loads), indent=2))


def run(url: str, count: int, loads: int) -> dict:
    settings = Settings.from_env(
        {
            "LAPOR_ENV": "test",
            "LAPOR_SECRET_KEY": "bench",
            "LAPOR_REDIS_URL": "redis://127.0.0.1:6379/14",
        },
        {"database_url": url},
    )
    db.migrate(settings.database_url)
    with db.session_scope(settings) as session:
        region.seed_agencies(session, region.registry_for(settings.region))
        accounts.create_user(
            session, username="bench-super", password=PASSWORD, role="supervisor", now=NOW
        )
    started = time.perf_counter()
    engine = db.engine_for(settings.database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(GENERATE), {"count": count, "now": NOW})
        connection.execute(
            sa.text(
                "INSERT INTO feedback (complaint_id, rating, created_at) SELECT id, 1 + id % 5, "
                "resolved_at FROM complaint WHERE status = 'closed' AND id % 3 = 0"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO complaint_event (complaint_id, at, actor_kind, action, status_from, "
                "status_to, public, data) SELECT id, received_at + interval '20 days', 'reporter', "
                "'reopen', 'resolved', 'reopened', true, '{}' FROM complaint"
                " WHERE status = 'reopened'"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    generated = time.perf_counter() - started
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    app.config.update(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    client.post("/masuk", data={"username": "bench-super", "password": PASSWORD})
    timings = []
    for _ in range(loads + 1):
        started = time.perf_counter()
        response = client.get("/petugas/dasbor")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return {
        "complaints": count,
        "generate_seconds": round(generated, 1),
        "cold_ms": round(timings[0], 1),
        "median_ms": round(statistics.median(timings[1:]), 1),
        "loads_ms": [round(t, 1) for t in timings[1:]],
    }


if __name__ == "__main__":
    main()
