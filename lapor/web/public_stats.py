"""Public accountability: /kinerja shows how each OPD handles its complaints this year or over
the last 90 days, with a chart of its months (inline SVG: no script), and
/api/v1/stats/agencies gives the same figures as JSON or CSV. Counts and rates only, never
anything of a complaint itself; each period's figures are cached briefly in Redis."""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

import redis
from babel.numbers import NumberPattern, parse_pattern
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale, format_date, get_locale, gettext

from lapor.domain.language import N_
from lapor.domain.timefmt import utcnow
from lapor.infra import broker, db, redis_keys
from lapor.services import compliance
from lapor.web.api import error_response, language
from lapor.web.charts import Box, bars_and_line
from lapor.web.console import defused
from lapor.web.limits import limiter

log = logging.getLogger(__name__)
bp = Blueprint("public_stats", __name__)

# Figures computed at most once a minute per period, however often they are asked for
# (LAPOR_STATS_CACHE_SECONDS in the app config; 0 computes them for every request).
CACHE_SECONDS = 60
# Generous for people and for open-data scripts; only a flood from one address is cut off.
LIMIT = "60/minute;600/hour"
FIRST_YEAR = 2000
YEARS_OFFERED = 5  # the page's year list: this year and the four before

# What each figure means, for the page's notes and the JSON's `definitions`.
DEFINITIONS = {
    "received": N_(
        "Pengaduan yang diterima pada periode ini dan kini ditangani OPD ini (pengaduan yang "
        "dialihkan dihitung pada OPD tujuan)."
    ),
    "on_time_share": N_(
        "Tanggapan pertama dalam tenggat (hari kerja menurut kebijakan layanan), dibagi jumlah "
        "tanggapan ditambah pengaduan yang tenggatnya lewat tanpa tanggapan."
    ),
    "median_days_to_answer": N_(
        "Median hari kalender dari pengaduan diterima sampai tanggapan pertama OPD."
    ),
    "on_time_resolution_share": N_(
        "Selesai dalam tenggat penyelesaian (60 hari kalender), dibagi jumlah yang selesai "
        "ditambah yang lewat tenggat tanpa selesai."
    ),
    "reopen_share": N_(
        "Pengaduan yang dibuka kembali oleh pelapor karena belum tuntas, dibagi jumlah pengaduan "
        "yang pernah dinyatakan selesai."
    ),
    "mean_rating": N_("Rata-rata nilai pelapor (1–5) atas penyelesaian pengaduannya."),
}


def _definitions() -> dict[str, str]:
    return {name: gettext(text) for name, text in DEFINITIONS.items()}


@dataclass(frozen=True)
class Names:
    """A query's parameter names and period values: the page's Indonesian, the API's English."""

    period: str
    year: str
    kinds: dict[str, str]  # the value in the query → compliance.Period.kind, default first


PAGE = Names("periode", "tahun", {"tahun": "year", "90hari": "90d"})
API = Names("period", "year", {"year": "year", "90d": "90d"})


def _period(names: Names, now: datetime) -> tuple[compliance.Period, dict[str, str]]:
    """The period the query asks for (this year by default), and what is wrong with it."""
    tz = current_app.extensions["lapor.settings"].tz
    problems: dict[str, str] = {}
    raw_kind = request.args.get(names.period, "")
    kind = names.kinds.get(raw_kind or next(iter(names.kinds)))
    if kind is None:
        first, second = names.kinds
        problems[names.period] = gettext(
            "Periode tidak dikenal: gunakan %(first)s atau %(second)s.", first=first, second=second
        )
        kind = "year"
    current = now.astimezone(tz).year
    year, raw_year = current, request.args.get(names.year, "")
    if raw_year and kind == "90d":
        problems[names.year] = gettext(
            "Tahun hanya dipakai untuk periode tahunan; 90 hari terakhir selalu berakhir hari ini."
        )
    elif raw_year:
        if re.fullmatch(r"[0-9]{4}", raw_year) and FIRST_YEAR <= int(raw_year) <= current:
            year = int(raw_year)
        else:
            problems[names.year] = gettext(
                "Tahun harus empat angka antara %(first)s dan %(last)s.",
                first=FIRST_YEAR,
                last=current,
            )
    if kind == "90d":
        return compliance.recent_period(now, tz), problems
    return compliance.year_period(year, now, tz), problems


