"""How each OPD handles its complaints: volume, timeliness, speed, reopenings, ratings, and a
compliance score with a zone in the spirit of the Ombudsman's (hijau / kuning / merah).

The score (0–100) of an OPD over a period, from the complaints it received in that period:

    score = 100 × (0.5 × on-time answer rate + 0.3 × on-time resolution rate
                   + 0.2 × (mean rating − 1) / 4)

on-time answer rate: answers within the 5-working-day deadline, over answers plus complaints
whose deadline passed unanswered; on-time resolution rate: resolved within 60 days, over
resolved plus those past 60 days unresolved. Without ratings the first two carry the whole
weight (0.5 and 0.3 scaled to 1). The score is rounded to one decimal, and the zone is
decided on that rounded score, the number people see (ZONES): the Ombudsman's bands hijau
81–100, kuning 51–80, merah 0–50 with the gaps between them closed at one decimal, so hijau
80,1–100, kuning 50,1–80,0, merah 0–50,0. An OPD with nothing due yet has no score.
The reopen share is over the complaints ever declared resolved.

The supervisors' dashboard reads these figures for any period; the public report
(public_report: /kinerja and /api/v1/stats/agencies) gives them for every own active OPD over
a year or the last 90 days, with a monthly series, as counts and rates only.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.domain.deadlines import next_deadline_expression
from lapor.domain.language import N_
from lapor.domain.workflow import OPEN, Action
from models import Agency, AgencyKind, Complaint, ComplaintEvent, Feedback

FORMULA = N_(
    "Skor = 100 × (0,5 × tanggapan tepat waktu + 0,3 × selesai ≤ 60 hari "
    "+ 0,2 × (rata-rata nilai − 1) / 4); tanpa penilaian, bobot 0,5 dan 0,3 dinaikkan "
    "menjadi 0,625 dan 0,375. Skor dibulatkan ke satu desimal; zona ditentukan dari skor "
    "yang sudah dibulatkan itu: hijau 80,1–100, kuning 50,1–80,0, merah 0–50,0."
)
# Each zone and the lowest one-decimal score in it, best first (see the module's docstring).
ZONES = (("hijau", 80.1), ("kuning", 50.1), ("merah", 0.0))
WEIGHTS = (0.5, 0.3, 0.2)
WEIGHT_NAMES = ("on_time_answers", "on_time_resolutions", "rating")  # the public API's names


def score(on_time_answers: float | None, on_time_resolutions: float | None, rating: float | None):
    """The compliance score (0–100) from rates in 0..1 and a mean rating 1..5, or None."""
    parts = [
        (WEIGHTS[0], on_time_answers),
        (WEIGHTS[1], on_time_resolutions),
        (WEIGHTS[2], None if rating is None else (rating - 1) / 4),
    ]
    known = [(w, v) for w, v in parts if v is not None]
    if not known or (on_time_answers is None and on_time_resolutions is None):
        return None
    total = sum(w for w, _ in known)
    return round(100 * sum(w * v for w, v in known) / total, 1)


def zone(value: float | None) -> str | None:
    """hijau, kuning or merah for a score; None without one."""
    if value is None:
        return None
    shown = round(value, 1)  # the zone of the number on the page, never of a hidden decimal
    return next((name for name, lowest in ZONES if shown >= lowest), ZONES[-1][0])


def zone_bands() -> list[dict]:
    """The zones with their lowest and highest one-decimal score, for a legend."""
    highest = [100.0] + [round(lowest - 0.1, 1) for _, lowest in ZONES[:-1]]
    return [
        {"zone": name, "low": lowest, "high": top}
        for (name, lowest), top in zip(ZONES, highest, strict=True)
    ]


@dataclass
class AgencyStats:
    code: str
    name: str
    volume: int = 0
    answered: int = 0
    answered_on_time: int = 0
    overdue_unanswered: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    overdue_unresolved: int = 0
    reopened: int = 0
    ever_resolved: int = 0  # declared resolved at least once (resolved now, or reopened)
    rating: float | None = None
    ratings: int = 0
    median_answer_hours: float | None = None
    median_answer_days: float | None = None
    median_resolution_days: float | None = None

    @property
    def on_time_answer_rate(self) -> float | None:
        due = self.answered + self.overdue_unanswered
        return self.answered_on_time / due if due else None

    @property
    def on_time_resolution_rate(self) -> float | None:
        due = self.resolved + self.overdue_unresolved
        return self.resolved_on_time / due if due else None

    @property
    def reopen_rate(self) -> float | None:
        # Over those ever declared resolved: one reopened and not yet resolved again counts
        # above and below the line, so the share stays within 0–100 %.
        return self.reopened / self.ever_resolved if self.ever_resolved else None

    @property
    def score(self) -> float | None:
        return score(self.on_time_answer_rate, self.on_time_resolution_rate, self.rating)

    @property
    def zone(self) -> str | None:
        return zone(self.score)


def agency_stats(
    session: Session, start: datetime, end: datetime, now: datetime, agency_code: str | None = None
) -> list[AgencyStats]:
    """Per OPD, the complaints received in [start, end), in one grouped scan of the period."""
    C = Complaint
    agencies = select(Agency.id, Agency.code, Agency.name)
    if agency_code:
        agencies = agencies.where(Agency.code == agency_code.upper())
    names = {row.id: row for row in session.exec(agencies).all()}
    postgres = session.get_bind().dialect.name == "postgresql"
    measures = [
        C.agency_id,
        sa.func.count(),
        sa.func.count(C.first_response_at),
        _count_if(C.answered_on_time.is_(True)),
        _count_if(sa.and_(C.first_response_at.is_(None), C.response_due_at < now)),
        sa.func.count(C.resolved_at),
        _count_if(C.resolved_at <= C.resolution_due_at),
        _count_if(
            sa.and_(C.resolved_at.is_(None), C.closed_at.is_(None), C.resolution_due_at < now)
        ),
        _count_if(C.reopen_count > 0),
        sa.func.avg(C.rating),
        sa.func.count(C.rating),
        _count_if(sa.or_(C.resolved_at.is_not(None), C.reopen_count > 0)),
    ]
    if postgres:
        measures += [_median_seconds(C.first_response_at), _median_seconds(C.resolved_at)]
    query = select(*measures).where(
        C.received_at >= start, C.received_at < end, C.agency_id.in_(list(names))
    )
    stats: dict[int, AgencyStats] = {}
    for row in session.exec(query.group_by(C.agency_id)).all():
        agency_id = row[0]
        stats[agency_id] = AgencyStats(
            code=names[agency_id].code,
            name=names[agency_id].name,
            volume=row[1],
            answered=row[2],
            answered_on_time=row[3] or 0,
            overdue_unanswered=row[4] or 0,
            resolved=row[5],
            resolved_on_time=row[6] or 0,
            overdue_unresolved=row[7] or 0,
            reopened=row[8] or 0,
            rating=round(float(row[9]), 2) if row[9] is not None else None,
            ratings=row[10],
            ever_resolved=row[11] or 0,
        )
        if postgres:
            _set_medians(stats[agency_id], row[12], row[13])
    if not postgres:
        _python_medians(session, stats, start, end)
    return sorted(stats.values(), key=lambda s: (s.score is None, -(s.score or 0), s.code))


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _median_seconds(moment) -> sa.ColumnElement[float]:
    """PostgreSQL's median of (moment − received) in seconds."""
    return sa.func.percentile_cont(0.5).within_group(
        sa.extract("epoch", moment - Complaint.received_at)
    )


