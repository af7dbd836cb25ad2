"""The forward-chaining protocol and the threshold chosen on the most recent period."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import numpy as np

from lapor.cli import main
from lapor.routing import model as routing_model
from lapor.routing import service
from lapor.routing.dataset import Example
from lapor.routing.estimator import recency_weights, recent_split
from lapor.routing.evaluation import forward_evaluation, forward_months, medians

NOW = datetime(2024, 7, 1, tzinfo=UTC)
VOCABULARY = {
    "roads": "jalan rusak berlubang aspal retak amblas paving trotoar",
    "drains": "saluran got mampet banjir genangan selokan tersumbat",
    "water": "pdam air mati keruh pipa bocor meteran",
    "waste": "sampah menumpuk bau truk tps liar dibakar",
}
PLACES = "wonokromo rungkut tambaksari gubeng sawahan tegalsari genteng bubutan krembangan".split()


def drifting_stream(seed: int = 0, per_topic: int = 80) -> list[Example]:
    """Six months of complaints; from month 4 the drains move from the water office to the
    roads office, a little more each month (a responsibility that drifts)."""
    rng = np.random.default_rng(seed)
    drift = {4: 0.35, 5: 0.7, 6: 0.95}
    office = {"roads": "Dinas PU", "drains": "Dinas Air", "water": "Dinas Air", "waste": "DLH"}
    examples = []
    for month in range(1, 7):
        for topic, words in VOCABULARY.items():
            for i in range(per_topic):
                text = " ".join(
                    [*rng.choice(words.split(), 4), "di", *rng.choice(PLACES, 1), "mohon"]
                )
                label = office[topic]
                if topic == "drains" and rng.random() < drift.get(month, 0.0):
                    label = "Dinas PU"
                day = 1 + i * 27 // per_topic
                examples.append(Example(text, label, f"2024-{month:02d}-{day:02d} 08:00:00"))
    return sorted(examples, key=lambda e: e.submitted_at)


def random_fold_trainer(examples):
    """The former way: threshold from grouped random folds, no margin."""
    untimed = [Example(e.text, e.label) for e in examples]
    return routing_model.train(untimed, now=NOW, threshold_margin=0.0)


def forward_trainer(examples):
    return routing_model.train(examples, now=NOW)


def test_the_forward_threshold_holds_where_the_random_fold_one_does_not():
    stream = drifting_stream()
    assert forward_months(stream, last=3) == ["2024-04", "2024-05", "2024-06"]
    [random_fold] = forward_evaluation(stream, ["2024-06"], random_fold_trainer)
    [forward] = forward_evaluation(stream, ["2024-06"], forward_trainer)
    assert random_fold.auto_precision < routing_model.TARGET_PRECISION
    assert forward.auto_precision >= routing_model.TARGET_PRECISION
    assert forward.auto_coverage > 0.3
    assert forward.n_train == 5 * 4 * 80 and 0 < forward.n_test <= 4 * 80


def test_forward_results_have_a_median_per_figure():
    results = forward_evaluation(drifting_stream(per_topic=30), ["2024-02", "2024-03"])
    assert [r.month for r in results] == ["2024-02", "2024-03"]
    assert set(medians(results)) == {"macro_f1", "accuracy", "auto_precision", "auto_coverage"}


def test_the_model_records_how_its_threshold_was_chosen():
    trained = forward_trainer(drifting_stream(per_topic=30))
    how = trained.metadata["threshold_method"]
    assert (
        how["method"].startswith("most recent") and how["margin"] == routing_model.THRESHOLD_MARGIN
    )
    assert how["from"] >= "2024-06" and how["to"].startswith("2024-06")
    untimed = random_fold_trainer(drifting_stream(per_topic=30))
    assert untimed.metadata["threshold_method"]["method"].startswith("out-of-fold")


def test_recent_split_leaves_out_repeats_of_earlier_texts():
    times = [f"2024-01-{d:02d}" for d in range(1, 21)]
    groups = list(range(18)) + [0, 1]  # the last two rows repeat earlier texts
    earlier, later = recent_split(times, groups, share=0.2, minimum=1)
    assert earlier.tolist() == list(range(16)) and later.tolist() == [16, 17]
    assert recent_split(["", *times[1:]], None, 0.2, 1) is None


def test_the_recent_period_is_made_of_ordinary_rows_never_of_corrections():
    # Ten ordinary rows, then five corrections made later (a verifier's decisions on the
    # complaints the model was unsure of): a threshold chosen on those would climb.
    times = [f"2024-01-{d:02d}" for d in range(1, 16)]
    ordinary = [True] * 10 + [False] * 5
    earlier, later = recent_split(times, None, share=0.2, minimum=1, ordinary=ordinary)
    assert later.tolist() == [8, 9]
    assert earlier.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14]
    everything = recent_split(times, None, share=0.2, minimum=1)
    assert everything[1].tolist() == [12, 13, 14]


def test_recency_weights_halve_with_each_half_life():
    weights = recency_weights(["2024-01-01", "2024-01-31 10:00:00", "2024-03-01"], 30)
    assert np.allclose(weights, [0.5**2, 0.5 ** (30 / 30), 1.0])
    assert recency_weights(["2024-01-01"], None) is None


def test_model_train_prints_how_the_threshold_was_chosen(app, settings, tmp_path):
    path = tmp_path / "stream.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "submitted_at"])
        writer.writerows((e.text, e.label, e.submitted_at) for e in drifting_stream(per_topic=30))
    result = app.test_cli_runner().invoke(main, ["model", "train", "--data", str(path)])
    assert result.exit_code == 0, result.output
    assert "periode terbaru data latih (2024-06-" in result.output
    assert "margin 3%" in result.output and "Melatih" in result.output  # the progress bar
    metadata = service.model_store(settings).metadata(
        service.model_store(settings).current_version()
    )
    assert metadata["threshold_method"]["n"] > 0
