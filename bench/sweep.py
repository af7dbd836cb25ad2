"""Time of one SLA sweep on PostgreSQL: 10,000 complaints due among 100,000 and among
1,000,000 stored (generated in bulk with generate_series).

    python bench/sweep.py [--due 10000] [--sizes 100000,1000000] [--rounds 3]

Needs PostgreSQL: LAPOR_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test
as the admin connection; a scratch database is created and dropped). Every complaint due is
routed to an OPD whose 5-day answer deadline has just passed, so the sweep escalates each to
level 1 (event, in-app notice). The rest are closed (no next check) or open with a later check.
Between rounds the due complaints are put back as they were. Prints JSON; medians of rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_database  # noqa: E402
from lapor.infra import db, region  # noqa: E402
from lapor.infra.settings import Settings  # noqa: E402
from lapor.services import sweep as sla

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB
DUE = NOW - timedelta(hours=3)  # answer deadline passed this morning
LATER = NOW + timedelta(days=20)

GENERATE = """
INSERT INTO complaint (
    tracking_code, reporter_key_hash, title, text, anonymous, confidential, channel, status,
    agency_id,
    escalation_level, row_version, received_at, updated_at, routed_at,
    response_due_at, resolution_due_at, next_check_at, closed_at
)
SELECT
    'B' || lpad(to_hex(:offset + g), 9, '0'),
    md5(random()::text) || md5(random()::text),
    'Pengaduan ' || g,
    'Jalan berlubang di depan pasar nomor ' || g || ', membahayakan pengendara',
    false, false, 'web',
    CASE WHEN g <= :due THEN 'routed' WHEN g % 10 = 0 THEN 'routed' ELSE 'closed' END,
    (SELECT id FROM agency WHERE code = 'DISHUB'),
    0, 1,
    :received, :received, :received,
    CASE WHEN g <= :due OR g % 10 = 0 THEN CASE WHEN g <= :due THEN :due_at ELSE :later END END,
    :received + interval '60 days',
    CASE WHEN g <= :due THEN :due_at WHEN g % 10 = 0 THEN :later END,
    CASE WHEN g <= :due OR g % 10 = 0 THEN NULL ELSE :received + interval '20 days' END
FROM generate_series(1, :count) AS g
"""


def prepare(settings: Settings, count: int, due: int) -> None:
    """Migrate, seed the OPDs and generate `count` complaints of which `due` are due."""
    db.migrate(settings.database_url)
    with db.session_scope(settings) as session:
        region.seed_agencies(session, region.registry_for(settings.region))
    engine = db.engine_for(settings.database_url)
    received = DUE - timedelta(days=7)
    with engine.begin() as connection:
        connection.execute(
            sa.text(GENERATE),
            {
                "offset": 0,
                "count": count,
                "due": due,
                "received": received,
                "due_at": DUE,
                "later": LATER,
            },
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))


def reset(settings: Settings, due: int) -> None:
    """Put the due complaints back as they were before the sweep."""
    engine = db.engine_for(settings.database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM notification"))
        connection.execute(sa.text("DELETE FROM complaint_event"))
        connection.execute(
            sa.text(
                "UPDATE complaint SET escalation_level = 0, reminded_for = NULL,"
                " next_check_at = :due_at WHERE response_due_at = :due_at"
            ),
            {"due_at": DUE},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE complaint"))


def one_size(count: int, due: int, rounds: int) -> dict:
    with scratch_database() as url:
        settings = Settings.from_env(
            {
                "LAPOR_ENV": "test",
                "LAPOR_SECRET_KEY": "bench",
                "LAPOR_REDIS_URL": "redis://127.0.0.1:6379/14",
            },
            {"database_url": url},
        )
        started = time.perf_counter()
        prepare(settings, count, due)
        generated = time.perf_counter() - started
        times, actions = [], None
        for _ in range(rounds):
            reset(settings, due)
            started = time.perf_counter()
            result = sla.sweep(settings, NOW)
            times.append(time.perf_counter() - started)
            actions = dict(result.actions)
        return {
            "stored": count,
            "due": due,
            "actions": actions,
            "sweep_seconds_median": round(statistics.median(times), 2),
            "sweep_seconds": [round(t, 2) for t in times],
            "escalations_per_second": round(due / statistics.median(times)),
            "generate_seconds": round(generated, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = [one_size(int(size), args.due, args.rounds) for size in args.sizes.split(",")]
    report = {"results": results}
    if len(results) == 2:
        report["ratio_large_to_small"] = round(
            results[1]["sweep_seconds_median"] / results[0]["sweep_seconds_median"], 2
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