def _python_medians(session: Session, stats: dict[int, AgencyStats], start, end) -> None:
    """SQLite has no percentile function: a small installation's rows are few, do it here."""
    C = Complaint
    durations: dict[int, tuple[list[float], list[float]]] = {}
    rows = session.exec(
        select(C.agency_id, C.received_at, C.first_response_at, C.resolved_at).where(
            C.received_at >= start, C.received_at < end, C.agency_id.in_(list(stats))
        )
    ).all()
    for agency_id, received, answered, resolved in rows:
        answers, resolutions = durations.setdefault(agency_id, ([], []))
        if answered is not None:
            answers.append((answered - received).total_seconds())
        if resolved is not None:
            resolutions.append((resolved - received).total_seconds())
    for agency_id, (answers, resolutions) in durations.items():
        _set_medians(
            stats[agency_id],
            statistics.median(answers) if answers else None,
            statistics.median(resolutions) if resolutions else None,
        )


def _set_medians(row: AgencyStats, answer_seconds, resolution_seconds) -> None:
    if answer_seconds is not None:
        row.median_answer_hours = round(float(answer_seconds) / 3600, 1)
        row.median_answer_days = round(float(answer_seconds) / 86400, 1)
    if resolution_seconds is not None:
        row.median_resolution_days = round(float(resolution_seconds) / 86400, 1)


@dataclass
class Week:
    start: str  # the Monday, YYYY-MM-DD
    volume: int
    on_time_rate: float | None


