"""Campaigns: concepts of the campaigns scheme (``{base}vocab/campaigns``) that are also
``dam:Campaign``s, with a period (schema:startDate, schema:endDate), channels (dam:channel) and
an owning department (dam:department).

Being concepts, they are browsed, edited and exported like any vocabulary, and named by IRI,
notation or label. :meth:`Campaigns.create` makes one through the vocabulary editor, like a
taxonomist's new concept: checked by the quality gates and recorded in the vocabulary's
history. A new concept changes no asset's record, so the search index has nothing to follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.iris import Iris
from app.domain.vocab.drafts import ConceptDraft, label_slug
from app.domain.vocab.history import CLI_ACTOR, Actor
from app.namespaces import DAM, RDF, SCHEMA, SKOS, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, data_block, substitute, update_request

if TYPE_CHECKING:
    from app.domain.vocab.editor import Editor

SLUG = "campaigns"

_NAMES = (
    sparql_prefixes()
    + """
SELECT ?c ?p ?name WHERE {
  ?c skos:inScheme ?scheme ; a dam:Campaign ; ?p ?name .
  FILTER(?p IN (skos:notation, skos:prefLabel, skos:altLabel, skos:hiddenLabel))
}"""
)
_PERIOD = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?g { ?c schema:startDate ?s . ?c schema:endDate ?e } }
WHERE { GRAPH ?g { OPTIONAL { ?c schema:startDate ?s } OPTIONAL { ?c schema:endDate ?e } } }"""
)

Department = NamedNode | str
Channel = NamedNode | str


class Campaigns:
    """Finds and creates campaigns in the campaigns vocabulary; ``editor`` gives the
    vocabulary editor that creates them."""

    def __init__(self, store: GraphStore, iris: Iris, editor: Callable[[], Editor]) -> None:
        self.store = store
        self.iris = iris
        self.editor = editor

    @property
    def scheme(self) -> NamedNode:
        return self.iris.scheme(SLUG)

    @property
    def graph(self) -> NamedNode:
        return self.iris.vocab_graph(SLUG)

    def names(self) -> dict[str, str]:
        """Every campaign by IRI, notation and label (casefolded) → its IRI. An IRI wins over
        a notation, a notation over a preferred label, that over other labels."""
        rank = {SKOS.notation.value: 1, SKOS.prefLabel.value: 2}
        found: dict[str, tuple[int, str]] = {}
        rows = self.store.select(_NAMES, scope=Scope.everything(), bindings={"scheme": self.scheme})
        for row in rows:
            iri = row["c"].value
            found[iri.casefold()] = (0, iri)
            key, order = row["name"].value.strip().casefold(), rank.get(row["p"].value, 3)
            if key not in found or (order, iri) < found[key]:
                found[key] = (order, iri)
        return {key: iri for key, (_, iri) in found.items()}

    def find(self, name: str) -> NamedNode | None:
        """The campaign named ``name`` (IRI, notation or label, case-insensitive), or None."""
        iri = self.names().get(name.strip().casefold())
        return NamedNode(iri) if iri else None

    def create(
        self,
        name: str,
        department: Department,
        start: dt.date | None,
        end: dt.date | None,
        channels: Iterable[Channel] = (),
        actor: Actor = CLI_ACTOR,
    ) -> NamedNode:
        """Mint a campaign ``{base}vocab/campaigns/{slug}`` (the one of that name if it
        exists already) through the vocabulary editor, so that its history says who made it;
        ``department`` and ``channels`` are concepts or their notations."""
        name = name.strip()
        if not name:
            raise ValueError("a campaign needs a name")
        existing = self.find(name)
        if existing is not None:
            return existing
        label, notation = ("prefLabel", "en", name), label_slug(name) or "campaign"
        draft = ConceptDraft(labels=[label], notations=[notation])
        extra = [
            (RDF.type, DAM.Campaign),
            (DAM.department, self._concept(department, "departments")),
        ]
        extra += [(DAM.channel, self._concept(c, "channels")) for c in channels]
        extra += self._period(start, end)
        return self.editor().create(SLUG, draft, actor, extra)

    def set_period(
        self,
        campaign: NamedNode,
        start: dt.date | None,
        end: dt.date | None,
        channels: Iterable[Channel] = (),
    ) -> None:
        """Give a campaign a new period, and add channels to it."""
        more = [(DAM.channel, self._concept(c, "channels")) for c in channels]
        quads = [Quad(campaign, p, o, self.graph) for p, o in self._period(start, end) + more]
        old_period = substitute(_PERIOD, {"c": campaign, "g": self.graph})
        request = update_request(old_period, data_block("INSERT", quads))
        self.store.update(request, graphs={self.graph.value})

    def _concept(self, value: Channel, slug: str) -> NamedNode:
        if isinstance(value, NamedNode):
            return value
        if "://" in value:
            return NamedNode(value)
        return self.iris.concept(f"{slug}/{value}")

    @staticmethod
    def _period(start: dt.date | None, end: dt.date | None) -> list[tuple[NamedNode, Literal]]:
        return [
            (predicate, Literal(day.isoformat(), datatype=XSD.date))
            for predicate, day in ((SCHEMA.startDate, start), (SCHEMA.endDate, end))
            if day is not None
        ]
