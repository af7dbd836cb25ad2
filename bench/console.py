"""The staff console's search and queue (lapor.services.worklist.find) with 1,000,000
complaints in PostgreSQL: issue 17 asks for a median under 300 ms.

    python bench/console.py [--count 1000000] [--runs 9] [--explain]
        [--database URL] [--sql "CREATE INDEX ..."]... [--only CASE]... [--no-api]

LAPOR_BENCH_DATABASE_URL names the admin connection (default postgresql://postgres@127.0.0.1
:5432/test); a scratch database is created, filled and dropped. With --database an existing
database is used instead and kept (filled first when it holds no complaints), so that index
DDL can be tried by hand between runs; --sql runs statements (CREATE INDEX ...) before
measuring.

The complaints are real ones (the shipped Surabaya routing set, a few thousand texts, varied:
a sentence of another complaint, an RT/RW, a house number), with their search stems computed
by lapor.domain.search as intake computes them, routed to the OPD the region's routing.yaml
gives their label (some misrouted), spread over three growing years and the 14 kabupaten/kota
of the region, in a realistic mix of states (about 6 % open: the recent ones and some
stragglers), with the deadlines, escalations, pauses and routing confidences each state has.
They are loaded with COPY, the indexes of the migrations built afterwards, then VACUUM ANALYZE.

Measured, each case `--runs` times after a first (cold plan, connection) run apart:
  - through worklist.find in-process, with a real session: the must-have;
  - the same split into the capped count (worklist._count) and the page query;
  - through GET /api/v1/staff/complaints with a bearer token (Flask test client), when the
    staff API already reads the list's query string (lapor.web.listing).
Cases: an officer's queue of the OPD with the most open complaints (page 1 and 5, by
deadline; also with that OPD as a filter), a supervisor's open queue, the same OPD seen by a
supervisor, overdue in one kabupaten (page 2), escalation level 1, a month of everything newest
first, the verifier's triage queue (by uncertainty), searches (every status) by a common word
(by deadline and newest first), a rare-ish word, a rare word, two words, a typo that matches
nothing (by deadline and newest first: an index walk in sort order that never stops is the
trap), an officer's search within the OPD, and tracking codes typed in lower case with and
without the dash. Prints JSON: median, p90, the cold run and every run in milliseconds, the
count/page split, totals, the server's settings, and which medians are over 300 ms.
--explain prints EXPLAIN (ANALYZE, BUFFERS) of each case's page and count query to stderr.

Trying an index: --database with a database of your own (createdb), then e.g.
    --sql "CREATE INDEX ix_x ON complaint (...) WHERE ..." --only officer_queue_p1
(ANALYZE runs after the statements; DROP INDEX by hand afterwards.)
"""

from __future__ import annotations

import argparse
import bisect
import enum
import hashlib
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_database  # noqa: E402
from lapor import create_app  # noqa: E402
from lapor.domain import search, tracking  # noqa: E402
from lapor.domain.errors import DomainError  # noqa: E402
from lapor.infra import db, region  # noqa: E402
from lapor.infra.settings import Settings  # noqa: E402
from lapor.routing.dataset import SHIPPED, read_examples  # noqa: E402
from lapor.services import accounts, worklist  # noqa: E402
from lapor.services.casework import Staff, visible  # noqa: E402
from lapor.services.worklist import Filters  # noqa: E402
from models import Complaint, Role  # noqa: E402
from models import ComplaintStatus as S  # noqa: E402

TARGET_MS = 300
PASSWORD = "bench-password-123"
DAY = 86_400.0
SPAN_DAYS = 3 * 365
SEED = 17

