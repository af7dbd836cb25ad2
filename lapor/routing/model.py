"""The classifier: its pipeline, training with a held-out evaluation, the auto-route threshold,
and explanations of single decisions."""

from __future__ import annotations

import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from lapor.routing.dataset import Example, data_hash
from lapor.routing.estimator import CalibratedLinearSVC
from lapor.routing.features import CharNgramHasher, KnownWords, SparseTfidf
from lapor.routing.text import TextOptions, prepare

TARGET_PRECISION = 0.95
# The threshold is chosen for this much more precision on the training data's most recent
# period than the target, so that the next period, which drifts further, still reaches it.
THRESHOLD_MARGIN = 0.03
MIN_EXAMPLES_PER_LABEL = 3
Progress = Callable[[str], None]
# How many messages `train` gives its progress reporter (for a progress bar).
TRAINING_STAGES = 5


def prepare_texts(texts: Sequence[str]) -> list[str]:
    """The default text preparation over a batch (module-level, so the pipeline pickles)."""
    options = TextOptions()
    return [prepare(text, options) for text in texts]


def build_pipeline() -> Pipeline:
    """Prepared text, hashed character 3-5-grams with TF-IDF, calibrated linear SVM.

    Chosen by cross-validated macro-F1 and by speed; docs/routing.md has the comparison.
    """
    return Pipeline(
        [
            ("prepare", FunctionTransformer(prepare_texts)),
            ("known", KnownWords(min_count=2)),
            # 3-5 rather than 2-5: as good on the forward protocol, a fifth faster to fit.
            ("chars", CharNgramHasher(ngram_range=(3, 5), n_features_log2=18)),
            ("tfidf", SparseTfidf()),
            ("classifier", CalibratedLinearSVC(C=1.0)),
        ]
    )


@dataclass
class Evaluation:
    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]]
    threshold: float
    auto_precision: float
    auto_coverage: float
    n: int

    def summary(self) -> dict[str, float | int]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "threshold": round(self.threshold, 4),
            "auto_precision": round(self.auto_precision, 4),
            "auto_coverage": round(self.auto_coverage, 4),
            "n": self.n,
        }


@dataclass
class TrainedModel:
    """A fitted pipeline and what is known about it."""

    pipeline: Pipeline
    metadata: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return list(self.pipeline.classes_)

    @property
    def threshold(self) -> float:
        return float(self.metadata.get("threshold", 1.0))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))

    def prepared_probabilities(self, prepared: Sequence[str]) -> np.ndarray:
        """Probabilities for texts that already went through prepare_texts."""
        if len(prepared) == 1 and self._default_steps is not None:
            return self._one_text_probabilities(prepared[0])[np.newaxis, :]
        return self.pipeline[1:].predict_proba(list(prepared))

    @cached_property
    def _default_steps(self) -> tuple[CharNgramHasher, SparseTfidf, CalibratedLinearSVC] | None:
        """The feature and classifier steps when the pipeline is build_pipeline's."""
        steps = self.pipeline.named_steps
        chars, tfidf, classifier = steps.get("chars"), steps.get("tfidf"), steps.get("classifier")
        if (
            isinstance(chars, CharNgramHasher)
            and isinstance(tfidf, SparseTfidf)
            and isinstance(classifier, CalibratedLinearSVC)
            and len(self.pipeline) == 5
        ):
            return chars, tfidf, classifier
        return None

    def _one_text_probabilities(self, text: str) -> np.ndarray:
        """The pipeline's steps for one text, on arrays instead of sparse matrices: the
        same numbers, without the matrices' fixed cost (most of the time for one complaint)."""
        chars, tfidf, classifier = self._default_steps
        columns, counts = chars.columns_and_counts(text)
        return classifier.row_probabilities(columns, tfidf.row_weights(columns, counts))

    def known_word_share(self, prepared: str) -> float:
        """The share of a prepared text's words the model saw in training (0 for no words)."""
        return self.pipeline.named_steps["known"].share(prepared)


