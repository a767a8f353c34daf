"""The cards of search results: what a result shows of an asset, read from the graph through the
reader's scope (never from the index), so a card shows only what the store lets them see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from app.domain.iris import Iris
from app.domain.people.access import asset_graphs_of
from app.domain.search.concept_lookup import ConceptLookup
from app.domain.search.facets import FORMAT_NAMES
from app.domain.vocab.languages import LanguagePreference
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope


@dataclass
class Card:
    """One result, as read from the graph through the reader's scope."""

    asset_id: str
    iri: str
    title: str
    has_thumbnail: bool
    format: str | None = None
    created: str | None = None
    department: str | None = None  # IRI
    department_label: str | None = None

    @property
    def format_label(self) -> str | None:
        return FORMAT_NAMES.get(self.format or "", self.format)


def read_cards(
    store: GraphStore,
    iris: Iris,
    asset_ids: Sequence[str],
    scope: Scope,
    vocabulary: ConceptLookup,
    language: str,
) -> dict[str, Card]:
    """The card of each of ``asset_ids`` that ``scope`` shows, by asset id."""
    if not asset_ids:
        return {}
    by_iri = {iris.asset(i).value: i for i in asset_ids}
    query = _CARDS.format(assets=" ".join(str(NamedNode(iri)) for iri in by_iri))
    found: dict[str, Card] = {}
    titles: dict[str, list[Literal]] = defaultdict(list)
    for row in store.select(query, scope=asset_graphs_of(scope, iris)):
        asset_id = by_iri[row["asset"].value]
        titles[asset_id].append(row["title"])
        if asset_id not in found:
            found[asset_id] = _card(asset_id, row, vocabulary, language)
    preference = LanguagePreference.of([language])
    for asset_id, card in found.items():  # one title per language: the reader's
        best = preference.best(titles[asset_id])
        card.title = best.value if best is not None else card.title
    return found


_CARDS = (
    sparql_prefixes()
    + """
SELECT ?asset ?title ?thumb ?format ?created ?department WHERE {{
  VALUES ?asset {{ {assets} }}
  ?asset a dam:Asset ; dct:title ?title .
  OPTIONAL {{ ?asset dam:hasRendition ?thumb . FILTER(STRENDS(STR(?thumb), "/thumbnail")) }}
  OPTIONAL {{ ?asset dct:format ?format }}
  OPTIONAL {{ ?asset dct:created ?created }}
  OPTIONAL {{ ?asset dam:department ?department }}
}}"""
)


def _card(asset_id: str, row: dict, vocabulary: ConceptLookup, language: str) -> Card:
    department = row["department"].value if "department" in row else None
    return Card(
        asset_id=asset_id,
        iri=row["asset"].value,
        title=row["title"].value,
        has_thumbnail="thumb" in row,
        format=row["format"].value if "format" in row else None,
        created=row["created"].value if "created" in row else None,
        department=department,
        department_label=vocabulary.label(department, language) if department else None,
    )