COLUMNS = (
    "id, tracking_code, reporter_key_hash, title, text, regency, district, address, anonymous, "
    "confidential, channel, status, agency_id, routing_label, routing_confidence, "
    "model_version, escalation_level, resume_status, forwarded_to, rejection_reason, "
    "row_version, received_at, updated_at, routed_at, first_response_at, resolved_at, "
    "closed_at, verification_due_at, response_due_at, resolution_due_at, paused_at, "
    "paused_days_left, auto_close_at, next_check_at, answered_on_time, reopen_count, rating, "
    "search_terms"
)
CHANNELS = (("web", 55), ("telegram", 25), ("api", 12), ("open311", 8))
# Most complaints come from the capital and the two big kabupaten.
REGENCY_WEIGHT = {
    "Kota Palangka Raya": 26,
    "Kabupaten Kotawaringin Timur": 13,
    "Kabupaten Kapuas": 11,
    "Kabupaten Kotawaringin Barat": 8,
}
STREETS = (
    "Tjilik Riwut", "G. Obos", "RTA Milono", "Yos Sudarso", "Ahmad Yani", "Diponegoro",
    "Katamso", "Imam Bonjol", "Rajawali", "Beliang", "Temanggung Tilung", "Mahir Mahar",
    "Seth Adji", "Kinibalu", "Pangeran Antasari", "Sudirman", "Pierre Tendean", "Galaxy",
    "Hiu Putih", "Bukit Keminting", "Sisingamangaraja", "Krakatau", "Lawu", "Jati",
)  # fmt: skip
# The open statuses by age of the complaint: new ones wait for triage or an OPD's first answer,
# stragglers are mostly being worked on; a resolved or paused one waits on the reporter.
OPEN_MIX = {
    "new": ((S.RECEIVED, 45), (S.ROUTED, 35), (S.IN_PROGRESS, 10), (S.NEEDS_INFO, 10)),
    "recent": (
        (S.RECEIVED, 8), (S.ROUTED, 25), (S.IN_PROGRESS, 35), (S.NEEDS_INFO, 10),
        (S.RESOLVED, 15), (S.REOPENED, 7),
    ),
    "old": ((S.RECEIVED, 3), (S.ROUTED, 17), (S.IN_PROGRESS, 60), (S.NEEDS_INFO, 5),
            (S.RESOLVED, 5), (S.REOPENED, 10)),
}  # fmt: skip
# Multiplying by an odd number is a bijection modulo 2**50: unique, random-looking codes.
CODE_FACTOR = 0x9E3779B97F4A7C15


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # officer, verifier or supervisor
    filters: Filters
    params: dict[str, str]


# --- the data -------------------------------------------------------------------------------


def code_for(number: int) -> str:
    n = (number * CODE_FACTOR + 12_345) % (1 << 50)
    chars = []
    for _ in range(tracking.LENGTH):
        chars.append(tracking.ALPHABET[n & 31])
        n >>= 5
    return "".join(chars)


class Texts:
    """Real complaint texts, their routing labels, and the stems of every piece, computed once
    (document() of space-joined pieces is the space-joined documents of the pieces)."""

    def __init__(self, rng: random.Random) -> None:
        examples = read_examples(SHIPPED)
        self.texts = [e.text.strip() for e in examples]
        self.labels = [e.label for e in examples]
        self.docs = [search.document(t) for t in self.texts]
        self.sentences = [self._first_sentence(t) for t in self.texts]
        self.sentence_docs = [search.document(s) for s in self.sentences]
        self.titles = [self._title(t, rng) for t in self.texts]
        self.title_docs = [search.document(t) for t in self.titles]
        self._docs: dict[str, str] = {}

    @staticmethod
    def _first_sentence(text: str) -> str:
        for mark in (". ", "! ", "? "):
            text = text.split(mark, 1)[0]
        return text[:160]

    @staticmethod
    def _title(text: str, rng: random.Random) -> str:
        words = text.split()[: rng.randint(3, 8)]
        return " ".join(words)[:150].capitalize()

    def doc(self, piece: str) -> str:
        found = self._docs.get(piece)
        if found is None:
            found = self._docs[piece] = search.document(piece)
        return found


def _weighted(pairs) -> tuple[list, list[float]]:
    values = [v for v, _ in pairs]
    total, running = 0.0, []
    for _, w in pairs:
        total += w
        running.append(total)
    return values, running


