"""Routing: the classifier on a small sample of the shipped data, the threshold, artifacts,
decisions for odd text, the CLI, and learning from corrections."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from lapor.cli import main
from lapor.domain import workflow
from lapor.domain.intake import Submission, submit
from lapor.routing import model as routing_model
from lapor.routing import service
from lapor.routing.artifacts import IncompatibleModel, ModelError, ModelStore
from lapor.routing.dataset import KEWILAYAHAN, SHIPPED, derive_labels, read_examples
from lapor.routing.features import CharNgramHasher, SparseTfidf
from lapor.routing.router import LabelMap, RouterCache
from lapor.routing.text import mask_personal_data, prepare
from models import ActorKind, Agency, ComplaintStatus, RoutingExample

from support import domain_effects

EFFECTS = domain_effects()

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def router(routed_settings):
    router = service.current_router(routed_settings)
    assert router is not None
    return router


def test_text_preparation_masks_personal_data_and_normalises_slang():
    raw = "Mhn dibantu utk jln rusak\\nhub 0812-3456-7890, NIK 6271012345678901, a@b.id"
    assert prepare(raw) == "mohon dibantu untuk jalan rusak hub telepon nik nomor email"
    masked = mask_personal_data("wa 081234567890 @akunku nop 357816000503402340")
    assert "0812" not in masked and "akunku" not in masked and "3578" not in masked


def test_labels_follow_the_two_rules_of_the_label_set():
    agencies = ["Kelurahan Gundih"] * 20 + ["Kecamatan Tandes"] * 10 + ["Dinas Sosial"] * 30 + ["X"]
    labels = derive_labels(agencies)
    assert labels[:30] == [KEWILAYAHAN] * 30
    assert labels[30] == "Dinas Sosial" and labels[-1] == "Lainnya"
    assert derive_labels(["Dinas Baru"], known=["Dinas Sosial"]) == ["Lainnya"]


def test_the_shipped_data_has_the_label_set_and_no_phone_numbers():
    examples = read_examples(SHIPPED)
    assert len(examples) == 10809
    assert len({e.label for e in examples}) == 25
    assert not any(re.search(r"(?<!\d)08\d{8,}", e.text) for e in examples)


def test_the_pipeline_learns_and_predicts_probabilities(trained_models, sample_csv):
    store = ModelStore(trained_models)
    trained = store.load()
    proba = trained.probabilities(
        ["lampu pju mati di jalan", "bansos pkh untuk warga miskin belum cair"]
    )
    assert proba.shape == (2, len(trained.labels))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert trained.labels[proba[0].argmax()] == "Dinas Perhubungan"
    assert trained.labels[proba[1].argmax()] == "Dinas Sosial"
    meta = trained.metadata
    assert meta["out_of_fold"]["macro_f1"] > 0.4  # far above chance (1/25) even on 1,400 rows
    assert 0 < meta["threshold"] <= 1 and meta["sklearn_version"]
    assert meta["labels"] == trained.labels


def test_threshold_is_the_lowest_reaching_the_target_precision():
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([1, 1, 1, 1, 0, 1, 0], dtype=bool)
    t, precision, coverage = routing_model.choose_threshold(confidence, correct, target=0.8)
    assert (t, round(precision, 3), round(coverage, 3)) == (0.6, 0.833, round(6 / 7, 3))
    t, precision, coverage = routing_model.choose_threshold(confidence, correct, target=0.95)
    assert (t, precision, coverage) == (0.8, 1.0, 4 / 7)
    assert routing_model.choose_threshold(confidence, ~correct, target=0.95) == (1.0, 1.0, 0.0)


def test_ties_at_the_threshold_are_auto_routed_together():
    confidence = np.array([0.9, 0.9, 0.9, 0.5])
    correct = np.array([1, 1, 0, 1], dtype=bool)
    # 0.9 is reached only with all three tied rows, whose precision is 2/3.
    assert routing_model.choose_threshold(confidence, correct, target=0.7)[0] == 0.5


def test_odd_text_goes_to_triage_without_crashing(router):
    for text in [
        "",
        "   ",
        "jalan",
        "The quick brown fox jumps over the lazy dog again",
        "😀😀😀",
        "asdfgh qwerty zxcvb",
        "x" * 5000,
    ]:
        decision = router.decide(text)
        assert decision.auto is False, text
        assert decision.label in router.model.labels
        assert len(decision.top) == 3


def test_kewilayahan_goes_to_the_regency_government_and_is_never_auto():
    labels = LabelMap.for_region("kalteng")
    assert labels.agency_for(KEWILAYAHAN, "Kabupaten Kapuas") == "PEMKAB-KAPUAS"
    assert labels.agency_for(KEWILAYAHAN, None) is None
    assert labels.agency_for("Dinas Sumber Daya Air dan Bina Marga", None) == "PUPR"
    assert labels.agency_for("Lainnya", None) is None
    assert labels.label_for("PUPR") == "Dinas Sumber Daya Air dan Bina Marga"
    assert labels.label_for("PEMKAB-KAPUAS") == KEWILAYAHAN
    assert labels.label_for("DISBUN") == "agency:DISBUN"
    assert labels.agency_for("agency:DISBUN", None) == "DISBUN"


def test_every_mapped_agency_exists_in_the_registry(session):
    codes = set(session.exec(select(Agency.code)))
    labels = LabelMap.for_region("kalteng")
    targets = {c for c in labels.labels.values() if c} | set(labels.location_agencies.values())
    assert targets <= codes


def test_a_model_from_another_sklearn_is_refused(trained_models, tmp_path):
    root = tmp_path / "models"
    shutil.copytree(trained_models, root)
    store = ModelStore(root)
    meta_path = root / f"route-{store.current_version()}.json"
    meta = json.loads(meta_path.read_text())
    meta["sklearn_version"] = "0.24.2"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModel, match="Latih ulang"):
        store.load()


def test_rollback_returns_to_the_previous_model(trained_models, tmp_path):
    root = tmp_path / "models"
    shutil.copytree(trained_models, root)
    store = ModelStore(root)
    first = store.current_version()
    second = store.load()
    second.metadata["version"] = "20990101T000000Z-second"
    store.save(second)
    store.promote(second.version)
    assert store.current_version() == second.version
    assert store.rollback() == first
    assert store.current_version() == first
    with pytest.raises(ModelError):
        store.rollback()


def test_promotion_rule_allows_ties_not_losses():
    assert service.not_worse(0.70, 0.70)
    assert service.not_worse(0.70, 0.71)
    assert not service.not_worse(0.70, 0.69)


def _cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args))


def test_route_prints_a_json_decision(app, router):
    result = _cli(app)("route", "Lampu PJU mati di jalan raya depan sekolah", "--explain")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["label"] == "Dinas Perhubungan" and body["agency"] == "DISHUB"
    assert {"confidence", "auto", "top", "model_version", "explanation"} <= set(body)
    assert "pju" in [word for word, _ in body["explanation"]]


def test_route_batch_writes_one_line_per_row_in_order(app, router, tmp_path):
    texts = ["lampu pju mati", "", "bansos pkh untuk lansia belum cair", "sampah menumpuk", "x"]
    path = tmp_path / "batch.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "other"])
        for i, text in enumerate(texts):
            writer.writerow([i, text, "ignored"])
    result = _cli(app)("route", "--batch", str(path))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == len(texts)
    for text, line in zip(texts, lines, strict=True):
        assert set(line) == {"label", "agency", "confidence", "auto", "top"}
        assert line == router.decide(text).as_json()
        assert 0 <= line["confidence"] <= 1 and len(line["top"]) == 3


def test_route_refuses_a_csv_without_text_column(app, router, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("isi\nlampu mati\n")
    result = _cli(app)("route", "--batch", str(path))
    assert result.exit_code != 0 and "text" in result.output


def test_model_evaluate_reports_scores(app, router, sample_csv):
    result = _cli(app)("model", "evaluate", str(sample_csv))
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {"accuracy", "macro_f1", "per_label", "auto_precision", "auto_coverage"} <= set(body)
    assert body["accuracy"] > 0.6  # it was trained on these rows


def test_route_without_a_model_says_what_to_do(app):
    result = _cli(app)("route", "lampu mati")
    assert result.exit_code != 0 and "lapor model train" in result.output


def test_intake_auto_routes_a_clear_complaint(session, store, routed_settings, router):
    text = "Lampu PJU mati total di jalan raya depan sekolah, mohon segera diperbaiki"
    decision = router.decide(text)
    result = submit(session, Submission(text=text), now=NOW, store=store, router=router, **EFFECTS)
    session.commit()
    complaint = result.complaint
    assert complaint.routing_label == decision.label
    assert complaint.model_version == router.model.version
    if decision.auto:
        assert complaint.status == ComplaintStatus.ROUTED
    else:
        assert complaint.status == ComplaintStatus.RECEIVED


def test_people_s_routing_decisions_become_training_examples(session, store):
    complaint = submit(
        session, Submission(text="Jalan berlubang besar"), now=NOW, store=store, **EFFECTS
    )
    complaint = complaint.complaint
    pupr = session.exec(select(Agency).where(Agency.code == "PUPR")).one()
    workflow.apply(
        session,
        complaint,
        workflow.Action.VERIFY,
        actor=workflow.Actor(ActorKind.STAFF),
        now=NOW,
        change=workflow.Change(agency=pupr),
        **EFFECTS,
    )
    session.commit()
    row = session.exec(select(RoutingExample)).one()
    assert (row.agency_code, row.source, row.text) == ("PUPR", "verify", "Jalan berlubang besar")
    examples = service.corrections(session, LabelMap.for_region("kalteng"))
    assert [(e.text, e.label, e.correction) for e in examples] == [
        ("Jalan berlubang besar", "Dinas Sumber Daya Air dan Bina Marga", True)
    ]


@pytest.mark.slow
def test_retrain_refuses_a_model_taught_wrong_labels(session, store, routed_settings, sample_csv):
    model_store = service.model_store(routed_settings)
    before = model_store.current_version()
    nothing = service.retrain(routed_settings, now=NOW, data=sample_csv)
    assert nothing.promoted is False and "tidak ada koreksi" in nothing.reason
    # Officers "correct" 300 complaints to one wrong OPD: the retrained model must not win.
    disdik = session.exec(select(Agency).where(Agency.code == "DISDIK")).one()
    complaint = submit(
        session, Submission(text="dummy pengaduan"), now=NOW, store=store, **EFFECTS
    ).complaint
    session.flush()
    for example in read_examples(sample_csv)[:300]:
        session.add(
            RoutingExample(
                complaint_id=complaint.id,
                agency_code=disdik.code,
                source="transfer",
                text=example.text,
                created_at=NOW,
            )
        )
    session.commit()
    result = service.retrain(routed_settings, now=NOW, data=sample_csv)
    assert result.promoted is False, result
    assert result.candidate_macro_f1 < result.current_macro_f1
    assert model_store.current_version() == before


def test_one_text_gets_the_pipeline_s_probabilities_without_matrices(trained_models):
    """The router scores one complaint on arrays (lapor.routing.model); it must agree with the
    pipeline scoring the same text as a batch, for every kind of text."""
    trained = ModelStore(trained_models).load()
    texts = routing_model.prepare_texts(
        [e.text for e in read_examples(SHIPPED)[::97]] + ["", "a", "zz zz", "é ñ 漢字", "x" * 5000]
    )
    batch = trained.pipeline[1:].predict_proba(texts)
    for text, expected in zip(texts, batch, strict=True):
        one = trained.prepared_probabilities([text])
        assert one.shape == (1, len(trained.labels))
        assert np.allclose(one[0], expected, rtol=0, atol=1e-12)


def _reference_ngrams(text: str, low: int, high: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for size in range(low, high + 1):
        for i in range(len(text) - size + 1):
            counts[text[i : i + size]] = counts.get(text[i : i + size], 0) + 1
    return counts


@pytest.mark.parametrize("texts", [["lampu pju mati", "aa", "", "jalan rusak jalan"], ["x"], []])
def test_char_hashing_counts_every_ngram_of_each_text_and_none_across(texts):
    matrix = CharNgramHasher((2, 5), 18).transform(texts)
    assert matrix.shape == (len(texts), 1 << 18)
    for row, text in enumerate(texts):
        reference = _reference_ngrams(text, 2, 5)
        assert matrix[row].sum() == sum(reference.values())
        # Distinct n-grams land in distinct buckets (no collision in such short texts).
        assert matrix[row].nnz == len(reference)
    if len(texts) > 1:
        # "mati" + "aa" must not yield the cross-text n-gram "iaa": rows are independent.
        alone = CharNgramHasher((2, 5), 18).transform([texts[1]])
        assert (matrix[1] != alone).nnz == 0


def test_sparse_tfidf_matches_scikit_learn():
    counts = CharNgramHasher((2, 4), 12).transform(
        ["lampu mati", "jalan rusak berat", "lampu jalan mati total", ""]
    )
    ours = SparseTfidf().fit(counts).transform(counts).toarray()
    theirs = TfidfTransformer(sublinear_tf=True).fit(counts).transform(counts).toarray()
    assert np.allclose(ours, theirs)


def test_explanations_name_the_words_that_matter(trained_models):
    trained = ModelStore(trained_models).load()
    words = [
        w for w, _ in routing_model.explain(trained, "Lampu PJU mati total", "Dinas Perhubungan")
    ]
    assert "pju" in words and "total" not in words[:1]


@pytest.mark.slow
def test_first_start_trains_a_model_once(settings, sample_csv, monkeypatch):
    from lapor.cli import run as runner

    monkeypatch.setattr(service, "SHIPPED", sample_csv)  # the full data takes a minute
    store = service.model_store(settings)
    runner.ensure_model(settings)
    first = store.current_version()
    assert first is not None
    runner.ensure_model(settings)
    assert store.versions() == [first]


def test_a_database_error_while_loading_the_model_is_tried_again(trained_models):
    """The OPD list is read from the database when a model loads: if that fails (a worker
    warming up before PostgreSQL is there), the next call loads it, not triage forever."""
    cache = RouterCache()
    store, labels = ModelStore(trained_models), LabelMap.for_region("kalteng")

    def database_down() -> list[str]:
        raise OperationalError("SELECT agency.code", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):
        cache.get(store, labels, database_down)
    router = cache.get(store, labels, lambda: ["DISHUB"])
    assert router is not None and router is cache.get(store, labels, lambda: [])
