"""Case- and accent-insensitive text: one folding for the index, the query and concept labels.

Text is folded with Unicode case folding and compatibility decomposition, combining marks
dropped (Unicode Standard Annex #15), so "Vélo", "VELO" and "velo" are the same word, and
"Straße" matches "strasse". Words are runs of letters and digits. The full-text index
(:mod:`app.domain.search.index`) stores folded words, so the index, the query and the labels
are compared in exactly one form.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """``text`` casefolded, with accents and other combining marks removed."""
    if text.isascii():  # most text: nothing to decompose, and casefold is lower
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return WORD.findall(fold(text))


def folded_text(*texts: str) -> str:
    """Texts as the index stores them: folded words separated by single spaces."""
    return " ".join(word for text in texts for word in words(text))


def sort_key(title: str) -> str:
    """The key titles sort by: folded, words joined by single spaces."""
    return folded_text(title)
