"""The hits of a search as boolean masks over the ordinals: the reader's scope, the text match
and each facet's filter, kept apart so each facet can count without its own filter."""

from __future__ import annotations

import numpy as np

from app.domain.search.columns import Columns
from app.domain.search.layout import Facets
from app.domain.search.query import SearchQuery

RANGE = "from/to"  # the filter of the range of years (no field name has a slash)


def known(query: SearchQuery, facets: Facets) -> SearchQuery:
    """``query`` without what the facets do not know: a facet gone since the URL was made, a
    range of years when no field is a date facet."""
    filters = {name: values for name, values in query.filters.items() if name in facets.by_name}
    years = (query.year_from, query.year_to) != (None, None)
    if len(filters) == len(query.filters) and (facets.ranged or not years):
        return query
    dropped = {} if facets.ranged else {"year_from": None, "year_to": None}
    return query.replace(filters=filters, page=query.page, **dropped)


class Masks:
    """The reader's scope, the text match and each facet's filter, combined on demand."""

    def __init__(self, columns: Columns, scope: np.ndarray) -> None:
        self.columns = columns
        self.scope = scope
        self.base = scope
        self.filters: dict[str, np.ndarray] = {}

    def add_text(self, mask: np.ndarray) -> None:
        self.base = self.base & mask

    def add(self, facet: str, mask: np.ndarray) -> None:
        """A facet's filter; a second one for the same facet (years and a range) narrows it."""
        self.filters[facet] = self.filters[facet] & mask if facet in self.filters else mask

    def without_text(self) -> Masks:
        """The same scope and filters, without the text match."""
        masks = Masks(self.columns, self.scope)
        masks.filters = dict(self.filters)
        return masks

    def all(self, but: str | None = None) -> np.ndarray:
        """Scope, text and every filter except facet ``but``'s own."""
        mask = self.base
        for name, other in self.filters.items():
            if name != but:
                mask = mask & other
        return mask
