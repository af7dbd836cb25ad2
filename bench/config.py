"""How fast an admin's change reaches other processes, and what following the configuration
version costs a request.

    python bench/config.py [--watchers 3] [--changes 20] [--backend sqlite|postgresql]

Propagation: `--watchers` separate processes each poll what intake reads (the agencies and the
working calendar) while this process makes `--changes` changes (an OPD renamed and a regional
day off added, in one transaction); each watcher reports when it saw each change. The bound
is directory.CHECK_SECONDS.

Cost: the time of `directory.config.snapshot()` when the copy is trusted (most requests), when
the version is read and has not moved (once per CHECK_SECONDS per process), and when a change
makes it read everything again, beside the baseline of one `SELECT 1` on the same connection
pool. Prints JSON; figures are medians (and maxima for propagation).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402
from lapor.domain.timefmt import utcnow  # noqa: E402
from lapor.infra import db, directory, region  # noqa: E402
from lapor.infra.directory import ConfigDirectory, bump_version  # noqa: E402
from lapor.infra.settings import Settings  # noqa: E402
from lapor.services import policy, registry  # noqa: E402
from lapor.services.changes import Editor  # noqa: E402

WATCHER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import date, timedelta
    from pathlib import Path
    from lapor.infra import directory
    from lapor.infra.settings import Settings
    from lapor.services.effects import deadlines_for

    settings = Settings(
        env="test", data_dir=Path(sys.argv[2]), database_url=sys.argv[1], secret_key="x"
    ).completed()
    first, changes = date.fromisoformat(sys.argv[3]), int(sys.argv[4])
    seen_at = {}
    print("ready", flush=True)
    while len(seen_at) < changes:
        directory.agencies.get(settings)  # what intake reads, as it reads it
        days_off = deadlines_for(settings).calendar.extra_days_off
        for n in range(changes):
            if n not in seen_at and first + timedelta(days=n) in days_off:
                seen_at[n] = time.time()
        time.sleep(0.01)
    print(json.dumps(seen_at), flush=True)
    """
)


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(env="test", data_dir=data_dir, database_url=url, secret_key="x").completed()


def _prepare(url: str) -> None:
    db.migrate(url)
    with Session(db.engine_for(url)) as session:
        region.seed_agencies(session, region.registry_for("kalteng"))
        session.commit()


def propagation(settings: Settings, watchers: int, changes: int) -> dict:
    """Seconds from each change's commit to each watcher seeing it."""
    first = date(2031, 3, 3)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WATCHER,
                settings.database_url,
                str(settings.data_dir),
                first.isoformat(),
                str(changes),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(watchers)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    editor = Editor(None, "bench")
    committed: dict[int, float] = {}
    for n in range(changes):

        def change(session, n=n):
            registry.update_agency(
                session, editor, "SETDA", {"short_name": f"Setda {n}"}, now=utcnow()
            )
            policy.add_day_off(session, editor, first + timedelta(days=n), "bench", now=utcnow())

        db.run_in_transaction(settings, change)
        committed[n] = time.time()
        time.sleep(0.7)  # spread the changes over the check interval
    delays = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        seen = json.loads(out.strip().splitlines()[-1])
        delays += [seen[str(n)] - committed[n] for n in range(changes) if str(n) in seen]
    delays = [max(0.0, d) for d in delays]
    return {
        "watchers": watchers,
        "changes": changes,
        "median_seconds": round(statistics.median(delays), 3),
        "max_seconds": round(max(delays), 3),
        "bound_seconds": directory.CHECK_SECONDS,
    }


def _median_ms(run, rounds: int = 200) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 4)


def cost(settings: Settings) -> dict:
    """Milliseconds per `snapshot()` call in each case, and a bare query's."""
    engine = db.engine_for(settings.database_url)

    def bare() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    trusted = ConfigDirectory(check_every=3600)
    trusted.snapshot(settings)
    checking = ConfigDirectory(check_every=0)
    checking.snapshot(settings)
    reloading = ConfigDirectory(check_every=0)

    def reload() -> None:
        with db.session_scope(settings) as session:
            bump_version(session, utcnow())
        reloading.snapshot(settings)

    def bump_only() -> None:
        with db.session_scope(settings) as session:
            bump_version(session, utcnow())

    return {
        "baseline_select_1_ms": _median_ms(bare),
        "trusted_copy_ms": _median_ms(lambda: trusted.snapshot(settings), 2000),
        "version_check_ms": _median_ms(lambda: checking.snapshot(settings)),
        "reload_after_change_ms": round(_median_ms(reload, 50) - _median_ms(bump_only, 50), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=3)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        data_dir = Path(tmp)
        if args.backend == "postgresql":
            url = stack.enter_context(scratch_database("lapor_bench_config"))
        else:
            url = f"sqlite:///{data_dir / 'lapor.db'}"
        _prepare(url)
        settings = _settings(url, data_dir)
        result = {
            "backend": args.backend,
            "cost": cost(settings),
            "propagation": propagation(settings, args.watchers, args.changes),
        }
        db.dispose_all()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