def _pick(rng: random.Random, table: tuple[list, list[float]]):
    values, running = table
    return values[min(len(values) - 1, bisect.bisect_right(running, rng.random() * running[-1]))]


class World:
    """The region as the generator needs it: OPDs by id, where each label goes, the places."""

    def __init__(self, settings: Settings, agencies: dict[str, tuple[int, str, str]]) -> None:
        # agencies: code -> (id, name, kind)
        self.opds = {c: v for c, v in agencies.items() if v[2] != "external"}
        self.externals = [v[1] for v in agencies.values() if v[2] == "external"]
        self.opd_ids = [v[0] for v in self.opds.values()]
        routing = yaml.safe_load((region.region_dir(settings.region) / "routing.yaml").read_text())
        self.label_agency: dict[str, int] = {}
        self.label_external: dict[str, str] = {}
        for label, target in (routing.get("labels") or {}).items():
            if isinstance(target, str) and target in self.opds:
                self.label_agency[label] = self.opds[target][0]
            elif isinstance(target, str) and target in agencies:
                self.label_external[label] = agencies[target][1]
            elif isinstance(target, dict):
                self.label_external[label] = "Pemerintah kabupaten/kota"
        regencies = region.gazetteer_for(settings.region).all_regencies()
        self.regencies = _weighted([(r.name, REGENCY_WEIGHT.get(r.name, 4)) for r in regencies])
        self.districts = {r.name: sorted(set(r.districts.values())) for r in regencies}


def generate(count: int, now: datetime, texts: Texts, world: World) -> Iterator[tuple]:
    """The complaint rows, in COPY column order."""
    rng = random.Random(SEED)
    channels = _weighted(CHANNELS)
    open_mix = {k: _weighted(v) for k, v in OPEN_MIX.items()}
    terminal_mix = _weighted(((S.CLOSED, 78), (S.REJECTED, 14), (S.FORWARDED, 8)))
    now_ts = now.timestamp()
    ts = datetime.fromtimestamp
    n_texts = len(texts.texts)
    for number in range(1, count + 1):
        # Three years, growing: density 0.5 three years ago to 1.5 now; in the order they
        # came in, as the heap of a live system is (the open ones together at its end).
        u = (number - rng.random()) / count
        fraction = -0.5 + math.sqrt(0.25 + 2 * u)
        age = (1 - fraction) * SPAN_DAYS * DAY + rng.random() * 3600
        received = now_ts - age
        age_days = age / DAY
        k = rng.randrange(n_texts)
        text, doc_parts = texts.texts[k], [texts.docs[k]]
        if rng.random() < 0.35:
            other = rng.randrange(n_texts)
            text += " " + texts.sentences[other]
            doc_parts.append(texts.sentence_docs[other])
        extra = rng.random()
        if extra < 0.25:
            detail = f"RT {rng.randint(1, 20):02d} RW {rng.randint(1, 12):02d}"
        elif extra < 0.4:
            detail = f"sudah {rng.randint(2, 30)} hari"
        elif extra < 0.5:
            detail = f"No. {rng.randint(1, 400)}"
        else:
            detail = ""
        if detail:
            text += " " + detail
            doc_parts.append(texts.doc(detail))
        title, title_doc = ("", "")
        if rng.random() < 0.4:
            title, title_doc = texts.titles[k], texts.title_docs[k]
        regency = _pick(rng, world.regencies)
        district = rng.choice(world.districts[regency]) if rng.random() < 0.8 else None
        address = None
        if rng.random() < 0.6:
            address = f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 250)}"
        terms = " ".join(
            d
            for d in (
                title_doc,
                *doc_parts,
                texts.doc(regency),
                texts.doc(district) if district else "",
                texts.doc(address) if address else "",
            )
            if d
        )
        label = texts.labels[k]
        agency = world.label_agency.get(label)
        external = world.label_external.get(label)
        if agency is None or rng.random() < 0.08:  # Lainnya, misrouted, transferred
            agency = rng.choice(world.opd_ids)
        # The state: the recent ones are open; older ones mostly ended, a few stragglers.
        if age_days < 4:
            is_open, mix = rng.random() < 0.9, "new"
        elif age_days < 60:
            is_open, mix = rng.random() < 0.45, "recent"
        elif age_days < 365:
            is_open, mix = rng.random() < 0.04, "old"
        else:
            is_open, mix = rng.random() < 0.015, "old"
        if is_open:
            status = _pick(rng, open_mix[mix])
        else:
            status = _pick(rng, terminal_mix)
            if external is not None and rng.random() < 0.7:
                status = S.FORWARDED
        row = _state(rng, status, received, now_ts, agency, external or rng.choice(world.externals))
        channel = _pick(rng, channels)
        confidence = row["confidence"]
        yield (
            number,
            code_for(number),
            hashlib.sha256(number.to_bytes(8, "big")).hexdigest(),
            title,
            text,
            regency,
            district,
            address,
            rng.random() < 0.2,
            rng.random() < 0.1,
            channel,
            status.value,
            row["agency_id"],
            label,
            confidence,
            "bench-1" if confidence is not None else None,
            row["level"],
            row["resume"],
            row["forwarded_to"],
            row["reason"],
            1,
            ts(received, UTC),
            ts(row["updated"], UTC),
            *(ts(row[c], UTC) if row[c] is not None else None for c in TIMES),
            row["days_left"],
            ts(row["auto_close"], UTC) if row["auto_close"] is not None else None,
            ts(row["next_check"], UTC) if row["next_check"] is not None else None,
            row["on_time"],
            row["reopens"],
            row["rating"],
            terms,
        )