def _figures(period: compliance.Period, now: datetime) -> dict:
    """The period's report, from Redis when it was computed in the last minute; computed
    (and served) all the same when Redis is unavailable."""
    seconds = current_app.config.get("LAPOR_STATS_CACHE_SECONDS", CACHE_SECONDS)
    key = redis_keys.public_stats(period.key)
    client = broker.get_redis()
    if seconds:
        try:
            cached = client.get(key)
        except redis.RedisError as exc:
            log.warning("public stats cache unavailable: %s", exc)
            cached = None
        if cached:
            return json.loads(cached)
    report = compliance.public_report(db.get_session(), period, now)
    if seconds:
        try:
            client.set(key, json.dumps(report), ex=seconds)
        except redis.RedisError as exc:
            log.warning("public stats cache unavailable: %s", exc)
    return report


def _query(period: compliance.Period, names: Names) -> dict:
    """The query string that asks for this period, in a page's or the API's names."""
    value = next(v for v, kind in names.kinds.items() if kind == period.kind)
    query = {names.period: value}
    if period.kind == "year":
        query[names.year] = str(period.year)
    return query


def _links(period: compliance.Period) -> dict:
    api = _query(period, API)
    return {
        "page": url_for("public_stats.page", **_query(period, PAGE)),
        "json": url_for("public_stats.agencies", **api),
        "csv": url_for("public_stats.agencies", **api, format="csv"),
        "csv_months": url_for("public_stats.agencies", **api, format="csv", by="month"),
    }


# --- the page ----------------------------------------------------------------------------


@bp.get("/kinerja")
@limiter.limit(LIMIT)
def page():
    """Each OPD's figures and monthly chart, for this year (or another) or the last 90 days."""
    now = utcnow()
    period, problems = _period(PAGE, now)
    report = _figures(period, now)
    active = [r for r in report["agencies"] if r["received"]]
    current = now.astimezone(current_app.extensions["lapor.settings"].tz).year
    return render_template(
        "kinerja.html",
        report=report,
        period=period,
        active=active,
        quiet=[r for r in report["agencies"] if not r["received"]],
        charts={r["code"]: _chart(r["months"]) for r in active},
        problems=list(problems.values()),
        years=_years(current, period),
        links=_links(period),
        definitions=_definitions(),
        formula=gettext(compliance.FORMULA),
        pct=_pct,
        num=_num,
        # Each month's name once (short under the bars, long in the tables), not once per OPD.
        month_names={
            m: (_month(m, "LLL"), _month(m, "LLLL yyyy")) for m in report["period"]["months"]
        },
        day=_day,
    ), (400 if problems else 200)


def _years(current: int, period: compliance.Period) -> list[int]:
    """The years the page offers, newest first: the last few, and the one shown."""
    recent = {current - i for i in range(YEARS_OFFERED)} | {period.year or current}
    return sorted(recent, reverse=True)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{round(share * 100)}%"


def _num(value: float | None, digits: int = 1) -> str:
    """A figure as the page's language writes it (80,8 in Indonesian, 80.8 in English)."""
    return "-" if value is None else _pattern(digits).apply(value, get_locale())


@functools.cache
def _pattern(digits: int) -> NumberPattern:
    """The number pattern, parsed once (format_decimal parses it again for every figure)."""
    return parse_pattern("#,##0." + "0" * digits)


def _month(month: str, pattern: str) -> str:
    """'2026-03' as 'Mar' ('LLL') or 'Maret 2026' ('LLLL yyyy') in the page's language."""
    return format_date(date.fromisoformat(month + "-01"), pattern)


