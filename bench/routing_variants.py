"""Model variants for issue 21 that need more than the shipped data, on the forward splits.

    python bench/routing_variants.py ../shared/datasets [--months 2023-01 2023-02 2023-03]
                                     [--only NAME ...]

For each test month, every variant is trained on the earlier months of the shipped data and
scored on that month (minus texts seen in training): macro-F1 and accuracy of the top label
(no calibration or threshold; those are bench/compare_routing.py's). The variants use what the
shipped file does not carry: the Surabaya file's 306 fine topics and kecamatan (its rows are the
shipped rows, in the same order), and the other Indonesian complaint sets as unlabelled text
for LSA. DATASETS is the folder with the `surabaya-mediacenter-opd`, `laporgub-jateng` and
`purbalingga-lapormasbup` sets (see their SOURCE.md; not shipped with Lapor).
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import OneHotEncoder, normalize
from sklearn.svm import LinearSVC

from lapor.routing.dataset import SHIPPED, read_examples
from lapor.routing.features import CharNgramHasher, SparseTfidf
from lapor.routing.model import duplicate_groups, prepare_texts

csv.field_size_limit(10**8)


class Data:
    """The shipped rows with the Surabaya file's topics and kecamatan, prepared once."""

    def __init__(self, datasets: Path):
        examples = read_examples(SHIPPED)
        side = self._rows(datasets / "surabaya-mediacenter-opd" / "complaints.csv")
        if len(side) != len(examples):
            raise SystemExit("the Surabaya file does not match the shipped rows")
        self.datasets = datasets
        self.texts = prepare_texts([e.text for e in examples])
        self.labels = np.array([e.label for e in examples])
        self.months = np.array([e.submitted_at[:7] for e in examples])
        self.topics = np.array([row["topic"] for row in side])
        self.kecamatan = np.array([row["kecamatan"] for row in side])
        self.groups = duplicate_groups(examples)

    @staticmethod
    def _rows(path: Path) -> list[dict]:
        with path.open(encoding="utf-8") as file:
            return list(csv.DictReader(file))

    def split(self, month: str) -> tuple[np.ndarray, np.ndarray]:
        train = np.where(self.months < month)[0]
        seen = set(self.groups[train])
        test = np.array(
            [i for i in np.where(self.months == month)[0] if self.groups[i] not in seen]
        )
        return train, test

    def unlabelled_corpus(self) -> list[str]:
        """The shipped texts, LaporGub's token lists and Purbalingga's complaints."""
        corpus = list(self.texts)
        with (self.datasets / "laporgub-jateng" / "prep_2024_2025.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter=";"):
                corpus.append(" ".join(ast.literal_eval(row["complaints"] or "[]")))
        purbalingga = self.datasets / "purbalingga-lapormasbup" / "keluhan_masyarakat.csv"
        with purbalingga.open(encoding="utf-8") as f:
            texts = [row.get("text", "") for row in csv.DictReader(f, delimiter="\t")]
        return corpus + prepare_texts(texts)


def svc(C: float = 1.0, balanced: bool = True) -> LinearSVC:
    return LinearSVC(C=C, class_weight="balanced" if balanced else None, tol=0.1)


def chars(data: Data, train, test):
    """The production features: hashed char 3-5-grams with TF-IDF."""
    hasher, tfidf = CharNgramHasher((3, 5), 18), SparseTfidf()
    a = tfidf.fit_transform(hasher.transform([data.texts[i] for i in train]))
    return a, tfidf.transform(hasher.transform([data.texts[i] for i in test]))


def words(data: Data, train, test):
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    a = vectorizer.fit_transform([data.texts[i] for i in train])
    return a, vectorizer.transform([data.texts[i] for i in test])


def side_by_side(a, b, weight: float = 1.0):
    return sp.hstack([a, sp.csr_matrix(weight * b) if not sp.issparse(b) else weight * b]).tocsr()


def z_scores(decision: np.ndarray) -> np.ndarray:
    return (decision - decision.mean(1, keepdims=True)) / (decision.std(1, keepdims=True) + 1e-9)


def production(data, train, test):
    a, b = chars(data, train, test)
    return svc().fit(a, data.labels[train]).decision_function(b)


def word_and_char(data, train, test):
    (a, b), (c, d) = chars(data, train, test), words(data, train, test)
    return svc().fit(side_by_side(a, c), data.labels[train]).decision_function(side_by_side(b, d))


def ensemble(data, train, test):
    """Mean of the z-scored decisions of a char SVM and a word SVM."""
    (a, b), (c, d) = chars(data, train, test), words(data, train, test)
    y = data.labels[train]
    return z_scores(svc().fit(a, y).decision_function(b)) + z_scores(
        svc().fit(c, y).decision_function(d)
    )


def logistic(data, train, test):
    a, b = chars(data, train, test)
    model = LogisticRegression(C=20, class_weight="balanced", max_iter=200)
    return model.fit(a, data.labels[train]).predict_log_proba(b)


def nb_svm(data, train, test):
    """NB-SVM (Wang & Manning 2012): binary word 1-2-grams scaled by NB log-count ratios,
    one SVM per label."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), binary=True, use_idf=False, norm=None)
    x = vectorizer.fit_transform([data.texts[i] for i in train])
    x_test = vectorizer.transform([data.texts[i] for i in test])
    y = data.labels[train]
    classes = np.unique(y)
    out = np.zeros((x_test.shape[0], len(classes)))
    for j, label in enumerate(classes):
        p = 1.0 + np.asarray(x[y == label].sum(0)).ravel()
        q = 1.0 + np.asarray(x[y != label].sum(0)).ravel()
        ratio = sp.diags(np.log((p / p.sum()) / (q / q.sum())))
        model = LinearSVC(C=0.1, class_weight="balanced", tol=0.1).fit(x @ ratio, y == label)
        out[:, j] = model.decision_function(x_test @ ratio)
    return out


def topic_then_office(data, train, test):
    """Predict one of the fine topics, then the office that most often handled it."""
    a, b = chars(data, train, test)
    topics, labels = data.topics[train], data.labels[train]
    office = {t: Counter(labels[topics == t]).most_common(1)[0][0] for t in np.unique(topics)}
    predicted = svc(C=0.5).fit(a, topics).predict(b)
    return np.array([office[t] for t in predicted])


def topic_scores_as_features(data, train, test, weight: float = 0.3):
    """The office SVM on char features plus a topic SVM's decision values (cross-fitted on
    the training rows so that they are as noisy there as on new text)."""
    a, b = chars(data, train, test)
    topics = data.topics[train]
    common = {t for t, n in Counter(topics).items() if n >= 5}
    topics = np.where(np.isin(topics, list(common)), topics, "other")
    names = np.unique(topics)
    held_out = np.full((len(train), len(names)), -1.0)
    for fit, score in GroupKFold(3).split(a, topics, data.groups[train]):
        model = svc(C=0.5, balanced=False).fit(a[fit], topics[fit])
        held_out[np.ix_(score, np.searchsorted(names, model.classes_))] = model.decision_function(
            a[score]
        )
    new = svc(C=0.5, balanced=False).fit(a, topics).decision_function(b)
    model = svc().fit(side_by_side(a, held_out, weight), data.labels[train])
    return model.decision_function(side_by_side(b, new, weight))


_LSA: dict[str, tuple] = {}


def lsa(data, train, test, weight: float = 0.5, dimensions: int = 300):
    """Char features plus 300 LSA dimensions learned from all the unlabelled complaint texts."""
    if "model" not in _LSA:
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=3)
        matrix = vectorizer.fit_transform(data.unlabelled_corpus())
        _LSA["model"] = (vectorizer, TruncatedSVD(dimensions, random_state=0).fit(matrix))
    vectorizer, svd = _LSA["model"]

    def project(rows):
        return normalize(svd.transform(vectorizer.transform([data.texts[i] for i in rows])))

    a, b = chars(data, train, test)
    model = svc().fit(side_by_side(a, project(train), weight), data.labels[train])
    return model.decision_function(side_by_side(b, project(test), weight))


def kecamatan(data, train, test, weight: float = 0.3):
    """Char features plus the complaint's kecamatan, one-hot."""
    a, b = chars(data, train, test)
    onehot = OneHotEncoder(handle_unknown="ignore").fit(data.kecamatan[train].reshape(-1, 1))
    model = svc().fit(
        side_by_side(a, onehot.transform(data.kecamatan[train].reshape(-1, 1)), weight),
        data.labels[train],
    )
    return model.decision_function(
        side_by_side(b, onehot.transform(data.kecamatan[test].reshape(-1, 1)), weight)
    )