def choose_threshold(
    confidence: np.ndarray, correct: np.ndarray, target: float = TARGET_PRECISION
) -> tuple[float, float, float]:
    """The lowest confidence t such that predictions with confidence >= t are right at least
    `target` of the time; returns (t, precision, coverage). 1.0 when no t reaches it."""
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], correct[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    best = (1.0, 1.0, 0.0)
    for i in range(len(conf)):
        # Only cut between distinct confidences: every item at the cut value is auto-routed.
        if i + 1 < len(conf) and conf[i + 1] == conf[i]:
            continue
        if precision[i] >= target:
            best = (float(conf[i]), float(precision[i]), (i + 1) / len(conf))
    return best


def evaluate(
    model: TrainedModel, examples: Sequence[Example], threshold: float | None = None
) -> Evaluation:
    """Scores of a model on labelled examples; without a threshold, the one they support."""
    proba = model.probabilities([e.text for e in examples])
    return score(proba, np.array(model.labels), [e.label for e in examples], threshold)


def score(
    proba: np.ndarray, labels: np.ndarray, truth: Sequence[str], threshold: float | None = None
) -> Evaluation:
    """Accuracy, macro-F1, per-label scores and auto-route precision/coverage."""
    truth = np.asarray(truth)
    predicted = labels[proba.argmax(axis=1)]
    confidence = proba.max(axis=1)
    correct = predicted == truth
    if threshold is None:
        threshold, auto_precision, coverage = choose_threshold(confidence, correct)
    else:
        auto = confidence >= threshold
        coverage = float(auto.mean()) if len(auto) else 0.0
        auto_precision = float(correct[auto].mean()) if auto.any() else 1.0
    names = sorted(set(truth) | set(predicted))
    p, r, f, support = precision_recall_fscore_support(
        truth, predicted, labels=names, zero_division=0
    )
    per_label = {
        name: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(support[i]),
        }
        for i, name in enumerate(names)
    }
    return Evaluation(
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, average="macro", zero_division=0)),
        per_label=per_label,
        threshold=float(threshold),
        auto_precision=float(auto_precision),
        auto_coverage=float(coverage),
        n=len(truth),
    )


def duplicate_groups(examples: Sequence[Example]) -> np.ndarray:
    """A group id per example: identical texts (case and spacing aside) share one."""
    keys: dict[str, int] = {}
    return np.array(
        [
            keys.setdefault(" ".join(e.text.lower().replace("\\n", " ").split()), len(keys))
            for e in examples
        ]
    )


def holdout_split(examples: Sequence[Example], seed: int = 0) -> tuple[list[int], list[int]]:
    """About 80/20, stratified by label, with duplicate texts never on both sides."""
    labels = np.array([e.label for e in examples])
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    train, test = next(folds.split(np.zeros(len(labels)), labels, duplicate_groups(examples)))
    return train.tolist(), test.tolist()


def usable(examples: Sequence[Example]) -> list[Example]:
    """Examples with text, of labels frequent enough to learn and to calibrate."""
    counts = Counter(e.label for e in examples if e.text.strip())
    return [e for e in examples if e.text.strip() and counts[e.label] >= MIN_EXAMPLES_PER_LABEL * 3]


def fit(
    examples: Sequence[Example],
    progress: Progress = lambda _msg: None,
    build: Callable[[], Pipeline] = build_pipeline,
) -> Pipeline:
    """A pipeline fitted on the examples, calibrated on the most recent ones (when every
    example has a submission time); duplicate texts never straddle the calibration split.
    `build` makes another pipeline ending in a CalibratedLinearSVC (for comparisons)."""
    pipeline = build()
    progress("menghitung fitur n-gram karakter")
    features = pipeline[:-1].fit_transform([e.text for e in examples])
    pipeline[-1].fit(
        features,
        [e.label for e in examples],
        groups=duplicate_groups(examples),
        times=[e.submitted_at for e in examples],
        progress=progress,
        ordinary=[not e.correction for e in examples],
    )
    return pipeline


def held_out_evaluation(
    pipeline: Pipeline, examples: Sequence[Example], margin: float = THRESHOLD_MARGIN
) -> Evaluation:
    """Scores from the held-out probabilities the classifier kept while fitting; the threshold
    is the lowest reaching the target precision plus `margin` on them."""
    classifier = pipeline.named_steps["classifier"]
    index = classifier.held_out_index_
    proba, labels = classifier.held_out_proba_, np.array(classifier.classes_)
    truth = np.array([examples[i].label for i in index])
    confidence, correct = proba.max(axis=1), labels[proba.argmax(axis=1)] == truth
    threshold, _precision, _coverage = choose_threshold(
        confidence, correct, min(TARGET_PRECISION + margin, 1.0)
    )
    return score(proba, labels, truth, threshold)


