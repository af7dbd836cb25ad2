"""The English catalog read outside a request (emails, the worker): the same file the pages
use through Flask-Babel, read with Babel itself."""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations

from lapor.domain.language import DEFAULT

DIRECTORY = Path(__file__).resolve().parent.parent / "translations"


@cache
def _catalog(language: str) -> NullTranslations:
    # Babel gives a NullTranslations (every text as written) for a language with no catalog.
    return Translations.load(DIRECTORY, [language])


def translate(text: str, language: str) -> str:
    """An Indonesian text of the catalog in `language` (as written when it has no entry)."""
    if language == DEFAULT:
        return text
    return _catalog(language).gettext(text)