TIMES = ("routed", "responded", "resolved", "closed", "verify_due", "respond_due", "final_due",
         "paused")  # fmt: skip


def _state(
    rng: random.Random, status: S, received: float, now: float, agency: int, external: str
) -> dict:
    """Timestamps, deadlines and the clock's state of a complaint in `status` (as
    lapor.domain.deadlines leaves them), with working days approximated by calendar days."""

    def upto(start: float, low: float, high: float) -> float:
        return max(start, min(now - 60, start + rng.uniform(low, high) * DAY))

    r: dict = dict.fromkeys(TIMES)
    r.update(
        agency_id=agency, confidence=None, level=0, resume=None, forwarded_to=None, reason=None,
        days_left=None, auto_close=None, next_check=None, on_time=None, reopens=0, rating=None,
    )  # fmt: skip
    r["final_due"] = received + 60 * DAY
    due = None
    if status in (S.RECEIVED, S.REJECTED, S.FORWARDED) or (
        status == S.NEEDS_INFO and rng.random() < 0.3
    ):
        r["agency_id"] = None
        r["confidence"] = round(rng.betavariate(2, 2.5), 3)  # the router was unsure
        if status == S.RECEIVED:
            due = r["verify_due"] = received + 4.4 * DAY
        elif status == S.NEEDS_INFO:
            r["resume"] = S.RECEIVED.value
    else:
        r["routed"] = upto(received, 0.02, 3)
        if status == S.ROUTED:
            due = r["respond_due"] = r["routed"] + 7 * DAY
        elif status == S.NEEDS_INFO:
            r["resume"] = rng.choice((S.ROUTED, S.IN_PROGRESS)).value
        else:  # answered by the OPD: in progress, resolved, reopened, closed
            r["responded"] = upto(r["routed"], 0.1, 9)
            r["on_time"] = r["responded"] <= r["routed"] + 7 * DAY
            if status == S.IN_PROGRESS:
                due = r["final_due"]
            elif status in (S.RESOLVED, S.CLOSED):
                r["resolved"] = upto(r["responded"], 0.5, 40)
            elif status == S.REOPENED:
                r["resolved"] = upto(r["responded"], 0.5, 20)
                r["reopens"] = 1
                reopened = upto(r["resolved"], 0.5, 10)
                due = r["respond_due"] = reopened + 7 * DAY
    if status == S.CLOSED:
        r["closed"] = upto(r["resolved"], 1, 14)
        if rng.random() < 0.4:
            r["rating"] = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
    elif status in (S.REJECTED, S.FORWARDED):
        r["closed"] = upto(received, 0.05, 4)
        if status == S.REJECTED:
            r["reason"] = rng.choice(("not_complaint", "spam", "duplicate", "not_complaint"))
        else:
            r["forwarded_to"] = external[:200]
        if rng.random() < 0.1:  # verification was late: the level stays when it ends
            r["level"] = rng.choice((1, 1, 2))
    elif status == S.NEEDS_INFO:  # the stage clock stopped a few days ago
        r["paused"] = max(received + 600, now - rng.uniform(0, 9) * DAY)
        r["days_left"] = rng.randint(1, 5)
        r["auto_close"] = r["next_check"] = r["paused"] + 14 * DAY
    elif status == S.RESOLVED:  # waiting for the reporter's verdict
        r["resolved"] = max(r["responded"], now - rng.uniform(0, 9) * DAY)
        r["auto_close"] = r["next_check"] = r["resolved"] + 14 * DAY
    if due is not None:
        late = now - due
        if late > 0:
            r["level"] = 1
            if late > 3 * DAY and rng.random() < 0.7:
                r["level"] = 2 if late < 7 * DAY or rng.random() < 0.5 else 3
            r["next_check"] = due + (r["level"] + 1) * 2.5 * DAY
        else:
            r["next_check"] = due - DAY
    events = [received] + [
        r[c] for c in ("routed", "responded", "resolved", "closed", "paused") if r[c] is not None
    ]
    r["updated"] = max(events)
    return r


