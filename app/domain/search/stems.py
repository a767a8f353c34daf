"""Word stems, so that "bicycles" finds "bicycle", "Fahrräder" "Fahrrad" and "vélos" "vélo".

A word is stemmed with the Snowball stemmer (PyStemmer) of its text's language tag, before it
is folded (:mod:`.text`), since the stemmers know their accents ("fahrräder" → "fahrrad"); the
stem is then folded like every other word, so case and accents stay ignored. Text without a
tag, or in a language Snowball has no stemmer for, is stemmed in every language of
:data:`UNTAGGED_LANGUAGES` (the interface's). The index stores, besides the folded words, the
folded stems that differ from them (:func:`stem_text`); a query word matches its own form as a
prefix or, exactly, any of its stems in those languages (:func:`query_words`), so the indexed
text and the query are stemmed by one function.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import Stemmer

from app.domain.search.text import WORD, fold

UNTAGGED_LANGUAGES = ("en", "de", "fr")  # the interface's languages: untagged text may be any


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    """Snowball's stemmer for a primary language subtag (it knows ISO 639 codes), or None."""
    try:
        return Stemmer.Stemmer(language)
    except KeyError:
        return None


def _languages(tag: str | None) -> tuple[str, ...]:
    primary = (tag or "").split("-")[0].lower()
    return (primary,) if primary and _stemmer(primary) is not None else UNTAGGED_LANGUAGES


def _raw_words(text: str) -> list[str]:
    """The casefolded words of ``text``, accents kept (for the stemmers)."""
    return WORD.findall(text.casefold())


_folded = functools.lru_cache(maxsize=200_000)(fold)


def _stems(raw: Iterable[str], languages: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for word in raw:
        found |= _word_stems(word, languages)
    return found


@functools.lru_cache(maxsize=200_000)  # words repeat: a rebuild stems each one once
def _word_stems(word: str, languages: tuple[str, ...]) -> frozenset[str]:
    """The folded stems of a word as written and as folded: a stemmer may know a language's
    accents ("fahrräder") but not another's (the English one stems "velos", not "vélos")."""
    forms = list({word, _folded(word)})
    found: set[str] = set()
    for language in languages:
        stemmer = _stemmer(language)
        if stemmer is not None:
            found.update(fold(stem) for stem in stemmer.stemWords(forms))
    return frozenset(found)


def stem_text(texts: Iterable[tuple[str, str | None]]) -> str:
    """The folded stems of ``texts`` (each a value and its language tag) that are not already
    among their folded words, sorted, separated by single spaces (as the index stores them)."""
    by_language: dict[tuple[str, ...], set[str]] = {}
    for text, tag in texts:
        by_language.setdefault(_languages(tag), set()).update(_raw_words(text))
    stems: set[str] = set()
    folded: set[str] = set()
    for languages, raw in by_language.items():
        stems |= _stems(raw, languages)
        folded.update(_folded(word) for word in raw)
    return " ".join(sorted(stems - folded))


def word_stems(word: str) -> set[str]:
    """The folded stems of one word in every untagged language (concept labels)."""
    return _stems([word], UNTAGGED_LANGUAGES)


def query_words(text: str) -> list[tuple[str, list[str]]]:
    """Each word of a query, folded, with its folded stems in every untagged language (the
    stems of the word as typed, accents kept, since the stemmers know them)."""
    return [(fold(raw), sorted(_stems([raw], UNTAGGED_LANGUAGES))) for raw in _raw_words(text)]
