"""Fast text features for the classifier.

scikit-learn's char n-gram analyzer runs in Python, one n-gram at a time: about 1,500
complaints a second, too slow for the routing targets. CharNgramHasher computes the same kind
of feature (hashed character n-grams) for a whole batch at once with numpy: every text is
joined into one byte array, each n-gram's hash is a rolling product over shifted views of
it, and n-grams that cross from one text to the next are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

_MULTIPLIER = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEPARATOR = 0  # a byte prepared text never contains (it is ASCII letters, digits, spaces)


class CharNgramHasher(TransformerMixin, BaseEstimator):
    """Counts of hashed character n-grams of ASCII text, as a sparse matrix."""

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), n_features_log2: int = 20):
        self.ngram_range = ngram_range
        self.n_features_log2 = n_features_log2

    def fit(self, texts: Sequence[str], y=None):
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if len(texts) == 0:
            return sp.csr_matrix((0, 1 << self.n_features_log2), dtype=np.float64)
        return _counts_matrix(self._keys(texts), len(texts), self.n_features_log2)

    def columns_and_counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's row of `transform` as its sorted columns and their counts (no matrix:
        building a sparse matrix costs more than hashing a short text)."""
        return np.unique(self._keys([text]), return_counts=True)

    def _keys(self, texts: Sequence[str]) -> np.ndarray:
        """Every n-gram occurrence as (row << n_features_log2 | column)."""
        joined = "\x00".join(texts) + "\x00"
        codes = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8).astype(np.uint64)
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        shift = np.uint64(64 - self.n_features_log2)
        low, high = self.ngram_range
        keys = []
        # Grow the n-grams one character at a time: the hash and validity of the n-grams
        # of size k are those of size k-1 extended by the next character.
        hashed = np.zeros(len(codes), dtype=np.uint64)
        valid = np.ones(len(codes), dtype=bool)
        for size in range(1, high + 1):
            count = len(codes) - size + 1
            if count <= 0:
                break
            window = codes[size - 1 :]
            hashed = hashed[:count] * _MULTIPLIER + window
            valid = valid[:count] & (window != _SEPARATOR)
            if size >= low:
                bucket = ((hashed[valid] + np.uint64(size)) * _MIX) >> shift
                keys.append(
                    (row_of[:count][valid] << self.n_features_log2) | bucket.astype(np.int64)
                )
        return np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)


def _counts_matrix(keys: np.ndarray, n_rows: int, bits: int) -> sp.csr_matrix:
    """A CSR matrix of how often each (row << bits | column) key occurs."""
    unique, counts = np.unique(keys, return_counts=True)
    rows = unique >> bits
    columns = unique & ((1 << bits) - 1)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((counts.astype(np.float64), columns, indptr), shape=(n_rows, 1 << bits))


def word_ngrams(text: str) -> list[str]:
    """Words and word pairs of prepared (already lower-cased, cleaned) text."""
    words = text.split()
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class KnownWords(TransformerMixin, BaseEstimator):
    """Remembers the words seen at least `min_count` times in training; passes text through.

    The router uses it to notice text that is mostly unknown to the model (another language,
    gibberish), which no probability can be trusted on.
    """

    def __init__(self, min_count: int = 2):
        self.min_count = min_count

    def fit(self, texts: Sequence[str], y=None):
        counts: dict[str, int] = {}
        for text in texts:
            for word in set(text.split()):
                counts[word] = counts.get(word, 0) + 1
        self.words_ = frozenset(w for w, n in counts.items() if n >= self.min_count)
        return self

    def transform(self, texts: Sequence[str]) -> Sequence[str]:
        return texts

    def share(self, text: str) -> float:
        """The share of a prepared text's words seen in training (0 when it has none)."""
        words = text.split()
        return sum(w in self.words_ for w in words) / len(words) if words else 0.0


class SparseTfidf(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF with l2-normalised rows, as TfidfTransformer(sublinear_tf=True) does,
    but computed on the stored entries only: no diagonal matrix product, so one short text
    costs microseconds rather than the better part of a millisecond."""

    def fit(self, counts: sp.csr_matrix, y=None):
        n_documents = counts.shape[0]
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = np.log((1 + n_documents) / (1 + document_frequency)) + 1.0
        return self

    def transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = counts.astype(np.float64, copy=True)
        weighted.data = (1.0 + np.log(weighted.data)) * self.idf_[weighted.indices]
        squares = weighted.multiply(weighted).sum(axis=1).A1
        norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        weighted.data /= np.repeat(norms, np.diff(weighted.indptr))
        return weighted

    def row_weights(self, columns: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """`transform` of one row given as its columns and counts: the row's stored values."""
        weights = (1.0 + np.log(counts)) * self.idf_[columns]
        norm = np.sqrt(np.dot(weights, weights))
        return weights / norm if norm > 0 else weights
