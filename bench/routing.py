"""Routing speed on one core: single-complaint latency p50/p99 and batch throughput.

    python bench/routing.py [--repeats 5] [--singles 1000]

Uses the current model of LAPOR_DATA_DIR (training one into a temporary directory if there
is none) and, as the baseline measured in the same run, the issue's floor pipeline (TF-IDF
word 1-2 + char 2-5, LinearSVC) fitted on the same data. Prints one JSON object; every figure
is the median over the repeats.
"""

from __future__ import annotations

import os

# One core, and no hidden BLAS threads, before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.pipeline import make_pipeline, make_union  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from lapor.routing.artifacts import ModelStore  # noqa: E402
from lapor.routing.dataset import SHIPPED, read_examples  # noqa: E402
from lapor.routing.model import train  # noqa: E402
from lapor.routing.router import LabelMap, Router  # noqa: E402


def load_router() -> Router:
    """The installation's current model, or a freshly trained default one."""
    data_dir = Path(os.environ.get("LAPOR_DATA_DIR", "instance"))
    store = ModelStore(data_dir / "models")
    if store.current_version() is None:
        store = ModelStore(Path(tempfile.mkdtemp()) / "models")
        trained = train(read_examples(SHIPPED), now=datetime.now(UTC))
        store.save(trained)
        store.promote(trained.version)
    labels = LabelMap.for_region("kalteng")
    return Router(store.load(), labels, {c for c in labels.labels.values() if c})


def floor_pipeline(texts: list[str], labels: list[str]):
    """The issue's baseline: TF-IDF word 1-2 + char 2-5 into a balanced LinearSVC."""
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2)), TfidfVectorizer(analyzer="char", ngram_range=(2, 5))
    )
    return make_pipeline(features, LinearSVC(class_weight="balanced")).fit(texts, labels)


def single_latencies(predict_one, texts: list[str]) -> list[float]:
    """Milliseconds per call, one text at a time, after a warm-up."""
    for text in texts[:50]:
        predict_one(text)
    timings = []
    for text in texts:
        started = time.perf_counter()
        predict_one(text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def throughput(predict_batch, texts: list[str], batch: int = 1000) -> float:
    """Texts per second through batches of `batch`."""
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        predict_batch(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


def measure(name: str, predict_one, predict_batch, singles, batch, repeats) -> dict:
    p50, p99, rate = [], [], []
    for _ in range(repeats):
        timings = single_latencies(predict_one, singles)
        p50.append(float(np.percentile(timings, 50)))
        p99.append(float(np.percentile(timings, 99)))
        rate.append(throughput(predict_batch, batch))
    return {
        "name": name,
        "single_p50_ms": round(statistics.median(p50), 3),
        "single_p99_ms": round(statistics.median(p99), 3),
        "batch_per_s": round(statistics.median(rate)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--singles", type=int, default=1000)
    args = parser.parse_args()
    examples = read_examples(SHIPPED)
    texts = [e.text for e in examples]
    rng = np.random.default_rng(0)
    singles = [texts[i] for i in rng.choice(len(texts), args.singles, replace=False)]
    batch = [texts[i] for i in rng.choice(len(texts), 10_000, replace=True)]
    router = load_router()
    floor = floor_pipeline(texts, [e.label for e in examples])
    results = [
        measure(
            "lapor router (decide)",
            router.decide,
            router.decide_many,
            singles,
            batch,
            args.repeats,
        ),
        measure(
            "baseline: floor pipeline (predict)",
            lambda text: floor.predict([text]),
            floor.predict,
            singles,
            batch,
            args.repeats,
        ),
    ]
    print(
        json.dumps(
            {"model": router.model.version, "repeats": args.repeats, "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
