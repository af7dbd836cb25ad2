"""Compare routing classifiers on the labelled complaints (the tables in docs/routing.md).

    python bench/compare_routing.py [DATA] [--months 12] [--only NAME ...]   # forward
    python bench/compare_routing.py DATA --random [--quick] [--only NAME ...]

Main protocol (forward chaining, lapor.routing.evaluation): for each of the last --months
months of DATA (default: the shipped data), train the whole model (calibration and threshold
included) on the earlier months and score it on that month at its own threshold. Prints one
JSON line per variant and month, then a Markdown table of the medians (all months and the last
three). Secondary protocol (--random): 5-fold StratifiedGroupKFold (shuffle, seed 0) with
identical texts in one group, and a time split (earliest 80% to train, latest 20% to test,
minus texts seen in training); --quick uses 2 folds.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

from lapor.routing.dataset import SHIPPED, Example, read_examples
from lapor.routing.evaluation import FIGURES, forward_evaluation, forward_months, medians
from lapor.routing.features import CharNgramHasher, SparseTfidf
from lapor.routing.model import (
    THRESHOLD_MARGIN,
    TrainedModel,
    build_pipeline,
    duplicate_groups,
    train,
)
from lapor.routing.text import TextOptions, prepare


def floor_features():
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2)), TfidfVectorizer(analyzer="char", ngram_range=(2, 5))
    )


def word_char_wb():
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )


def hashed_chars():
    return make_pipeline(CharNgramHasher((2, 5), 18), SparseTfidf())


def svc(C: float = 0.5):
    return LinearSVC(C=C, class_weight="balanced")


# name -> (text preparation, feature factory, classifier factory)
CANDIDATES: dict[str, tuple[str, Callable, Callable]] = {
    "floor: word+char, LinearSVC, raw text": ("raw", floor_features, lambda: svc(1.0)),
    "word+char_wb sublinear, LinearSVC": ("prepared", word_char_wb, svc),
    "word 1-2, ComplementNB a=0.03": (
        "prepared",
        lambda: TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        lambda: ComplementNB(alpha=0.03),
    ),
    "word+char_wb sublinear, LogisticRegression": (
        "prepared",
        word_char_wb,
        lambda: LogisticRegression(C=20, class_weight="balanced", max_iter=300),
    ),
    "chosen: hashed char 2-5, LinearSVC": ("prepared", hashed_chars, svc),
    "chosen, raw lower-case text": ("lower", hashed_chars, svc),
    "chosen, + stop words removed": ("stop", hashed_chars, svc),
    "chosen, + Sastrawi stemming": ("stem", hashed_chars, svc),
}

PREPARATIONS = {
    "raw": lambda texts: texts,
    "lower": lambda texts: [t.lower().replace("\\n", " ") for t in texts],
    "prepared": lambda texts: [prepare(t) for t in texts],
    "stop": lambda texts: [prepare(t, TextOptions(remove_stop_words=True)) for t in texts],
    "stem": lambda texts: [prepare(t, TextOptions(stem=True)) for t in texts],
}


def score(features, classifier, texts, labels, train, test) -> tuple[float, float]:
    x_train = features.fit_transform([texts[i] for i in train])
    x_test = features.transform([texts[i] for i in test])
    predicted = classifier.fit(x_train, labels[train]).predict(x_test)
    return (
        f1_score(labels[test], predicted, average="macro", zero_division=0),
        accuracy_score(labels[test], predicted),
    )


def evaluate(name: str, texts: list[str], labels, groups, times, folds: int) -> dict:
    _, make_features, make_classifier = CANDIDATES[name]
    started = time.perf_counter()
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    random = [
        score(make_features(), make_classifier(), texts, labels, train, test)
        for train, test in splitter.split(texts, labels, groups)
    ]
    order = np.argsort(times, kind="stable")
    cut = int(len(order) * 0.8)
    seen = set(groups[order[:cut]])
    test = np.array([i for i in order[cut:] if groups[i] not in seen])
    time_f1, time_acc = score(make_features(), make_classifier(), texts, labels, order[:cut], test)
    return {
        "name": name,
        "random_macro_f1": round(float(np.mean([f for f, _ in random])), 4),
        "random_macro_f1_sd": round(float(np.std([f for f, _ in random])), 4),
        "random_accuracy": round(float(np.mean([a for _, a in random])), 4),
        "time_macro_f1": round(time_f1, 4),
        "time_accuracy": round(time_acc, 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def chosen_with(
    half_life_days: float | None = None, C: float = 0.5, words: bool = False
) -> Callable[[], Pipeline]:
    """The production pipeline with another classifier setting or word features added."""

    def build() -> Pipeline:
        pipeline = build_pipeline()
        classifier = pipeline.named_steps["classifier"]
        classifier.set_params(half_life_days=half_life_days, C=C)
        if words:
            chars = make_pipeline(CharNgramHasher((2, 5), 18), SparseTfidf())
            union = make_union(chars, hashed_words())
            return Pipeline([*pipeline.steps[:2], ("features", union), pipeline.steps[-1]])
        return pipeline

    return build


def hashed_words():
    """Word 1-2-grams, hashed, with sublinear TF-IDF."""
    return make_pipeline(
        HashingVectorizer(ngram_range=(1, 2), n_features=1 << 18, alternate_sign=False, norm=None),
        SparseTfidf(),
    )


def untimed_trainer(examples: Sequence[Example]) -> TrainedModel:
    """The model before issue 21: threshold and temperature from 3 grouped random folds."""
    untimed = [Example(e.text, e.label) for e in examples]
    return train(untimed, now=datetime.now(UTC), threshold_margin=0.0)


def trainer(margin: float = THRESHOLD_MARGIN, **variant) -> Callable:
    def fit_variant(examples: Sequence[Example]) -> TrainedModel:
        return train(
            examples, now=datetime.now(UTC), threshold_margin=margin, build=chosen_with(**variant)
        )

    return fit_variant


FORWARD: dict[str, Callable[[Sequence[Example]], TrainedModel]] = {
    "before: random-fold threshold, no margin": untimed_trainer,
    "recent-period threshold, no margin": trainer(0.0),
    "recent-period threshold, margin 0.02": trainer(0.02),
    "recent-period threshold, margin 0.03 (chosen)": trainer(),
    "recent-period threshold, margin 0.04": trainer(0.04),
    "+ recency weights, half-life 90 days": trainer(half_life_days=90),
    "+ recency weights, half-life 180 days": trainer(half_life_days=180),
    "+ recency weights, half-life 365 days": trainer(half_life_days=365),
    "C=1.0": trainer(C=1.0),
    "C=2.0": trainer(C=2.0),
    "+ hashed word 1-2-grams": trainer(words=True),
}


def forward(examples: list[Example], months: int, only: list[str] | None) -> None:
    """The forward-chaining protocol for every FORWARD variant."""
    rows = []
    for name, fit_variant in FORWARD.items():
        if only and not any(part in name for part in only):
            continue
        results = forward_evaluation(examples, forward_months(examples, months), fit_variant)
        for result in results:
            print(json.dumps({"name": name, **result.row()}, ensure_ascii=False), flush=True)
        rows.append((name, medians(results), medians(results[-3:])))
    print(
        "\n| variant | median macro-F1 | acc. | precision | coverage "
        "| last 3: macro-F1 | acc. | precision | coverage |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, every, last in rows:
        cells = [f"{m[k]:.3f}" for m in (every, last) for k in FIGURES]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, nargs="?", default=SHIPPED)
    parser.add_argument("--random", action="store_true", help="the secondary protocol")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    examples = read_examples(args.data)
    if not args.random:
        forward(examples, args.months, args.only)
        return
    labels = np.array([e.label for e in examples])
    groups = duplicate_groups(examples)
    times = np.array([e.submitted_at for e in examples])
    prepared: dict[str, list[str]] = {}
    rows = []
    for name, (preparation, _, _) in CANDIDATES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        if preparation not in prepared:
            prepared[preparation] = PREPARATIONS[preparation]([e.text for e in examples])
        row = evaluate(name, prepared[preparation], labels, groups, times, 2 if args.quick else 5)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    print("\n| model | random macro-F1 | random acc. | time macro-F1 | time acc. |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['name']} | {row['random_macro_f1']:.3f} ± {row['random_macro_f1_sd']:.3f} "
            f"| {row['random_accuracy']:.3f} | {row['time_macro_f1']:.3f} | "
            f"{row['time_accuracy']:.3f} |"
        )


if __name__ == "__main__":
    main()
