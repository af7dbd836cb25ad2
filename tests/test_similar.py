"""Possible duplicates: similar open complaints, by text and place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lapor.domain import workflow
from lapor.domain.intake import Submission, submit
from lapor.routing.similar import Candidate, Place, rank, similar_open_complaints
from models import ActorKind

from support import domain_effects

EFFECTS = domain_effects()

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
ROAD = "Jalan berlubang besar di depan pasar Kahayan, sudah dua bulan belum diperbaiki"


def test_the_same_complaint_in_other_words_ranks_first():
    candidates = [
        Candidate(1, "Mohon bantuan sembako untuk lansia di RT 03", Place()),
        Candidate(
            2, "jalan depan pasar kahayan berlubang besar, belum diperbaiki 2 bulan", Place()
        ),
        Candidate(3, "Lampu jalan mati di Jl. Yos Sudarso", Place()),
    ]
    matches = rank(ROAD, Place(), candidates)
    assert [m.id for m in matches][:1] == [2]
    assert 1 not in [m.id for m in matches]  # unrelated text stays below the cut


def test_place_raises_nearby_and_lowers_distant_matches():
    text = "Sampah menumpuk di pinggir jalan dan berbau busuk"
    here = Place("Kota Palangka Raya", "Jekan Raya", -2.2100, 113.9000)
    near = Candidate(1, text, Place(lat=-2.2120, lon=113.9010))  # ~250 m away
    far = Candidate(2, text, Place(lat=-2.5400, lon=114.3000))  # ~57 km away
    matches = {m.id: m for m in rank(text, here, [far, near])}
    assert matches[1].score > matches[2].score
    assert matches[1].distance_km < 1 < matches[2].distance_km
    same_district = Candidate(3, text, Place(district="Jekan Raya"))
    other_district = Candidate(4, text, Place(district="Pahandut"))
    ranked = rank(text, Place(district="Jekan Raya"), [other_district, same_district])
    assert [m.id for m in ranked] == [3, 4]


def test_only_recent_open_complaints_are_candidates(session, store):
    def file(text, when=NOW):
        result = submit(session, Submission(text=text), now=when, store=store, **EFFECTS).complaint
        session.commit()
        return result

    new = file(ROAD)
    open_twin = file(ROAD + " mohon segera")
    closed_twin = file(ROAD + " tolong")
    workflow.apply(
        session,
        closed_twin,
        workflow.Action.FORWARD,
        actor=workflow.Actor(ActorKind.STAFF),
        now=NOW,
        change=workflow.Change(note="Jalan nasional: wewenang BPJN"),
        **EFFECTS,
    )
    old_twin = file(ROAD, when=NOW - timedelta(days=200))
    session.commit()
    found = [c.id for c, _ in similar_open_complaints(session, new, now=NOW)]
    assert found == [open_twin.id]
    assert closed_twin.id not in found and old_twin.id not in found and new.id not in found
