"""From text to a routing decision: label, agency, confidence, top-3, and whether to auto-route."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from lapor.domain.intake import RoutingDecision, Submission
from lapor.domain.routing_watch import Watch
from lapor.infra.region import region_dir
from lapor.routing.artifacts import ModelError, ModelStore
from lapor.routing.model import TrainedModel, explain, prepare_texts

log = logging.getLogger(__name__)
MIN_WORDS = 2  # a single word says too little to route without a person looking
# Below this share of words the model has seen, the text is probably not an Indonesian
# complaint (another language, gibberish): a person should look, whatever the confidence.
MIN_KNOWN_WORDS = 0.5


@dataclass(frozen=True)
class LabelMap:
    """The region's file mapping classifier labels to its agency codes."""

    labels: dict[str, str | None]
    by_location: frozenset[str]
    location_agencies: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> LabelMap:
        return cls.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    @classmethod
    def from_dict(cls, data: dict) -> LabelMap:
        """The map from the structure of routing.yaml."""
        labels: dict[str, str | None] = {}
        by_location = set()
        for label, target in (data.get("labels") or {}).items():
            if isinstance(target, dict) and target.get("by_location"):
                by_location.add(label)
                labels[label] = None
            else:
                labels[label] = target
        return cls(labels, frozenset(by_location), dict(data.get("location_agencies") or {}))

    @classmethod
    def for_region(cls, region: str) -> LabelMap:
        return cls.load(region_dir(region) / "routing.yaml")

    def agency_for(self, label: str, regency: str | None) -> str | None:
        """The agency code a label means here; by location for kelurahan/kecamatan matters."""
        if label.startswith("agency:"):
            return label.split(":", 1)[1]
        if label in self.by_location:
            return self.location_agencies.get(regency or "")
        return self.labels.get(label)

    def label_for(self, agency_code: str) -> str:
        """The label an agency's corrections teach: its mapped label, else its own code."""
        for label, code in self.labels.items():
            if code == agency_code:
                return label
        if agency_code in self.location_agencies.values():
            return next(iter(self.by_location), f"agency:{agency_code}")
        return f"agency:{agency_code}"


@dataclass(frozen=True)
class Decision:
    """The classifier's full opinion about one text."""

    label: str
    agency: str | None
    confidence: float
    auto: bool
    top: list[tuple[str, float]]
    model_version: str

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "agency": self.agency,
            "confidence": round(self.confidence, 4),
            "auto": self.auto,
            "top": [[label, round(p, 4)] for label, p in self.top],
        }


class Router:
    """Decides with a trained model and the region's label map."""

    def __init__(
        self,
        model: TrainedModel,
        label_map: LabelMap,
        auto_agencies: set[str],
        watch: Watch | None = None,
    ):
        self.model = model
        self.label_map = label_map
        # Only the region's own active OPDs can receive a complaint without a person deciding.
        self.auto_agencies = auto_agencies
        self.model_labels = np.array(model.labels)  # for indexing by argsort, made once
        # Labels whose live precision fell under the target route only when surer than this.
        self.raised = (watch or Watch(None, {})).thresholds(model.version)

    def threshold(self, label: str) -> float:
        """The confidence a label needs to be routed without a person: the model's, or the
        raise the live precision called for."""
        return max(self.model.threshold, self.raised.get(label, 0.0))

    def decide_many(self, texts: list[str], regencies: list[str | None] | None = None):
        """Decisions for a batch of texts, in order."""
        regencies = regencies or [None] * len(texts)
        prepared = prepare_texts(texts)
        proba = self.model.prepared_probabilities(prepared)
        order = np.argsort(-proba, axis=1)[:, :3]
        return [
            self._decision(text, self.model_labels[row_order], proba[i, row_order], regency)
            for i, (text, row_order, regency) in enumerate(
                zip(prepared, order, regencies, strict=True)
            )
        ]

    def decide(self, text: str, regency: str | None = None) -> Decision:
        return self.decide_many([text], [regency])[0]

    def _decision(self, prepared: str, labels, probabilities, regency: str | None) -> Decision:
        label, confidence = str(labels[0]), float(probabilities[0])
        agency = self.label_map.agency_for(label, regency)
        auto = (
            confidence >= self.threshold(label)
            and agency in self.auto_agencies
            and len(prepared.split()) >= MIN_WORDS
            and self.model.known_word_share(prepared) >= MIN_KNOWN_WORDS
        )
        return Decision(
            label=label,
            agency=agency,
            confidence=confidence,
            auto=auto,
            top=[(str(lbl), float(p)) for lbl, p in zip(labels, probabilities, strict=True)],
            model_version=self.model.version,
        )

    def suggest(self, text: str, regency: str | None, limit: int = 3):
        """The likeliest labels as (agency code, label, probability), for a person to choose."""
        decision = self.decide(text, regency)
        return [
            (self.label_map.agency_for(label, regency), label, probability)
            for label, probability in decision.top[:limit]
        ]

    def explain(self, text: str, label: str) -> list[tuple[str, float]]:
        return explain(self.model, text, label)

    def __call__(self, submission: Submission) -> RoutingDecision:
        """The intake service's view of a decision."""
        decision = self.decide(submission.text, submission.regency)
        return RoutingDecision(
            label=decision.label,
            confidence=decision.confidence,
            agency_code=decision.agency,
            auto=decision.auto,
            model_version=decision.model_version,
        )


class RouterCache:
    """The current model of a data directory, loaded once per process and again only when
    `lapor model train/retrain/rollback` moves the pointer; the router around it is made again
    (cheaply) when the region's configuration (label map, agencies) changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model_key: tuple | None = None
        self._model: TrainedModel | None = None
        self._key: tuple | None = None
        self._router: Router | None = None

    def get(
        self,
        store: ModelStore,
        label_map: LabelMap,
        auto_agencies,
        generation: int = 0,
        watch: Watch | None = None,
    ) -> Router | None:
        """The router of the current model, or None (complaints then go to triage)."""
        try:
            stat = os.stat(store.pointer)
        except FileNotFoundError:
            return None
        model_key = (str(store.root), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if model_key != self._model_key:
                try:
                    self._model = store.load()
                except ModelError as exc:
                    log.warning("routing disabled, complaints go to triage: %s", exc)
                    self._model = None
                # Only now: a failure of another kind leaves the model to be loaded again.
                self._model_key, self._key = model_key, None
            key = (model_key, generation)
            if key != self._key:
                model = self._model
                router = Router(model, label_map, set(auto_agencies()), watch) if model else None
                self._router = router
                self._key = key
            return self._router