def weekly_trend(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    agency_code: str | None = None,
) -> list[Week]:
    """Complaints received per week in the period, and the share answered on time."""
    C = Complaint
    if session.get_bind().dialect.name == "postgresql":
        local = sa.func.timezone(timezone, C.received_at)
        week = sa.func.to_char(sa.func.date_trunc("week", local), "YYYY-MM-DD")
    else:  # SQLite keeps UTC text; its weeks are UTC weeks
        week = sa.func.strftime("%Y-%m-%d", C.received_at, "weekday 0", "-6 days")
    query = select(
        week.label("week"),
        sa.func.count(),
        _count_if(C.answered_on_time.is_(True)),
        sa.func.count(C.first_response_at),
        _count_if(sa.and_(C.first_response_at.is_(None), C.response_due_at < now)),
    ).where(C.received_at >= start, C.received_at < end)
    if agency_code:
        query = query.join(Agency, Agency.id == C.agency_id).where(
            Agency.code == agency_code.upper()
        )
    weeks = []
    for label, volume, on_time, answered, late in session.exec(
        query.group_by("week").order_by("week")
    ).all():
        due = answered + (late or 0)
        weeks.append(Week(str(label), volume, (on_time or 0) / due if due else None))
    return weeks


def escalation_queue(session: Session, limit: int = 200) -> list[tuple[Complaint, Agency | None]]:
    """Open complaints escalated at least once, the highest level and oldest deadline first."""
    due = next_deadline_expression()
    return list(
        session.exec(
            select(Complaint, Agency)
            .join(Agency, Agency.id == Complaint.agency_id, isouter=True)
            .where(Complaint.escalation_level > 0, Complaint.status.in_(OPEN))
            # the partial index ix_complaint_escalated serves exactly this condition
            .order_by(Complaint.escalation_level.desc(), due.asc())
            .limit(limit)
        ).all()
    )


@dataclass(frozen=True)
class Voice:
    """What a reporter said of an OPD's work: a rating (with its comment) or a reopen reason."""

    tracking_code: str
    at: datetime
    text: str | None
    rating: int | None = None


def ratings(
    session: Session, agency_code: str, start: datetime, end: datetime, limit: int = 50
) -> list[Voice]:
    """The ratings of an OPD's complaints received in [start, end), the newest first: the
    same complaints as its row on the dashboard, so the list explains the mean shown there."""
    rows = session.exec(
        select(Complaint.tracking_code, Feedback.created_at, Feedback.comment, Feedback.rating)
        .join(Complaint, Complaint.id == Feedback.complaint_id)
        .where(*_received_by(agency_code, start, end))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    ).all()
    return [Voice(code, at, comment, rating) for code, at, comment, rating in rows]


def reopen_reasons(
    session: Session, agency_code: str, start: datetime, end: datetime, limit: int = 50
) -> list[Voice]:
    """Why reporters reopened an OPD's complaints received in [start, end), the newest first."""
    rows = session.exec(
        select(Complaint.tracking_code, ComplaintEvent.at, ComplaintEvent.note)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(ComplaintEvent.action == Action.REOPEN.value, *_received_by(agency_code, start, end))
        .order_by(ComplaintEvent.at.desc(), ComplaintEvent.id.desc())
        .limit(limit)
    ).all()
    return [Voice(code, at, note) for code, at, note in rows]


def _received_by(agency_code: str, start: datetime, end: datetime) -> list:
    """The complaints of one OPD received in the period (the dashboard's population)."""
    agency_id = select(Agency.id).where(Agency.code == agency_code.upper()).scalar_subquery()
    return [
        Complaint.agency_id == agency_id,
        Complaint.received_at >= start,
        Complaint.received_at < end,
    ]


# --- the public report: /kinerja and /api/v1/stats/agencies ------------------------------

RECENT_DAYS = 90


@dataclass(frozen=True)
class Period:
    """A public report's period in whole local days: [start, end), both local midnights."""

    kind: str  # "year" or "90d"
    start: datetime
    end: datetime
    year: int | None = None

    @property
    def key(self) -> str:
        """Its kind and days: what its figures are cached under (a new day, a new key)."""
        return f"{self.kind}:{self.start.date().isoformat()}:{self.end.date().isoformat()}"


def year_period(year: int, now: datetime, tz: ZoneInfo) -> Period:
    """A calendar year; the current one up to the end of today."""
    last = min(date(year, 12, 31), now.astimezone(tz).date())
    return Period("year", _midnight(date(year, 1, 1), tz), _midnight(_next_day(last), tz), year)


