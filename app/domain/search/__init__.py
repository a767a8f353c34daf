"""Faceted browsing and semantic search over the assets a reader may see.

- :mod:`.query`: the parameters of a search, parsed from a URL and written back to one;
- :mod:`.layout`: the facets and the indexed fields, derived from the field registry;
- :mod:`.index`: the SQLite index (FTS5 text, facet values, access graph) kept in step with the
  graph on every write, and rebuilt by itself when the fields it holds change; :mod:`.entries`:
  what it holds per asset; :mod:`.columns`: the same, in memory, as numpy columns;
- :mod:`.concept_lookup`: labels, hierarchy and merges of the concepts a reader may see, kept
  until the store's write counter moves;
- :mod:`.facets` and :mod:`.tree`: one small object per facet, with one protocol;
- :mod:`.engine`: a search from start to finish, within the reader's scope.
"""

from app.domain.search.concept_lookup import ConceptLookup
from app.domain.search.engine import Card, Chip, SearchEngine, SearchLimits, SearchResult
from app.domain.search.facets import FacetResult, FacetValue
from app.domain.search.index import SearchIndex
from app.domain.search.layout import Facets, facets_for
from app.domain.search.query import BadSearch, SearchQuery
from app.domain.search.snapshot import SearchUnavailable, Snapshot

__all__ = [
    "BadSearch",
    "Card",
    "Chip",
    "ConceptLookup",
    "FacetResult",
    "FacetValue",
    "Facets",
    "SearchEngine",
    "SearchIndex",
    "SearchLimits",
    "SearchQuery",
    "SearchResult",
    "SearchUnavailable",
    "Snapshot",
    "facets_for",
]
