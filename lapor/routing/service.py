"""Routing in a running installation: the current router, training, retraining, rollback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from lapor.domain.routing_watch import KEY as WATCH_KEY
from lapor.domain.routing_watch import Watch
from lapor.infra import db, directory
from lapor.infra.region import documents_in_force
from lapor.infra.settings import Settings
from lapor.routing import model as routing_model
from lapor.routing.artifacts import ModelStore
from lapor.routing.dataset import SHIPPED, Example, read_examples
from lapor.routing.model import Progress, TrainedModel
from lapor.routing.router import LabelMap, Router, RouterCache
from models import AgencyKind, RoutingExample

_routers = RouterCache()


def model_store(settings: Settings) -> ModelStore:
    return ModelStore(settings.data_dir / "models")


def routing_document(settings: Settings, snapshot: directory.Snapshot | None = None) -> dict:
    """The routing map in force, in the structure of routing.yaml: the one an admin saved,
    else the region's file."""
    snapshot = snapshot or directory.config.snapshot(settings)
    return documents_in_force(settings.region, snapshot.documents)["routing"]


def label_map(settings: Settings) -> LabelMap:
    """The region's label map at the configuration's current version."""
    snapshot = directory.config.snapshot(settings)
    key = (settings.database_url, settings.region)
    known = _maps.get(key)
    if known is None or known[0] != snapshot.generation:
        known = _maps[key] = (
            snapshot.generation,
            LabelMap.from_dict(routing_document(settings, snapshot)),
        )
    return known[1]


_maps: dict[tuple[str, str], tuple[int, LabelMap]] = {}


def current_router(settings: Settings) -> Router | None:
    """The router of the data directory's current model; None until one is trained."""
    snapshot = directory.config.snapshot(settings)
    own = [a.code for a in snapshot.agencies.values() if a.active and a.kind != AgencyKind.EXTERNAL]
    labels = label_map(settings)
    watch = Watch.from_document(snapshot.documents.get(WATCH_KEY))
    return _routers.get(model_store(settings), labels, lambda: own, snapshot.generation, watch)


def corrections(session: Session, labels: LabelMap, up_to_id: int | None = None) -> list[Example]:
    """People's routing decisions as labelled examples, oldest first."""
    query = select(RoutingExample).order_by(RoutingExample.id)
    if up_to_id is not None:
        query = query.where(RoutingExample.id <= up_to_id)
    return [
        Example(row.text, labels.label_for(row.agency_code), row.created_at.isoformat(), True)
        for row in session.exec(query)
    ]


def _last_correction_id(session: Session) -> int:
    last = session.exec(select(RoutingExample.id).order_by(RoutingExample.id.desc())).first()
    return last or 0


def train_and_promote(
    settings: Settings,
    *,
    now: datetime,
    data: Path | None = None,
    progress: Progress = lambda _msg: None,
) -> TrainedModel:
    """Train on the shipped data (or `data`) plus every correction; make it current."""
    labels = label_map(settings)
    base = read_examples(data or SHIPPED)
    with Session(db.engine_for(settings.database_url)) as session:
        learned = corrections(session, labels)
        cutoff = _last_correction_id(session)
    progress(f"data: {len(base)} contoh dasar + {len(learned)} koreksi")
    trained = routing_model.train(
        base + learned,
        now=now,
        progress=progress,
        extra_metadata={
            "base_data": str(data or SHIPPED.name),
            "n_corrections": len(learned),
            "corrections_up_to_id": cutoff,
        },
    )
    store = model_store(settings)
    store.save(trained)
    store.promote(trained.version)
    return trained


@dataclass
class RetrainResult:
    promoted: bool
    reason: str
    current_macro_f1: float | None = None
    candidate_macro_f1: float | None = None
    version: str | None = None


def retrain(
    settings: Settings,
    *,
    now: datetime,
    data: Path | None = None,
    progress: Progress = lambda _m: None,
) -> RetrainResult:
    """Retrain with the corrections collected since the current model; promote only if the
    new training set scores no worse than the old one on the same held-out complaints."""
    store = model_store(settings)
    current = store.current_version()
    if current is None:
        trained = train_and_promote(settings, now=now, data=data, progress=progress)
        return RetrainResult(
            True, "belum ada model: model pertama dilatih", version=trained.version
        )
    metadata = store.metadata(current)
    labels = label_map(settings)
    base = read_examples(data or SHIPPED)
    with Session(db.engine_for(settings.database_url)) as session:
        old_corrections = corrections(session, labels, metadata.get("corrections_up_to_id", 0))
        all_corrections = corrections(session, labels)
    if len(all_corrections) == len(old_corrections):
        return RetrainResult(False, "tidak ada koreksi baru sejak model sekarang")
    old_score, new_score = _compare(base + old_corrections, base + all_corrections, progress)
    if not not_worse(old_score, new_score):
        return RetrainResult(
            False, "model baru lebih buruk: tidak dipromosikan", old_score, new_score
        )
    trained = train_and_promote(settings, now=now, data=data, progress=progress)
    return RetrainResult(True, "dipromosikan", old_score, new_score, trained.version)


def not_worse(current_score: float, candidate_score: float) -> bool:
    """Promotion rule: the candidate may tie, never lose (beyond float noise)."""
    return candidate_score >= current_score - 1e-9


def _compare(
    old: Sequence[Example], new: Sequence[Example], progress: Progress
) -> tuple[float, float]:
    """Macro-F1 of models trained on each set, scored on one held-out part of the new set."""
    new = routing_model.usable(new)
    _train_idx, test_idx = routing_model.holdout_split(new)
    held_out = [new[i] for i in test_idx]
    held_texts = {e.text for e in held_out}
    scores = []
    for name, examples in (("lama", old), ("baru", new)):
        training = [e for e in routing_model.usable(examples) if e.text not in held_texts]
        progress(f"melatih model pembanding ({name}) pada {len(training)} contoh")
        candidate = TrainedModel(routing_model.fit(training))
        scores.append(routing_model.evaluate(candidate, held_out).macro_f1)
    return scores[0], scores[1]
