"""The collection facet: a facet of its own kind, counting the collections a reader may see.

Unlike the field facets (:mod:`.layout`), its values are not held by the index: which
collections a reader sees, and which of their members, depends on the reader, so each search
reads them from the graph through the reader's scope (:meth:`MembershipSource.memberships`):
a collection the reader may not see is not a value, and a member they may not see is not
counted (the search's own mask also holds only the assets in their scope). Its values are
collection IRIs in the URL (``?collection=IRI``); an asset counts for a collection when it is
in it or in a collection nested in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from app.domain.iris import Iris
from app.domain.search.columns import Columns
from app.domain.search.concept_lookup import ConceptLookup
from app.domain.search.facets import FacetContext, FacetRequest, FacetResult, FacetValue
from app.storage.graphstore import Scope

COLLECTION_FACET = "collection"  # its URL parameter; no field facet may take the name
LABELS = {"en": "Collection", "de": "Sammlung", "fr": "Collection"}


class Membership(Protocol):
    iri: str
    title: str
    assets: frozenset[str]


class MembershipSource(Protocol):
    def memberships(self, scope: Scope) -> Sequence[Membership]:
        """Each collection ``scope`` sees, with the asset IRIs it sees in it."""


class Ordinals(Protocol):
    def ordinals(self, asset_ids: Iterable[str]) -> dict[str, int]: ...


@dataclass(frozen=True)
class CollectionFacet:
    """The collections of one reader, each with the mask of its members in the index."""

    titles: dict[str, str]
    members: dict[str, np.ndarray]  # collection IRI -> ordinals of its members
    name: ClassVar[str] = COLLECTION_FACET
    hierarchical: ClassVar[bool] = False
    ranged: ClassVar[bool] = False

    @classmethod
    def load(
        cls, source: MembershipSource, scope: Scope, iris: Iris, index: Ordinals
    ) -> CollectionFacet:
        found = list(source.memberships(scope))
        ids = {a: iris.asset_id(a) for m in found for a in m.assets}
        ordinals = index.ordinals(i for i in ids.values() if i)
        members = {
            m.iri: np.fromiter(
                (ordinals[ids[a]] for a in m.assets if ids[a] in ordinals), dtype=np.int64
            )
            for m in found
        }
        return cls({m.iri: m.title for m in found}, members)

    def label(self, language: str = "en") -> str:
        return LABELS.get(language, LABELS["en"])

    def matching(
        self, columns: Columns, vocabulary: ConceptLookup, values: Sequence[str]
    ) -> np.ndarray:
        mask = columns.empty_mask()
        for value in values:
            ordinals = self.members.get(value)
            if ordinals is not None:
                mask[ordinals[ordinals < columns.size]] = True
        return mask

    def count(self, context: FacetContext, mask: np.ndarray, request: FacetRequest) -> FacetResult:
        context.budget.check()
        counted: list[FacetValue] = []
        for iri, ordinals in self.members.items():
            inside = ordinals[ordinals < mask.size]
            count = int(np.count_nonzero(mask[inside]))
            if count or iri in request.selected:
                title = self.titles[iri]
                counted.append(FacetValue(iri, title, count, selected=iri in request.selected))
        context.budget.check()
        counted.sort(key=lambda v: (not v.selected, -v.count, v.label.casefold(), v.value))
        shown = counted[: request.limit]
        shown += [v for v in counted[request.limit :] if v.selected]
        shown.sort(key=lambda v: (-v.count, v.label.casefold(), v.value))
        result = FacetResult.of(self, context.language, truncated=len(counted) > request.limit)
        result.values = shown
        return result

    def value_label(self, vocabulary: ConceptLookup, value: str, language: str) -> str:
        return self.titles.get(value, value)
