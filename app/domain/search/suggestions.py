"""“Did you mean”: other spellings of a search's words that find more, for this reader.

Offered when a text search finds fewer than :data:`FEW_RESULTS` assets. The candidates for a
word are the indexed words (of titles and bodies, not their stems) and the concept label words
within :data:`MAX_DISTANCE` edits of it (insertions, deletions, substitutions and swaps of
neighbours), starting with the same letter. A candidate is offered only if the search with it
finds more assets *in the reader's scope*: the index's words are those of every asset, so a
word only a restricted asset holds finds nothing for a reader who may not see it, and is never
shown to them. All of it runs within the search's ``suggestion_seconds``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path

from app.domain.search.text import words

FEW_RESULTS = 3
MAX_DISTANCE = 2
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from, or to be guessed
MAX_SUGGESTIONS = 3
CANDIDATES_PER_WORD = 4  # the nearest, most frequent ones, each tried with a search

_WORDS = """
SELECT term, sum(doc) FROM temp.indexed_words
WHERE col IN ('title', 'body') AND term >= ? AND term < ? AND length(term) BETWEEN ? AND ?
GROUP BY term
"""


def distance(one: str, other: str, limit: int = MAX_DISTANCE) -> int:
    """The optimal string alignment distance of two words, or ``limit + 1`` if above it."""
    if abs(len(one) - len(other)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(other) + 1))
    for i, a in enumerate(one, 1):
        current = [i] + [0] * len(other)
        for j, b in enumerate(other, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if before is not None and i > 1 and j > 1 and a == other[j - 2] and one[i - 2] == b:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def indexed_words(path: Path, word: str) -> dict[str, int]:
    """The indexed words that could be within reach of ``word``, with how many assets hold
    them (read through FTS5's vocabulary table, on a read-only connection of its own)."""
    first, low, high = word[0], len(word) - MAX_DISTANCE, len(word) + MAX_DISTANCE
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.execute("CREATE VIRTUAL TABLE temp.indexed_words USING fts5vocab(main, text, col)")
            rows = db.execute(_WORDS, (first, chr(ord(first) + 1), low, high)).fetchall()
    except sqlite3.Error:
        return {}  # no suggestions beat a failed search
    return dict(rows)


def suggest(
    text: str,
    label_words: Iterable[str],
    index_path: Path,
    finds: Callable[[str], int],
    found: int,
    clock: Callable[[], float],
    seconds: float,
) -> list[str]:
    """Up to :data:`MAX_SUGGESTIONS` respellings of ``text`` (one word changed each) for which
    ``finds`` (the number of results in the reader's scope) is above ``found``."""
    deadline = clock() + seconds
    typed = words(text)
    labels = set(label_words)
    offered: list[tuple[int, int, str]] = []
    for position, word in enumerate(typed):
        if len(word) < MIN_LENGTH or clock() > deadline:
            continue
        known = indexed_words(index_path, word)
        known.update({label: 0 for label in labels if label[:1] == word[0] and label not in known})
        near = []
        for candidate, assets in known.items():
            if candidate.startswith(word) or len(candidate) < MIN_LENGTH:  # found, or a guess
                continue
            edits = distance(word, candidate)
            if edits <= MAX_DISTANCE:
                near.append((edits, -assets, candidate))
        for edits, _, candidate in sorted(near)[:CANDIDATES_PER_WORD]:
            if clock() > deadline:
                break
            respelled = " ".join((*typed[:position], candidate, *typed[position + 1 :]))
            total = finds(respelled)
            if total > found:
                offered.append((edits, -total, respelled))
    return [respelled for _, _, respelled in sorted(offered)[:MAX_SUGGESTIONS]]
