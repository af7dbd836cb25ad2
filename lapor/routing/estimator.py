"""A linear SVM with calibrated probabilities that are cheap to compute, one text at a time.

scikit-learn's CalibratedClassifierCV loops over classes and folds in Python at prediction
time, which costs milliseconds per complaint. Here the SVM is fitted once on all data, and a
softmax with one learned temperature turns its decision values into probabilities. The
temperature is fitted on held-out decision values, so it reflects how far the SVM can be
trusted on text it has not seen. With submission times, the held-out rows are the most recent
ones, predicted by an SVM fitted on the earlier ones: the drift a deployment meets is in the
calibration (two fits in all). Without them, grouped random folds as before.
Prediction is one sparse product and a softmax.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC


def fit_temperature(decision: np.ndarray, y_index: np.ndarray) -> float:
    """The temperature T minimising the log-loss of softmax(decision / T)."""

    def log_loss(log_t: float) -> float:
        logp = log_softmax(decision / np.exp(log_t), axis=1)
        return -float(logp[np.arange(len(y_index)), y_index].mean())

    result = minimize_scalar(log_loss, bounds=(-6.0, 3.0), method="bounded")
    return float(np.exp(result.x))


def recency_weights(times, half_life_days: float | None) -> np.ndarray | None:
    """Sample weights halving every `half_life_days` back from the latest time (None: equal)."""
    if half_life_days is None or (np.asarray(times) == "").any():
        return None
    stamps = np.array([t[:10] for t in times], dtype="datetime64[D]")
    age = (stamps.max() - stamps).astype(float)
    return 0.5 ** (age / half_life_days)


def recent_split(
    times, groups=None, share: float = 0.1, minimum: int = 50, ordinary=None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(earlier, later) row indices: `later` is the latest `share` of the ordinary rows by time,
    minus texts (groups) that also occur earlier; every other row is earlier. None without a
    time for every row or too few rows. `ordinary` (a boolean per row, default all) leaves out
    of `later` the rows that are not what the model will meet: people's corrections are the
    complaints it was unsure of or got wrong, and a threshold chosen on them would climb."""
    times = np.asarray(times, dtype=str)
    if len(times) == 0 or (times == "").any():
        return None
    ordinary = np.ones(len(times), bool) if ordinary is None else np.asarray(ordinary, bool)
    candidates = np.flatnonzero(ordinary)
    order = candidates[np.argsort(times[candidates], kind="stable")]
    cut = len(order) - max(int(len(order) * share), minimum)
    if cut < minimum:
        return None
    earlier = np.sort(np.concatenate([order[:cut], np.flatnonzero(~ordinary)]))
    later = np.sort(order[cut:])
    if groups is not None:
        groups = np.asarray(groups)
        later = later[~np.isin(groups[later], groups[earlier])]
    return (earlier, later) if len(later) >= minimum else None


class CalibratedLinearSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC with temperature-scaled softmax probabilities; keeps held-out ones."""

    def __init__(
        self,
        C: float = 0.5,
        folds: int = 3,
        class_weight: str | None = "balanced",
        recent: float = 0.1,
        tol: float = 0.1,
        half_life_days: float | None = None,
    ):
        self.C = C
        self.folds = folds
        self.class_weight = class_weight
        self.recent = recent
        self.tol = tol
        self.half_life_days = half_life_days

    def _svm(self) -> LinearSVC:
        # tol 0.1 instead of 1e-4: the same predictions on the shipped data, a third faster.
        return LinearSVC(C=self.C, class_weight=self.class_weight, tol=self.tol)

    def fit(self, X, y, groups=None, times=None, progress=None, ordinary=None):
        """Fit; calibrate on the most recent rows when `times` are given, else on grouped
        random folds. Rows of one group never sit on both sides of a calibration split.
        `progress` (a callable taking a message) hears of each of the two stages; `ordinary`
        marks the rows the most recent period may be made of (recent_split)."""
        progress = progress or (lambda _message: None)
        y = np.asarray(y)
        times = None if times is None else np.asarray(times, dtype=str)
        split = None if times is None else recent_split(times, groups, self.recent, 50, ordinary)
        weights = None if times is None else recency_weights(times, self.half_life_days)
        recent = split is not None and len(np.unique(y[split[0]])) >= 3
        progress(f"melatih model akhir pada {len(y)} contoh")
        if recent:
            progress(f"melatih model kalibrasi pada {len(split[0])} contoh terdahulu")
        else:
            progress(f"melatih {self.folds} model lipatan untuk kalibrasi")
        # The final SVM and the calibration are independent fits: on two cores, in two
        # processes (joblib, as scikit-learn parallelises), they take the time of one.
        self.svm_, (held_decision, held_out, held_classes) = Parallel(n_jobs=2)(
            [
                delayed(self._svm().fit)(X, y, sample_weight=weights),
                delayed(self._calibration)(X, y, groups, times, split if recent else None),
            ]
        )
        self.classes_ = self.svm_.classes_
        # A label absent from the earlier rows gets no score there: it cannot be predicted.
        full = np.full((len(held_out), len(self.classes_)), -1e3)
        full[:, np.searchsorted(self.classes_, held_classes)] = held_decision
        self.temperature_ = fit_temperature(full, np.searchsorted(self.classes_, y[held_out]))
        # Held-out probabilities (rows `held_out_index_`), used to score the model and to
        # choose the auto-route threshold.
        self.held_out_index_ = held_out
        self.held_out_proba_ = softmax(full / self.temperature_, axis=1)
        self.coef_ = self.svm_.coef_
        self.intercept_ = self.svm_.intercept_
        # Column-major weights make the sparse-times-dense product avoid a copy per call.
        self.weights_ = np.ascontiguousarray(self.coef_.T)
        return self

    def _calibration(self, X, y, groups, times, split):
        """Held-out decision values, their rows and the labels they cover: the most recent
        period (`split`) predicted by an SVM fitted on the earlier rows, else grouped folds."""
        if split is None:
            return self._out_of_fold(X, y, groups)
        earlier, later = split
        weights = recency_weights(times[earlier], self.half_life_days)
        svm = self._svm().fit(X[earlier], y[earlier], sample_weight=weights)
        return svm.decision_function(X[later]), later, np.unique(y[earlier])

    def _out_of_fold(self, X, y, groups):
        """Decision values of every row from grouped random fold models."""
        if groups is not None:
            splitter = StratifiedGroupKFold(n_splits=self.folds, shuffle=True, random_state=0)
        else:
            splitter = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=0)
        splits = list(splitter.split(X, y, groups))
        decision = cross_val_predict(self._svm(), X, y, cv=splits, method="decision_function")
        return decision, np.arange(len(y)), np.unique(y)

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X @ self.weights_) + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.decision_function(X) / self.temperature_, axis=1)

    def row_probabilities(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """`predict_proba` of one sparse row given as its columns and values."""
        scaled = (values @ self.weights_[columns] + self.intercept_) / self.temperature_
        # scipy's softmax, written out: its checks cost more than the arithmetic here.
        exponentials = np.exp(scaled - scaled.max())
        return exponentials / exponentials.sum()

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]