def load(settings: Settings, count: int, now: datetime) -> dict:
    """Fill the complaint table; how long each part took."""
    started = time.perf_counter()
    engine = db.engine_for(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT code, id, name, kind FROM agency")).all()
    agencies = {code: (id_, name, kind) for code, id_, name, kind in rows}
    texts = Texts(random.Random(SEED))
    world = World(settings, agencies)
    _check_stems(count, now, texts, world)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:
            indexes = cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'complaint' "
                "AND indexname <> 'complaint_pkey'"
            ).fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            _progress(f"{len(texts.texts)} texts; copying {count:,} complaints")
            with cursor.copy(f"COPY complaint ({COLUMNS}) FROM STDIN") as copy:
                for row in generate(count, now, texts, world):
                    copy.write_row(row)
                    if row[0] % 100_000 == 0:
                        _progress(f"{row[0]:,} rows, {time.perf_counter() - started:.0f} s")
            cursor.execute("SELECT setval('complaint_id_seq', %s)", (count,))
            connection.commit()
            copied = time.perf_counter() - started
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in indexes:
                t = time.perf_counter()
                cursor.execute(definition)
                connection.commit()
                _progress(f"index {name}: {time.perf_counter() - t:.1f} s")
            indexed = time.perf_counter() - started
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE complaint")
        connection.execute("CHECKPOINT")  # not while measuring
        connection.autocommit = False
    finally:
        raw.close()
    total = time.perf_counter() - started
    _progress(f"loaded in {total:.0f} s")
    return {
        "load_seconds": round(total, 1),
        "copy_seconds": round(copied, 1),
        "index_seconds": round(indexed - copied, 1),
        "vacuum_analyze_seconds": round(total - indexed, 1),
    }


def _check_stems(count: int, now: datetime, texts: Texts, world: World) -> None:
    """The cached pieces give exactly what intake stores: search.document of the whole."""
    for row in generate(min(count, 2000), now, texts, world):
        title, text, regency, district, address = row[3:8]
        expected = search.document(title, text, regency, district, address)
        assert row[-1] == expected, (row[0], row[-1], expected)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the measurements -----------------------------------------------------------------------


