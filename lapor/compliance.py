"""How each OPD handles its complaints: volume, timeliness, speed, reopenings, ratings, and a
compliance score with a zone in the spirit of the Ombudsman's (hijau / kuning / merah).

The score (0–100) of an OPD over a period, from the complaints it received in that period:

    score = 100 × (0.5 × on-time answer rate + 0.3 × on-time resolution rate
                   + 0.2 × (mean rating − 1) / 4)

on-time answer rate: answers within the 5-working-day deadline, over answers plus complaints
whose deadline passed unanswered; on-time resolution rate: resolved within 60 days, over
resolved plus those past 60 days unresolved. Without ratings the first two carry the whole
weight (0.5 and 0.3 scaled to 1). Zones follow the Ombudsman's bands: hijau 81–100,
kuning 51–80, merah 0–50. An OPD with nothing due yet has no score.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from models import Agency, Complaint, ComplaintEvent, Feedback

FORMULA = (
    "Skor = 100 × (0,5 × tanggapan tepat waktu + 0,3 × selesai ≤ 60 hari "
    "+ 0,2 × (rata-rata nilai − 1) / 4); tanpa penilaian, bobot 0,5 dan 0,3 dinaikkan "
    "menjadi 0,625 dan 0,375. Zona: hijau 81–100, kuning 51–80, merah 0–50."
)
WEIGHTS = (0.5, 0.3, 0.2)


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
    if value > 80:
        return "hijau"
    return "kuning" if value > 50 else "merah"


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
    rating: float | None = None
    ratings: int = 0
    median_answer_hours: float | None = None
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
        return self.reopened / self.resolved if self.resolved else None

    @property
    def score(self) -> float | None:
        return score(self.on_time_answer_rate, self.on_time_resolution_rate, self.rating)

    @property
    def zone(self) -> str | None:
        return zone(self.score)


def agency_stats(
    session: Session, start: datetime, end: datetime, now: datetime, agency_code: str | None = None
) -> list[AgencyStats]:
    """Per OPD, the complaints received in [start, end): one grouped query per measure."""
    C = Complaint
    period = [C.received_at >= start, C.received_at < end, C.agency_id.is_not(None)]
    agencies = select(Agency.id, Agency.code, Agency.name)
    if agency_code:
        agencies = agencies.where(Agency.code == agency_code.upper())
    names = {row.id: row for row in session.exec(agencies).all()}
    counts = session.exec(
        select(
            C.agency_id,
            sa.func.count(),
            sa.func.count(C.first_response_at),
            sa.func.sum(sa.case((C.answered_on_time.is_(True), 1), else_=0)),
            sa.func.sum(
                sa.case(
                    (sa.and_(C.first_response_at.is_(None), C.response_due_at < now), 1), else_=0
                )
            ),
            sa.func.count(C.resolved_at),
            sa.func.sum(sa.case((C.resolved_at <= C.resolution_due_at, 1), else_=0)),
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            C.resolved_at.is_(None),
                            C.closed_at.is_(None),
                            C.resolution_due_at < now,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(*period)
        .group_by(C.agency_id)
    ).all()
    stats: dict[int, AgencyStats] = {}
    for agency_id, volume, answered, on_time, late, resolved, resolved_ok, unresolved in counts:
        if agency_id not in names:
            continue
        stats[agency_id] = AgencyStats(
            code=names[agency_id].code,
            name=names[agency_id].name,
            volume=volume,
            answered=answered,
            answered_on_time=on_time or 0,
            overdue_unanswered=late or 0,
            resolved=resolved,
            resolved_on_time=resolved_ok or 0,
            overdue_unresolved=unresolved or 0,
        )
    _add_reopenings(session, stats, period)
    _add_ratings(session, stats, period)
    _add_medians(session, stats, period)
    return sorted(stats.values(), key=lambda s: (s.score is None, -(s.score or 0), s.code))


def _add_reopenings(session: Session, stats: dict[int, AgencyStats], period) -> None:
    rows = session.exec(
        select(Complaint.agency_id, sa.func.count(sa.distinct(ComplaintEvent.complaint_id)))
        .join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
        .where(*period, ComplaintEvent.action == "reopen")
        .group_by(Complaint.agency_id)
    ).all()
    for agency_id, count in rows:
        if agency_id in stats:
            stats[agency_id].reopened = count


def _add_ratings(session: Session, stats: dict[int, AgencyStats], period) -> None:
    rows = session.exec(
        select(Complaint.agency_id, sa.func.avg(Feedback.rating), sa.func.count())
        .join(Feedback, Feedback.complaint_id == Complaint.id)
        .where(*period)
        .group_by(Complaint.agency_id)
    ).all()
    for agency_id, mean, count in rows:
        if agency_id in stats:
            stats[agency_id].rating = round(float(mean), 2)
            stats[agency_id].ratings = count


def _add_medians(session: Session, stats: dict[int, AgencyStats], period) -> None:
    """Median hours to the first answer and days to resolution, from received."""
    C = Complaint
    if session.get_bind().dialect.name == "postgresql":
        answer = sa.func.percentile_cont(0.5).within_group(
            sa.extract("epoch", C.first_response_at - C.received_at)
        )
        resolution = sa.func.percentile_cont(0.5).within_group(
            sa.extract("epoch", C.resolved_at - C.received_at)
        )
        rows = session.exec(
            select(C.agency_id, answer, resolution).where(*period).group_by(C.agency_id)
        ).all()
        for agency_id, answer_s, resolution_s in rows:
            if agency_id in stats:
                _set_medians(stats[agency_id], answer_s, resolution_s)
        return
    # SQLite has no percentile function: a small installation's rows are few, do it here.
    durations: dict[int, tuple[list[float], list[float]]] = {}
    rows = session.exec(
        select(C.agency_id, C.received_at, C.first_response_at, C.resolved_at).where(*period)
    ).all()
    for agency_id, received, answered, resolved in rows:
        answers, resolutions = durations.setdefault(agency_id, ([], []))
        if answered is not None:
            answers.append((answered - received).total_seconds())
        if resolved is not None:
            resolutions.append((resolved - received).total_seconds())
    for agency_id, (answers, resolutions) in durations.items():
        if agency_id in stats:
            _set_medians(
                stats[agency_id],
                statistics.median(answers) if answers else None,
                statistics.median(resolutions) if resolutions else None,
            )


def _set_medians(row: AgencyStats, answer_seconds, resolution_seconds) -> None:
    if answer_seconds is not None:
        row.median_answer_hours = round(float(answer_seconds) / 3600, 1)
    if resolution_seconds is not None:
        row.median_resolution_days = round(float(resolution_seconds) / 86400, 1)


def escalation_queue(session: Session, limit: int = 200) -> list[tuple[Complaint, Agency | None]]:
    """Open complaints escalated at least once, the highest level and oldest deadline first."""
    from lapor.staff import OPEN

    due = sa.func.coalesce(
        Complaint.verification_due_at, Complaint.response_due_at, Complaint.resolution_due_at
    )
    return list(
        session.exec(
            select(Complaint, Agency)
            .join(Agency, Agency.id == Complaint.agency_id, isouter=True)
            .where(Complaint.escalation_level > 0, Complaint.status.in_(OPEN))
            .order_by(Complaint.escalation_level.desc(), due.asc())
            .limit(limit)
        ).all()
    )
