"""Faceted browsing and semantic search over the assets a reader may see.

- :mod:`.query`: the parameters of a search, parsed from a URL and written back to one;
- :mod:`.index`: the SQLite index (FTS5 text, facet values, access graph) kept in step with the
  graph on every write; :mod:`.columns`: the same, in memory, as numpy columns;
- :mod:`.vocabulary`: labels, hierarchy and merges of the SKOS concepts, read per search;
- :mod:`.facets`: one small object per facet, with one protocol;
- :mod:`.engine`: a search from start to finish, within the reader's scope.
"""

from app.domain.search.engine import Card, Chip, SearchEngine, SearchLimits, SearchResult
from app.domain.search.facets import FACET_NAMES, FACETS, FACETS_BY_NAME, FacetResult, FacetValue
from app.domain.search.index import SearchIndex
from app.domain.search.query import BadSearch, SearchQuery
from app.domain.search.vocabulary import Vocabulary

__all__ = [
    "FACETS",
    "FACETS_BY_NAME",
    "FACET_NAMES",
    "BadSearch",
    "Card",
    "Chip",
    "FacetResult",
    "FacetValue",
    "SearchEngine",
    "SearchIndex",
    "SearchLimits",
    "SearchQuery",
    "SearchResult",
    "Vocabulary",
]
