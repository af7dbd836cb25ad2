"""Possible duplicates: the open complaints most like a new one, by text and by place."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.domain.workflow import UNRESOLVED
from lapor.routing.features import CharNgramHasher, SparseTfidf
from lapor.routing.text import prepare
from models import Complaint

OPEN = UNRESOLVED  # the complaints a new one may repeat
WINDOW = timedelta(days=90)
MAX_CANDIDATES = 3000
NEARBY_KM = 1.0
MIN_SCORE = 0.3


@dataclass(frozen=True)
class Place:
    regency: str | None = None
    district: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Candidate:
    id: int
    text: str
    place: Place


@dataclass(frozen=True)
class Match:
    id: int
    score: float  # text similarity adjusted by place, 0..1
    text_similarity: float
    distance_km: float | None


def distance_km(a: Place, b: Place) -> float | None:
    """Great-circle distance between two points, when both have one."""
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def place_factor(a: Place, b: Place) -> tuple[float, float | None]:
    """How place changes the score: near or same kecamatan raises it, elsewhere lowers it."""
    km = distance_km(a, b)
    if km is not None:
        return (1.2 if km <= NEARBY_KM else 1.0 if km <= 5 * NEARBY_KM else 0.7), km
    if a.district and b.district:
        return (1.15 if a.district == b.district else 0.8), None
    if a.regency and b.regency and a.regency != b.regency:
        return 0.7, None
    return 1.0, None


def rank(text: str, place: Place, candidates: list[Candidate], limit: int = 5) -> list[Match]:
    """The candidates most like the text (cosine of char n-gram TF-IDF), best first."""
    if not candidates or not text.strip():
        return []
    documents = [prepare(text)] + [prepare(c.text) for c in candidates]
    counts = CharNgramHasher((3, 5), 18).transform(documents)
    vectors = SparseTfidf().fit(counts).transform(counts)
    similarity = (vectors[1:] @ vectors[0].T).toarray().ravel()
    matches = []
    for index in np.argsort(-similarity)[: limit * 4]:
        factor, km = place_factor(place, candidates[index].place)
        score = min(1.0, float(similarity[index]) * factor)
        if score >= MIN_SCORE:
            matches.append(
                Match(candidates[index].id, round(score, 4), round(float(similarity[index]), 4), km)
            )
    matches.sort(key=lambda m: -m.score)
    return matches[:limit]


def similar_open_complaints(
    session: Session,
    complaint: Complaint,
    *,
    now: datetime,
    limit: int = 5,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> list[tuple[Complaint, Match]]:
    """Open complaints of the last 90 days most like this one (itself excluded); `where`
    narrows the candidates (to what a staff member may see)."""
    rows = session.exec(
        select(Complaint)
        .where(
            Complaint.status.in_(OPEN),
            Complaint.received_at >= now - WINDOW,
            Complaint.id != complaint.id,
            *where,
        )
        .order_by(Complaint.received_at.desc())
        .limit(MAX_CANDIDATES)
    ).all()
    by_id = {row.id: row for row in rows}
    candidates = [Candidate(row.id, row.text, _place(row)) for row in rows]
    return [(by_id[m.id], m) for m in rank(complaint.text, _place(complaint), candidates, limit)]


def _place(complaint: Complaint) -> Place:
    return Place(complaint.regency, complaint.district, complaint.lat, complaint.lon)