VARIANTS = {
    "production: char 3-5, LinearSVC C=1": production,
    "char + word 1-2 in one LinearSVC": word_and_char,
    "ensemble: char SVM + word SVM (z-scored mean)": ensemble,
    "logistic regression on char 3-5": logistic,
    "NB-SVM on word 1-2": nb_svm,
    "306 topics, then the topic's usual office": topic_then_office,
    "char + cross-fitted topic scores (auxiliary target)": topic_scores_as_features,
    "char + LSA 300 from 21k unlabelled texts": lsa,
    "char + kecamatan one-hot": kecamatan,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", type=Path)
    parser.add_argument("--months", nargs="*", default=["2023-01", "2023-02", "2023-03"])
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    data = Data(args.datasets)
    for name, variant in VARIANTS.items():
        if args.only and not any(part in name for part in args.only):
            continue
        started, f1s, accuracies = time.perf_counter(), [], []
        for month in args.months:
            train, test = data.split(month)
            out = variant(data, train, test)
            predicted = out if out.ndim == 1 else np.unique(data.labels[train])[out.argmax(1)]
            truth = data.labels[test]
            f1s.append(f1_score(truth, predicted, average="macro", zero_division=0))
            accuracies.append(accuracy_score(truth, predicted))
        print(
            json.dumps(
                {
                    "name": name,
                    "macro_f1": [round(v, 3) for v in f1s],
                    "accuracy": [round(v, 3) for v in accuracies],
                    "median_macro_f1": round(float(np.median(f1s)), 4),
                    "median_accuracy": round(float(np.median(accuracies)), 4),
                    "seconds": round(time.perf_counter() - started),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