def _held_out_is_recent(pipeline: Pipeline, examples: Sequence[Example]) -> bool:
    """Whether the held-out rows are the most recent period (not random folds of all)."""
    return len(pipeline.named_steps["classifier"].held_out_index_) < len(examples)


def held_out_description(
    pipeline: Pipeline, examples: Sequence[Example], margin: float = THRESHOLD_MARGIN
) -> dict:
    """How the held-out rows (calibration and threshold) were chosen, for the metadata."""
    classifier = pipeline.named_steps["classifier"]
    index = classifier.held_out_index_
    if not _held_out_is_recent(pipeline, examples):
        return {"method": f"out-of-fold, {classifier.folds} grouped random folds", "margin": margin}
    times = sorted(examples[i].submitted_at for i in index)
    return {
        "method": (
            f"most recent {classifier.recent:.0%} of the training rows that are not people's "
            "corrections (repeats of earlier texts left out), predicted by a model fitted on "
            "the earlier rows and the corrections"
        ),
        "from": times[0],
        "to": times[-1],
        "margin": margin,
    }


def train(
    examples: Sequence[Example],
    *,
    now: datetime,
    progress: Progress = lambda _msg: None,
    extra_metadata: dict | None = None,
    threshold_margin: float = THRESHOLD_MARGIN,
    build: Callable[[], Pipeline] = build_pipeline,
) -> TrainedModel:
    """Fit on all examples; threshold and scores come from the fit's held-out predictions
    (the most recent period when every example has a time, else grouped random folds)."""
    examples = usable(examples)
    started = time.perf_counter()
    progress(f"melatih pada {len(examples)} contoh ({len({e.label for e in examples})} label)")
    pipeline = fit(examples, progress, build)
    progress("menilai pada periode terbaru dan memilih ambang")
    # The margin is for the drift beyond the most recent period; random folds (examples
    # without times) have no period to drift from, and keep the plain target.
    margin = threshold_margin if _held_out_is_recent(pipeline, examples) else 0.0
    held_out = held_out_evaluation(pipeline, examples, margin)
    held_out_how = held_out_description(pipeline, examples, margin) | {
        "precision": round(held_out.auto_precision, 4),
        "coverage": round(held_out.auto_coverage, 4),
        "n": held_out.n,
    }
    # Needed only for the scores above; not worth megabytes in every model file.
    del pipeline.named_steps["classifier"].held_out_proba_
    del pipeline.named_steps["classifier"].held_out_index_
    digest = data_hash(examples)
    metadata = {
        "version": f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}",
        "created_at": now.isoformat(),
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "data_hash": digest,
        "n_examples": len(examples),
        "labels": list(pipeline.classes_),
        "threshold": held_out.threshold,
        "target_precision": TARGET_PRECISION,
        "threshold_method": held_out_how,
        # Scores on the held-out rows above (the key keeps its old name for readers of it).
        "out_of_fold": held_out.summary(),
        "out_of_fold_per_label": held_out.per_label,
        "train_seconds": round(time.perf_counter() - started, 1),
        **(extra_metadata or {}),
    }
    return TrainedModel(pipeline, metadata)


def explain(model: TrainedModel, text: str, label: str, top: int = 6) -> list[tuple[str, float]]:
    """The words that pushed the decision towards `label` most: how much the label's score
    drops when each word is left out (one batch of texts, each missing one word)."""
    if label not in model.labels:
        return []
    words = prepare_texts([text])[0].split()
    distinct = list(dict.fromkeys(words))
    if not distinct:
        return []
    variants = [" ".join(w for w in words if w != left_out) for left_out in distinct]
    steps = model.pipeline.named_steps
    matrix = steps["tfidf"].transform(steps["chars"].transform([" ".join(words), *variants]))
    scores = steps["classifier"].decision_function(matrix)[:, model.labels.index(label)]
    drops = scores[0] - scores[1:]
    ranked = sorted(zip(distinct, drops, strict=True), key=lambda item: -item[1])
    return [(word, round(float(drop), 4)) for word, drop in ranked[:top] if drop > 0]
