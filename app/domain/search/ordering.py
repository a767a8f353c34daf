"""The order of a search's results: one page of it, and one asset's place in it.

Both read the same key, one int64 per hit, unique, smallest first, so the asset page's
previous and next follow the search page's order exactly:

- relevance with text: the tier (every word in the title, in the text, through concepts
  only), then newest first; without text, and ``newest``: newest first; ``oldest``: oldest
  first; ``title``: by the index's title rank; ``best:IRI``: best score first, unscored last,
  then newest;
- ties broken by ordinal.

A page partitions the keys (it sorts only the hits up to its end); an asset's place compares
its key with every hit's once, so finding it never sorts the results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from app.domain.search.columns import Columns

ORDINAL_SPAN = 1 << 24  # ordinals below this sort by one int64 key; beyond, by lexsort
TIER_SPAN = 1 << 58
_LOWEST, _HIGHEST = np.iinfo(np.int64).min, np.iinfo(np.int64).max


@dataclass(frozen=True)
class Place:
    """Where one hit stands in the order: its index among the hits (from 0), their number,
    and the ordinals of the hits just before and after it (None at either end)."""

    index: int
    total: int
    previous: int | None
    next: int | None


class Ordering:
    """The hits of one search in the order the search lists them."""

    def __init__(
        self,
        columns: Columns,
        hits: np.ndarray,
        order: str,
        tiers: np.ndarray | None = None,
        best: np.ndarray | None = None,
        title_ranks: Callable[[], np.ndarray] | None = None,
    ) -> None:
        """``hits``: a mask over the ordinals; ``order``: the query's order in effect;
        ``tiers``: each ordinal's text tier (relevance); ``best``: minus each ordinal's score
        (``sort=best:IRI``); ``title_ranks``: each ordinal's rank by title, read on demand."""
        self.columns = columns
        self.candidates = np.flatnonzero(hits)
        self.order = order
        self.tiers = tiers
        self.best = best
        self.title_ranks = title_ranks

    @property
    def total(self) -> int:
        return len(self.candidates)

    def page(self, start: int, end: int) -> list[int]:
        """The ordinals from index ``start`` to ``end`` (excluded), in order."""
        end = min(end, self.total)
        if start >= end:
            return []
        keys = self.keys
        top = np.argpartition(keys, end - 1)[:end] if end < self.total else np.arange(end)
        top = top[np.argsort(keys[top], kind="stable")]
        return [int(n) for n in self.candidates[top[start:end]]]

    def place(self, ordinal: int | None) -> Place | None:
        """Where ``ordinal`` stands among the hits; None if it is not one of them."""
        if ordinal is None or self.total == 0:
            return None
        found = int(np.searchsorted(self.candidates, ordinal))  # candidates ascend
        if found >= self.total or self.candidates[found] != ordinal:
            return None
        keys = self.keys
        key = keys[found]
        index = int(np.count_nonzero(keys < key))
        lower = np.where(keys < key, keys, _LOWEST)  # the nearest key below is the largest
        higher = np.where(keys > key, keys, _HIGHEST)
        return Place(
            index=index,
            total=self.total,
            previous=int(self.candidates[lower.argmax()]) if index > 0 else None,
            next=int(self.candidates[higher.argmin()]) if index + 1 < self.total else None,
        )

    @cached_property
    def keys(self) -> np.ndarray:
        """One unique int64 per hit (in ordinal order), smallest first."""
        candidates = self.candidates
        if self.best is not None:
            submitted = self.columns.submitted[candidates]
            return _ranks(np.lexsort((candidates, -submitted, self.best[candidates])))
        raw = self._raw_keys()
        if self.columns.size >= ORDINAL_SPAN:  # too many ordinals to pack: rank them instead
            return _ranks(np.lexsort((candidates, raw)))
        return raw * ORDINAL_SPAN + candidates

    def _raw_keys(self) -> np.ndarray:
        if self.order == "title" and self.title_ranks is not None:
            return self.title_ranks()[self.candidates]
        submitted = self.columns.submitted[self.candidates]
        if self.order == "oldest":
            return submitted
        newest = -submitted
        if self.order == "relevance" and self.tiers is not None:
            return newest + (2 - self.tiers[self.candidates]) * (TIER_SPAN // ORDINAL_SPAN)
        return newest


def _ranks(order: np.ndarray) -> np.ndarray:
    """Each position's rank, given the positions in sorted order."""
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return ranks
