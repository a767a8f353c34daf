"""Campaigns: concepts of the campaigns scheme (``{base}vocab/campaigns``) that are also
``dam:Campaign``s, with a period (schema:startDate, schema:endDate), channels (dam:channel) and
an owning department (dam:department).

Being concepts, they are browsed, edited and exported like any vocabulary, and named by IRI,
notation or label. :meth:`Campaigns.create` mints ``{base}vocab/campaigns/{slug}`` in the
vocabulary's graph, making the scheme first when it is missing. A new concept changes no
asset's record, so the search index has nothing to follow.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.iris import Iris
from app.namespaces import DAM, RDF, SCHEMA, SKOS, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, data_block, update_request

SLUG = "campaigns"
SCHEME_LABELS = {"en": "Campaigns", "de": "Kampagnen", "fr": "Campagnes"}

_NAMES = (
    sparql_prefixes()
    + """
SELECT ?c ?p ?name WHERE {
  ?c skos:inScheme ?scheme ; a dam:Campaign ; ?p ?name .
  FILTER(?p IN (skos:notation, skos:prefLabel, skos:altLabel, skos:hiddenLabel))
}"""
)
_SCHEME = sparql_prefixes() + "ASK { GRAPH ?g { ?scheme a skos:ConceptScheme } }"
_TAKEN = sparql_prefixes() + "ASK { GRAPH ?g { ?c ?p ?o } }"
_PERIOD = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?g { ?c schema:startDate ?s . ?c schema:endDate ?e } }
WHERE { GRAPH ?g { OPTIONAL { ?c schema:startDate ?s } OPTIONAL { ?c schema:endDate ?e } } }"""
)

Department = NamedNode | str
Channel = NamedNode | str


def slugify(name: str) -> str:
    """``Frühjahrskollektion 2026`` → ``fruhjahrskollektion-2026``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "campaign"


class Campaigns:
    """Finds and creates campaigns in the campaigns vocabulary."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris

    @property
    def scheme(self) -> NamedNode:
        return NamedNode(self.iris.vocab_base + SLUG)

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
    ) -> NamedNode:
        """Mint a campaign ``{base}vocab/campaigns/{slug}`` (the one of that name if it
        exists already); ``department`` and ``channels`` are concepts or their notations."""
        name = name.strip()
        if not name:
            raise ValueError("a campaign needs a name")
        existing = self.find(name)
        if existing is not None:
            return existing
        me = self._free_iri(slugify(name))
        triples = [
            (me, RDF.type, SKOS.Concept),
            (me, RDF.type, DAM.Campaign),
            (me, SKOS.inScheme, self.scheme),
            (me, SKOS.topConceptOf, self.scheme),
            (self.scheme, SKOS.hasTopConcept, me),
            (me, SKOS.prefLabel, Literal(name, language="en")),
            (me, SKOS.notation, Literal(me.value.rsplit("/", 1)[-1])),
            (me, DAM.department, self._concept(department, "departments")),
        ]
        triples += [(me, DAM.channel, self._concept(c, "channels")) for c in channels]
        triples += self._period(me, start, end)
        if not self.store.ask(_SCHEME, scope=Scope.everything(), bindings=self._where()):
            triples += self._scheme_triples()
        quads = [Quad(s, p, o, self.graph) for s, p, o in dict.fromkeys(triples)]
        self.store.update(update_request(data_block("INSERT", quads)))
        return me

    def set_period(
        self,
        campaign: NamedNode,
        start: dt.date | None,
        end: dt.date | None,
        channels: Iterable[Channel] = (),
    ) -> None:
        """Give a campaign a new period, and add channels to it."""
        more = [(campaign, DAM.channel, self._concept(c, "channels")) for c in channels]
        quads = [Quad(s, p, o, self.graph) for s, p, o in self._period(campaign, start, end) + more]
        bindings = {"c": campaign, "g": self.graph}
        self.store.update(_PERIOD, bindings=bindings)
        self.store.update(update_request(data_block("INSERT", quads)))

    def _where(self) -> dict[str, NamedNode]:
        return {"scheme": self.scheme, "g": self.graph}

    def _free_iri(self, slug: str) -> NamedNode:
        candidate, number = NamedNode(f"{self.scheme.value}/{slug}"), 1
        while self.store.ask(_TAKEN, scope=Scope.everything(), bindings={"c": candidate}):
            number += 1
            candidate = NamedNode(f"{self.scheme.value}/{slug}-{number}")
        return candidate

    def _concept(self, value: Channel, slug: str) -> NamedNode:
        if isinstance(value, NamedNode):
            return value
        if "://" in value:
            return NamedNode(value)
        return self.iris.concept(f"{slug}/{value}")

    def _scheme_triples(self) -> list[tuple[NamedNode, NamedNode, object]]:
        triples: list[tuple[NamedNode, NamedNode, object]] = [
            (self.scheme, RDF.type, SKOS.ConceptScheme)
        ]
        triples += [
            (self.scheme, SKOS.prefLabel, Literal(label, language=lang))
            for lang, label in SCHEME_LABELS.items()
        ]
        return triples

    @staticmethod
    def _period(
        me: NamedNode, start: dt.date | None, end: dt.date | None
    ) -> list[tuple[NamedNode, NamedNode, Literal]]:
        return [
            (me, predicate, Literal(day.isoformat(), datatype=XSD.date))
            for predicate, day in ((SCHEMA.startDate, start), (SCHEMA.endDate, end))
            if day is not None
        ]
