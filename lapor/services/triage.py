"""Why the classifier suggests an OPD, for the verifier at triage: the words that decided."""

from __future__ import annotations

import threading
from collections import OrderedDict

from lapor.routing.router import Router

WORDS_SHOWN = 3
# An explanation scores one copy of the text per distinct word left out, so its cost grows
# with the square of the length: 5 ms for three labels of a typical complaint (31 words),
# 100 ms at 150 words, 2 s at 1,100. The words that decide are looked for among the first
# EXPLAINED words: the whole text for 92% of complaints, at most ~60 ms for the rest.
EXPLAINED = 120
# Every view of the page asks again, and a complaint waits at triage for several views:
# the latest answers are kept.
KEPT = 2048

_kept: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()
_lock = threading.Lock()


def decisive_words(router: Router, text: str, labels: list[str]) -> list[list[str]]:
    """For each label, the words of `text` that pushed the model towards it most, strongest
    first; a word that pushed towards every one of them decided nothing between them."""
    explained = [_explained(router, text, label) for label in labels]
    shared = set.intersection(*map(set, explained)) if len(explained) > 1 else set()
    return [[w for w in words if w not in shared][:WORDS_SHOWN] for words in explained]


def _explained(router: Router, text: str, label: str) -> list[str]:
    key = (router.model.version, label, text)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    head = " ".join(text.split()[:EXPLAINED])
    # A number is masked to "0" before the model sees it: it says nothing to a person.
    words = [word for word, _ in router.explain(head, label) if not word.isdigit()]
    with _lock:
        _kept[key] = words
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return words


def forget() -> None:
    """Drop the kept explanations (for measuring the cost of computing them)."""
    with _lock:
        _kept.clear()
