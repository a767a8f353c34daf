"""Which label a reader sees: their languages first, then a fixed fallback, never chance.

Language tags compare case-insensitively (BCP 47, RFC 5646 §2.1.1); a reader asking for ``en``
also gets ``en-GB`` labels, and one asking for ``en-GB`` gets ``en`` ones next (the basic
filtering of RFC 4647 §3.3.1, both ways). The order after the reader's own languages is stated
to the reader in :data:`FALLBACK_ORDER`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pyoxigraph import Literal

DEFAULT_LANGUAGE = "en"
FALLBACK_ORDER = (
    "your languages in the order you prefer them, then English, then labels without a "
    "language tag, then any other language in alphabetical order of its tag"
)


@dataclass(frozen=True)
class LanguagePreference:
    """The reader's languages, most wanted first, always ending with English."""

    languages: tuple[str, ...]

    @classmethod
    def of(cls, requested: Iterable[str]) -> LanguagePreference:
        wanted: list[str] = []
        for tag in (*requested, DEFAULT_LANGUAGE):
            tag = tag.strip().lower()
            if tag and tag != "*" and tag not in wanted:
                wanted.append(tag)
        return cls(tuple(wanted))

    @property
    def first(self) -> str:
        return self.languages[0]

    def rank(self, tag: str) -> tuple[int, int, str]:
        """Sort key of a language tag: lower is better."""
        tag = tag.lower()
        primary = tag.split("-")[0]
        for position, wanted in enumerate(self.languages):
            if tag == wanted:
                return (position, 0, tag)
            if primary and primary == wanted.split("-")[0]:
                return (position, 1, tag)
        untagged = len(self.languages)
        return (untagged, 0, "") if not tag else (untagged + 1, 0, tag)

    def best(self, literals: Iterable[Literal]) -> Literal | None:
        """The literal to show: best language, then the first text alphabetically."""
        return min(literals, key=self.literal_key, default=None)

    def literal_key(self, literal: Literal) -> tuple[tuple[int, int, str], str]:
        return (self.rank(literal.language or ""), literal.value)

    def best_text(self, texts: Mapping[str, str]) -> str | None:
        """The text to show of ``texts`` (language tag, "" for none → text), by the same rule."""
        if not texts:
            return None
        return texts[min(texts, key=lambda tag: (self.rank(tag), texts[tag]))]


def as_preference(language: str | LanguagePreference) -> LanguagePreference:
    """A reader's preference; a single language tag means that language, then the fallback."""
    if isinstance(language, LanguagePreference):
        return language
    return LanguagePreference.of([language])
