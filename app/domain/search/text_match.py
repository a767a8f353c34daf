"""The words of a text search: which assets match them, and in which tier they rank.

Each word must match, as the start of a word or exactly through one of its stems, the folded
title or body in the index's FTS5 table, or a label of a concept the asset holds in a
searchable concept field. For ranking, an asset is in tier 2 when its title holds every word,
1 when its text does, 0 when it is found through concepts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from app.domain.search.concept_lookup import ConceptLookup
from app.domain.search.layout import Facets
from app.domain.search.masks import Masks
from app.domain.search.stems import query_words

MIN_PREFIX = 3  # words this long also match longer words they start


class TextIndex(Protocol):
    def matching_text(self, expression: str) -> np.ndarray: ...


def match_words(
    index: TextIndex, masks: Masks, facets: Facets, vocabulary: ConceptLookup, text: str, rank: bool
) -> np.ndarray | None:
    """Restrict ``masks`` to the assets matching every word of ``text``; if ``rank``, return
    each asset's tier (None when ``text`` has no word, or without ``rank``)."""
    found = query_words(text)
    if not found:
        return None
    columns = masks.columns
    words = [fts_word(word, stems) for word, stems in found]
    in_title = f"{{title title_stems}} : ({' AND '.join(words)})"
    # One query per distinct word, and one for the titles: every word in the text is where
    # the words' own matches meet, which needs no query of its own.
    asked = list(dict.fromkeys([*words, *([in_title] if rank else [])]))
    ordinals = {expression: index.matching_text(expression) for expression in asked}
    in_text = columns.alive.copy() if rank else None  # every word in the text: tier 1
    for (word, stems), expression in zip(found, words, strict=True):
        matched = columns.empty_mask()
        matched[ordinals[expression]] = True
        if in_text is not None:
            in_text &= matched
        concepts = vocabulary.matching(word, prefix=len(word) >= MIN_PREFIX, stems=stems)
        for facet in facets.searched if concepts else ():
            matched |= columns.having(facet.name, concepts)
        masks.add_text(matched)
    if in_text is None:
        return None
    tiers = in_text.astype(np.int64)
    tiers[ordinals[in_title]] = 2
    return tiers


def fts_word(word: str, stems: Sequence[str] = ()) -> str:
    """One folded word as an FTS5 query: a quoted string, a prefix query if long enough, or
    exactly one of its stems (indexed words and stems are both matched)."""
    quoted = _quoted(word) + ("*" if len(word) >= MIN_PREFIX else "")
    others = [_quoted(stem) for stem in stems if stem != word]
    return f"({' OR '.join((quoted, *others))})" if others else quoted


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'
