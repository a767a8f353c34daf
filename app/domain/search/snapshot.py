"""What one search reads of the index: a consistent snapshot, and what it cannot vouch for."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from app.domain.search.columns import Columns
from app.domain.search.layout import Facets

log = logging.getLogger(__name__)


class SearchUnavailable(RuntimeError):
    """The index cannot be read, so no search can be answered without risking counting what a
    reader may not see; the message says so in words a person understands."""


@dataclass(frozen=True)
class Snapshot:
    """The in-memory columns, the facets they hold, and the assets they cannot vouch for."""

    columns: Columns
    facets: Facets
    unsettled: np.ndarray  # ordinals of assets with a write the index has not taken in yet

    @property
    def state(self) -> Hashable:
        """What a search's answer depends on in the index: equal states answer alike."""
        columns = self.columns
        moved = (columns.epoch, columns.last_ordinal, columns.removed_seq)
        return (*moved, self.facets.signature, self.unsettled.tobytes())

    def visible(self, graphs: Sequence[str] | None) -> np.ndarray:
        """The live assets stored in one of ``graphs`` (None: in any graph), except those
        whose latest write the index missed (its sync failed, or is under way): such an asset
        may have left the reader's graphs or been deleted, so it is neither counted nor listed."""
        mask = self.columns.in_graphs(graphs)
        mask[self.unsettled] = False
        return mask


@contextmanager
def readable() -> Iterator[None]:
    """SQLite failures of the read path, as :class:`SearchUnavailable`."""
    try:
        yield
    except sqlite3.Error as error:
        log.exception("search index: cannot be read")
        raise SearchUnavailable(
            f"Search is unavailable: the search index cannot be read ({error}). Try again in a "
            "moment; if it goes on, an administrator can rebuild it with `atrium reindex`."
        ) from error