def cases(code: str, officer_code: str, own_code: str, month: tuple[datetime, datetime]):
    """What is measured: (name, who, filters, query string of the staff API)."""
    first, last = month
    every = frozenset(S)
    shown = tracking.display(code).lower()
    return [
        Case("officer_queue_p1", "officer", Filters(), {}),
        Case("supervisor_queue_p1", "supervisor", Filters(), {}),
        Case("officer_queue_p5", "officer", Filters(page=5), {"page": "5"}),
        Case(
            "officer_queue_agency_p1",
            "officer",
            Filters(agency_code=officer_code),
            {"agency": officer_code},
        ),
        Case(
            "supervisor_agency_p1",
            "supervisor",
            Filters(agency_code=officer_code),
            {"agency": officer_code},
        ),
        Case(
            "supervisor_overdue_regency_p2",
            "supervisor",
            Filters(sla="overdue", regency="Kota Palangka Raya", page=2),
            {"sla": "overdue", "regency": "Kota Palangka Raya", "page": "2"},
        ),
        Case("supervisor_level1", "supervisor", Filters(escalation_level=1), {"level": "1"}),
        Case(
            "supervisor_month_newest",
            "supervisor",
            Filters(statuses=every, received_from=first, received_before=last, sort="newest"),
            {
                "status": "all",
                "from": first.date().isoformat(),
                "to": (last - timedelta(days=1)).date().isoformat(),
                "sort": "newest",
            },
        ),
        Case(
            "verifier_triage",
            "verifier",
            Filters(triage=True, sort="uncertainty"),
            {"triage": "1"},
        ),
        Case("search_common_jalan", "supervisor", Filters(q="jalan"), {"q": "jalan"}),
        Case(
            "search_common_jalan_newest",
            "supervisor",
            Filters(q="jalan", sort="newest"),
            {"q": "jalan", "sort": "newest"},
        ),
        Case("search_rare_pungli", "supervisor", Filters(q="pungli"), {"q": "pungli"}),
        Case("search_rarer_kucing", "supervisor", Filters(q="kucing"), {"q": "kucing"}),
        Case("search_two_words", "supervisor", Filters(q="lampu mati"), {"q": "lampu mati"}),
        # A typo matches nothing: no index walk in sort order may stop early.
        Case("search_typo", "supervisor", Filters(q="lampuu"), {"q": "lampuu"}),
        Case(
            "search_typo_newest",
            "supervisor",
            Filters(q="lampuu", sort="newest"),
            {"q": "lampuu", "sort": "newest"},
        ),
        Case("officer_search_jalan", "officer", Filters(q="jalan"), {"q": "jalan"}),
        Case("code_dash_lower", "supervisor", Filters(q=shown), {"q": shown}),
        Case(
            "code_plain_lower",
            "supervisor",
            Filters(q=shown.replace("-", "")),
            {"q": shown.replace("-", "")},
        ),
        Case(
            "officer_code_own",
            "officer",
            Filters(q=own_code.lower()),
            {"q": own_code.lower()},
        ),
    ]


def summary(timings: list[float]) -> dict:
    warm = timings[1:]
    p90 = statistics.quantiles(warm, n=10, method="inclusive")[-1] if len(warm) > 1 else warm[0]
    return {
        "median_ms": round(statistics.median(warm), 1),
        "p90_ms": round(p90, 1),
        "cold_ms": round(timings[0], 1),
        "runs_ms": [round(t, 1) for t in warm],
    }