def recent_period(now: datetime, tz: ZoneInfo, days: int = RECENT_DAYS) -> Period:
    """The last `days` local days, today included (as the supervisors' dashboard counts)."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    return Period("90d", _midnight(first, tz), _midnight(_next_day(today), tz))


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _next_day(day: date) -> date:
    return day + timedelta(days=1)


def months_of(period: Period) -> list[str]:
    """The local months (YYYY-MM) the period touches, in order."""
    month = period.start.date().replace(day=1)
    last = period.end.date() - timedelta(days=1)
    months = []
    while month <= last:
        months.append(f"{month:%Y-%m}")
        month = (month + timedelta(days=32)).replace(day=1)
    return months


@dataclass
class Month:
    month: str  # YYYY-MM, local
    received: int = 0
    answered_on_time: int = 0
    answers_due: int = 0  # answered, or unanswered past the deadline: the on-time share's base

    @property
    def on_time_share(self) -> float | None:
        return self.answered_on_time / self.answers_due if self.answers_due else None


def monthly_series(
    session: Session, period: Period, now: datetime, agency_ids: list[int]
) -> dict[int, list[Month]]:
    """Per OPD and local month of the period, the complaints received and how many of those
    due were answered on time: one grouped query for every OPD and month, months with
    nothing received included as zeros."""
    C = Complaint
    month = _local_month(session, period, now).label("month")
    query = (
        select(
            C.agency_id,
            month,
            sa.func.count(),
            _count_if(C.answered_on_time.is_(True)),
            sa.func.count(C.first_response_at),
            _count_if(sa.and_(C.first_response_at.is_(None), C.response_due_at < now)),
        )
        .where(
            C.received_at >= period.start,
            C.received_at < period.end,
            C.agency_id.in_(agency_ids),
        )
        .group_by(C.agency_id, "month")
    )
    labels = months_of(period)
    series = {agency_id: {m: Month(m) for m in labels} for agency_id in agency_ids}
    for agency_id, label, received, on_time, answered, late in session.exec(query).all():
        if label in series[agency_id]:
            series[agency_id][label] = Month(label, received, on_time or 0, answered + (late or 0))
    return {agency_id: list(months.values()) for agency_id, months in series.items()}


def _local_month(session: Session, period: Period, now: datetime) -> sa.ColumnElement[str]:
    """The local month (YYYY-MM) a complaint was received in."""
    received = Complaint.received_at
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(str(period.start.tzinfo), received), "YYYY-MM")
    # SQLite keeps UTC text and knows no zones: shift by the zone's offset, which is fixed
    # for Indonesia's WIB, WITA and WIT (no daylight saving time).
    offset = int(now.astimezone(period.start.tzinfo).utcoffset().total_seconds() // 60)
    return sa.func.strftime("%Y-%m", received, f"{offset:+d} minutes")


def own_agencies(session: Session) -> list[Agency]:
    """The region's own active OPDs (not the outside bodies complaints are forwarded to)."""
    return list(
        session.exec(
            select(Agency)
            .where(Agency.active.is_(True), Agency.kind != AgencyKind.EXTERNAL)
            .order_by(Agency.code)
        ).all()
    )


def public_report(session: Session, period: Period, now: datetime) -> dict:
    """Every own active OPD's figures over the period, with its months: counts, rates and
    the score only, never anything of a complaint itself (what /kinerja and the public API
    show). Plain JSON values, so the report can be cached as it is."""
    agencies = own_agencies(session)
    stats = {s.code: s for s in agency_stats(session, period.start, period.end, now)}
    series = monthly_series(session, period, now, [a.id for a in agencies])
    rows = [
        _public_row(a, stats.get(a.code) or AgencyStats(a.code, a.name), series[a.id])
        for a in agencies
    ]
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), -r["received"], r["code"]))
    last_day = period.end.date() - timedelta(days=1)
    return {
        "period": {
            "kind": period.kind,
            "year": period.year,
            "first_day": period.start.date().isoformat(),
            "last_day": last_day.isoformat(),
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "timezone": str(period.start.tzinfo),
            "months": months_of(period),
        },
        "generated_at": now.astimezone(UTC).isoformat(),
        "formula": {
            "weights": dict(zip(WEIGHT_NAMES, WEIGHTS, strict=True)),
            "zones": zone_bands(),
        },
        "agencies": rows,
    }


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _public_row(agency: Agency, s: AgencyStats, months: list[Month]) -> dict:
    return {
        "code": agency.code,
        "name": agency.name,
        "short_name": agency.short_name,
        "received": s.volume,
        "answered": s.answered,
        "answered_on_time": s.answered_on_time,
        "overdue_unanswered": s.overdue_unanswered,
        "on_time_share": _share(s.on_time_answer_rate),
        "median_days_to_answer": s.median_answer_days,
        "resolved": s.resolved,
        "resolved_on_time": s.resolved_on_time,
        "overdue_unresolved": s.overdue_unresolved,
        "on_time_resolution_share": _share(s.on_time_resolution_rate),
        "reopened": s.reopened,
        "reopen_share": _share(s.reopen_rate),
        "ratings": s.ratings,
        "mean_rating": s.rating,
        "score": s.score,
        "zone": s.zone,
        "months": [
            {
                "month": m.month,
                "received": m.received,
                "answered_on_time": m.answered_on_time,
                "answers_due": m.answers_due,
                "on_time_share": _share(m.on_time_share),
            }
            for m in months
        ],
    }