def _day(iso: str) -> str:
    return format_date(date.fromisoformat(iso), "d MMMM yyyy")


# An OPD's chart in its 360 × 136 viewBox: received per month as bars on the left axis, the
# share answered on time as a line on the right axis (0–100 %), a month name under each bar
# (a period has at most 12 months).
CHART_BOX = Box(left=34, right=322, top=10, bottom=118)


def _chart(months: list[dict]) -> dict:
    """The geometry of one OPD's monthly chart."""
    counts = [m["received"] for m in months]
    chart = bars_and_line(counts, [m["on_time_share"] for m in months], CHART_BOX, bar=0.7)
    for bar, month in zip(chart["bars"], months, strict=True):
        bar["month"] = month["month"]
    return chart


# --- the data: JSON and CSV --------------------------------------------------------------

AGENCY_COLUMNS = (
    "code",
    "name",
    "received",
    "answered",
    "answered_on_time",
    "overdue_unanswered",
    "on_time_share",
    "median_days_to_answer",
    "resolved",
    "resolved_on_time",
    "overdue_unresolved",
    "on_time_resolution_share",
    "reopened",
    "reopen_share",
    "ratings",
    "mean_rating",
    "score",
    "zone",
)
MONTH_COLUMNS = ("month", "received", "answered_on_time", "answers_due", "on_time_share")
PERIOD_COLUMNS = ("period", "first_day", "last_day")


@bp.get("/api/v1/stats/agencies")
@limiter.limit(LIMIT)
def agencies():
    """Every OPD's figures as JSON (with the formula, the period's bounds and each OPD's
    months) or as CSV (`format=csv` or `Accept: text/csv`; `by=month` for the months)."""
    now = utcnow()
    with force_locale(language()):
        period, problems = _period(API, now)
        wanted = _format(problems)
        by = request.args.get("by", "")
        if by not in ("", "agency", "month"):
            problems["by"] = gettext("by harus agency atau month.")
        elif by and wanted != "csv":
            problems["by"] = gettext("by hanya untuk CSV; JSON memuat bulan di setiap OPD.")
        if problems:
            message = gettext("Parameter tidak valid; lihat keterangan tiap parameter.")
            return error_response(400, "validation_failed", message, fields=problems)
        report = _figures(period, now)
        if wanted == "csv":
            return _csv(report, period, by or "agency")
        response = jsonify(
            {
                **report,
                "formula": {"text": gettext(compliance.FORMULA), **report["formula"]},
                "definitions": _definitions(),
                "links": _links(period),
            }
        )
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def _format(problems: dict[str, str]) -> str:
    """json or csv: the `format` parameter, else what the Accept header prefers (JSON first)."""
    raw = request.args.get("format", "")
    if raw and raw not in ("json", "csv"):
        problems["format"] = gettext("format harus json atau csv.")
    if raw:
        return raw
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return "csv" if best == "text/csv" else "json"


def _csv(report: dict, period: compliance.Period, by: str) -> Response:
    """One row per OPD (or per OPD and month), a header row first, UTF-8, '.' decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    bounds = [
        str(period.year) if period.kind == "year" else period.kind,
        report["period"]["first_day"],
        report["period"]["last_day"],
    ]
    if by == "month":
        writer.writerow([*PERIOD_COLUMNS, "code", *MONTH_COLUMNS])
        for row in report["agencies"]:
            for month in row["months"]:
                cells = [month[c] for c in MONTH_COLUMNS]
                writer.writerow([*bounds, defused(row["code"]), *(_cell(v) for v in cells)])
    else:
        writer.writerow([*PERIOD_COLUMNS, *AGENCY_COLUMNS])
        for row in report["agencies"]:
            writer.writerow([*bounds, *(_cell(defused(row[c])) for c in AGENCY_COLUMNS)])
    name = f"kinerja-opd-{bounds[0]}-{by}.csv"
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.vary.add("Accept")
    return response


def _cell(value: object) -> object:
    return "" if value is None else value