def timed(work: Callable[[], object], runs: int) -> list[float]:
    timings = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure_service(engine, staff: Staff, case: Case, now: datetime, runs: int) -> dict:
    last: list = []

    def work() -> None:
        with Session(engine, expire_on_commit=False) as session:
            last[:] = [worklist.find(session, staff, case.filters, now=now)]

    result = summary(timed(work, runs))
    found = last[0]
    result.update(rows=len(found.rows), total=found.total, exact=found.exact)
    if found.code_match is not None:
        result["code_match"] = found.code_match.tracking_code
        return result
    with Session(engine) as session:
        query = worklist._filtered(session, staff, case.filters, now)
        page = _page(query, case.filters)
        result["count_ms"] = summary(timed(lambda: worklist._count(session, query), runs))[
            "median_ms"
        ]
        result["page_ms"] = summary(timed(lambda: session.exec(page).all(), runs))["median_ms"]
    return result


def _page(query, filters: Filters):
    return (
        query.order_by(*worklist._order(filters.sort))
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    )


def explain(engine, staff: Staff, case: Case, now: datetime) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries find() sends, with their parameters bound
    as the application binds them (a custom plan, as for psycopg's first executions)."""
    with Session(engine) as session:
        code = tracking.normalize(case.filters.q) if case.filters.q else None
        if code is not None:
            statements = {
                "code": select(Complaint).where(Complaint.tracking_code == code, *visible(staff))
            }
        else:
            query = worklist._filtered(session, staff, case.filters, now)
            capped = query.with_only_columns(Complaint.id).limit(worklist.COUNT_CAP + 1)
            statements = {
                "page": _page(query, case.filters),
                "count": select(sa.func.count()).select_from(capped.subquery()),
            }
        out = []
        for part, statement in statements.items():
            compiled = statement.compile(
                dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
            )
            params = {
                k: v.value if isinstance(v, enum.Enum) else v for k, v in compiled.params.items()
            }
            plan = session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + compiled.string, params
            )
            lines = "\n".join(r[0] for r in plan)
            out.append(f"--- {case.name} [{part}]\n{compiled.string}\n{params}\n{lines}")
        return "\n".join(out)


def api_ready() -> bool:
    """Whether the staff API reads the list's query string already (lapor.web.listing)."""
    from lapor.web import staff_api

    return hasattr(staff_api, "worklist") or hasattr(staff_api, "listing")


def measure_api(client, token: str, case: Case, runs: int) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    sizes: list = []

    def work() -> None:
        response = client.get("/api/v1/staff/complaints", query_string=case.params, headers=headers)
        assert response.status_code == 200, (case.name, response.status_code, response.data[:300])
        body = response.get_json()
        sizes[:] = [len(body["complaints"]), body.get("total")]

    result = summary(timed(work, runs))
    result["rows"], result["total"] = sizes
    return result


def _params_match(case: Case, tz) -> bool:
    """Whether the API's reading of the query string gives the filters measured in-process."""
    try:
        from lapor.web import listing
    except ImportError:
        return False
    parsed, problems = listing.parse(case.params, tz)
    return not problems and parsed == case.filters


# --- the run --------------------------------------------------------------------------------


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        db.dispose_all()
    else:
        with scratch_database() as scratch:
            yield scratch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9, help="warm runs per case")
    parser.add_argument("--database", help="use (and keep) this database instead of a scratch one")
    parser.add_argument("--sql", action="append", default=[], help="run before measuring")
    parser.add_argument("--only", action="append", default=[], help="measure only these cases")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE to stderr")
    parser.add_argument("--no-api", action="store_true", help="skip the staff API")
    args = parser.parse_args()
    with database(args.database) as url:
        print(json.dumps(run(url, args), indent=2))


