"""The words a complaint is found by: Indonesian stems, the same on every database.

Staff search for "jalan berlubang" and expect "jalannya berlubang-lubang" too. The Snowball
Indonesian stemmer (the algorithm PostgreSQL's `indonesian` configuration uses) strips
particles, possessives and the common prefixes and suffixes; the stems are stored with the
complaint (`search_terms`) and indexed by the database's own full-text engine: a GIN index on
PostgreSQL, FTS5 on SQLite. Computing the stems here rather than in the database keeps both
backends finding exactly the same complaints.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

# Letters and digits of any script; everything else separates words ("berlubang-lubang" is two).
WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 12
MAX_WORD = 40
# Too common in complaints to narrow anything down (after stemming).
STOPWORDS = frozenset(
    "yang dan di ke dari ini itu untuk dengan pada ada tidak sudah akan atau juga karena "
    "saya kami kita mohon tolong agar oleh dalam bisa".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("indonesian")


def words(text: str) -> list[str]:
    """The lower-cased words of a text, too-long tokens cut (no one types a 300-letter word)."""
    return [w[:MAX_WORD] for w in WORD.findall(text.casefold())]


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """One word's stem (cached: complaints repeat the same few thousand words)."""
    return _stemmer().stemWord(word)


def document(*parts: str | None) -> str:
    """The stems a complaint is indexed by, space-separated, from its title, text and place."""
    return " ".join(stem(w) for part in parts if part for w in words(part))


def query_terms(raw: str) -> list[str]:
    """The distinct stems to look for (all must match), stopwords dropped unless that leaves
    nothing; at most MAX_QUERY_WORDS of them."""
    stems = list(dict.fromkeys(stem(w) for w in words(raw)))
    useful = [s for s in stems if s not in STOPWORDS] or stems
    return useful[:MAX_QUERY_WORDS]
