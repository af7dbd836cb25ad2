"""A linear SVM with calibrated probabilities that are cheap to compute, one text at a time.

scikit-learn's CalibratedClassifierCV loops over classes and folds in Python at prediction
time, which costs milliseconds per complaint. Here the SVM is fitted once on all data, and a
softmax with one learned temperature turns its decision values into probabilities. The
temperature is fitted on out-of-fold decision values, so it reflects how far the SVM can be
trusted on text it has not seen. Prediction is one sparse product and a softmax.
"""

from __future__ import annotations

import numpy as np
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


class CalibratedLinearSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC with temperature-scaled softmax probabilities; keeps out-of-fold ones."""

    def __init__(self, C: float = 0.5, folds: int = 3, class_weight: str | None = "balanced"):
        self.C = C
        self.folds = folds
        self.class_weight = class_weight

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight=self.class_weight)

    def fit(self, X, y, groups=None):
        """Fit; with `groups`, rows of one group never straddle a calibration fold."""
        y = np.asarray(y)
        if groups is not None:
            splitter = StratifiedGroupKFold(n_splits=self.folds, shuffle=True, random_state=0)
        else:
            splitter = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=0)
        splits = list(splitter.split(X, y, groups))
        oof_decision = cross_val_predict(self._svm(), X, y, cv=splits, method="decision_function")
        self.svm_ = self._svm().fit(X, y)
        self.classes_ = self.svm_.classes_
        y_index = np.searchsorted(self.classes_, y)
        self.temperature_ = fit_temperature(oof_decision, y_index)
        # Held-out probabilities for every training row (from the fold models), used to
        # score the model and to choose the auto-route threshold.
        self.oof_proba_ = softmax(oof_decision / self.temperature_, axis=1)
        self.coef_ = self.svm_.coef_
        self.intercept_ = self.svm_.intercept_
        # Column-major weights make the sparse-times-dense product avoid a copy per call.
        self.weights_ = np.ascontiguousarray(self.coef_.T)
        return self

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