def run(url: str, args: argparse.Namespace) -> dict:
    settings = Settings.from_env(
        {
            "LAPOR_ENV": "test",
            "LAPOR_SECRET_KEY": "bench",
            "LAPOR_REDIS_URL": "redis://127.0.0.1:6379/14",
        },
        {"database_url": url},
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    db.migrate(settings.database_url)
    engine = db.engine_for(settings.database_url)
    with engine.connect() as connection:
        stored, latest = connection.execute(
            sa.text("SELECT count(*), max(received_at) FROM complaint")
        ).one()
        server = {
            name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
            for name in ("server_version", "shared_buffers", "work_mem", "jit")
        }
    report: dict = {"complaints": stored or args.count, "server": server}
    if not stored:
        with db.session_scope(settings) as session:
            region.seed_agencies(session, region.registry_for(settings.region))
        report.update(load(settings, args.count, now))
    else:  # the moment the stored complaints were generated for
        now = latest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        report["reused_database"] = True
    with engine.connect() as connection:
        officer_id, officer_code, officer_open = connection.execute(
            sa.text(
                "SELECT c.agency_id, a.code, count(*) FROM complaint c"
                " JOIN agency a ON a.id = c.agency_id"
                " WHERE c.status NOT IN ('closed', 'rejected', 'forwarded')"
                " GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"
            )
        ).one()
        codes = connection.execute(
            sa.text(
                "(SELECT tracking_code FROM complaint WHERE id = :middle) UNION ALL"
                " (SELECT tracking_code FROM complaint WHERE agency_id = :agency"
                " ORDER BY id DESC LIMIT 1)"
            ),
            {"middle": max(1, report["complaints"] // 2), "agency": officer_id},
        ).scalars()
        code, own_code = list(codes)
        statuses = dict(
            connection.execute(
                sa.text("SELECT status, count(*) FROM complaint GROUP BY 1 ORDER BY 2 DESC")
            ).all()
        )
    report["statuses"] = statuses
    report["officer_agency"] = {"code": officer_code, "open": officer_open}
    tokens = _users(settings, officer_code, now)
    with engine.connect() as connection:
        staff = {
            name: Staff(id=i, role=Role(role), agency_id=agency)
            for name, i, role, agency in connection.execute(
                sa.text("SELECT username, id, role, agency_id FROM app_user")
            )
        }
    for statement in args.sql:
        t = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)
        _progress(f"{statement[:80]}: {time.perf_counter() - t:.1f} s")
    if args.sql:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE complaint")
        report["sql"] = args.sql
    first = (now - timedelta(days=60)).replace(day=1, hour=0)
    month = (
        datetime(first.year, first.month, 1, tzinfo=settings.tz),
        datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=settings.tz),
    )
    chosen = [
        c
        for c in cases(code, officer_code, own_code, month)
        if not args.only or c.name in args.only
    ]
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    results: dict = {}
    for case in chosen:
        who = staff[f"bench-{case.who}"]
        if args.explain:
            _progress(explain(engine, who, case, now))
        results[case.name] = {"service": measure_service(engine, who, case, now, args.runs)}
        _progress(f"{case.name}: {json.dumps(results[case.name]['service'])}")
    if not args.no_api and api_ready():
        app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
        client = app.test_client()
        for case in chosen:
            api = measure_api(client, tokens[case.who], case, args.runs)
            api["same_filters"] = _params_match(case, settings.tz)
            results[case.name]["api"] = api
            _progress(f"{case.name} api: {api['median_ms']} ms")
    else:
        report["api"] = "skipped: the staff API does not read the list's query string yet"
    report["now"] = now.isoformat()
    report["cases"] = results
    report["over_target"] = [
        f"{name} {part}"
        for name, result in results.items()
        for part in ("service", "api")
        if part in result and result[part]["median_ms"] > TARGET_MS
    ]
    return report


def _users(settings: Settings, officer_code: str, now: datetime) -> dict[str, str]:
    """A supervisor, a verifier and an officer of the busiest OPD, and an API token each."""
    tokens = {}
    with db.session_scope(settings) as session:
        for who in ("supervisor", "verifier", "officer"):
            username = f"bench-{who}"
            try:
                accounts.create_user(
                    session,
                    username=username,
                    password=PASSWORD,
                    role=who,
                    now=now,
                    agency_code=officer_code if who == "officer" else None,
                )
            except DomainError as exc:  # already there in a reused database
                if exc.code != "username_taken":
                    raise
            tokens[who] = accounts.create_token(session, username, now=now)
    return tokens


if __name__ == "__main__":
    main()
