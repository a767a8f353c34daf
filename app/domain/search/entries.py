"""What the search index holds about one asset, read from the graph (never from a draft).

Per asset: its named graph (its access scope; the strictest copy if it has several), date
added, title sort key, the values of every indexed field (:mod:`.layout`) and its folded text:
the title column (``dct:title``) and the body (every other searchable text field), each with
the stems of its words in the language of its literals (:mod:`.stems`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import NamedNode

from app.domain.iris import Iris
from app.domain.search.layout import TITLE, Facets
from app.domain.search.stems import stem_text
from app.domain.search.text import folded_text, sort_key
from app.namespaces import DAM, DCT, RDF
from app.storage.graphstore import GraphStore, Term

_TYPE, _ASSET, _SUBMITTED = RDF.type, DAM.Asset, DCT.dateSubmitted
_ALWAYS = frozenset({_TYPE, _SUBMITTED, TITLE})


@dataclass(frozen=True)
class Entry:
    """What the index holds about one asset."""

    asset_id: str
    graph: str
    submitted: int
    title_key: str
    facts: frozenset[tuple[str, str]]  # (facet, value)
    title: str  # folded words
    body: str
    title_stems: str = ""  # folded stems that are not among the words
    body_stems: str = ""

    @property
    def digest(self) -> str:
        text = repr((self.graph, self.submitted, self.title_key, sorted(self.facts), self.title,
                     self.body, self.title_stems, self.body_stems))  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()


def read_entries(
    store: GraphStore, iris: Iris, assets: Sequence[NamedNode], facets: Facets
) -> dict[str, Entry]:
    """The entries of ``assets`` as the graph holds them now, for the fields of ``facets``."""
    if not assets:
        return {}
    wanted = facets.predicates | _ALWAYS
    records: dict[str, list[tuple[str, NamedNode, Term]]] = defaultdict(list)
    for quad in store.quads_about(assets):
        predicate = quad.predicate
        if predicate in wanted and isinstance(quad.graph_name, NamedNode):
            records[quad.subject.value].append((quad.graph_name.value, predicate, quad.object))
    entries = {}
    for iri, quads in records.items():
        entry = _entry(iris, iri, quads, facets)
        if entry is not None:
            entries[entry.asset_id] = entry
    return entries


def _entry(
    iris: Iris, iri: str, quads: list[tuple[str, NamedNode, Term]], facets: Facets
) -> Entry | None:
    asset_id = iris.asset_id(iri)
    graphs = {g for g, p, o in quads if p == _TYPE and o == _ASSET}
    if asset_id is None or not graphs:
        return None
    graph = max(graphs, key=lambda g: _restriction(iris, g))  # never more visible than its copy
    facts: set[tuple[str, str]] = set()
    titles: list[tuple[str, str | None]] = []  # (text, language tag)
    body: list[tuple[str, str | None]] = []
    submitted = 0
    for g, predicate, value in quads:
        if g != graph:
            continue
        for facet in facets.by_predicate.get(predicate, ()):
            indexed = facet.index_value(value)
            if indexed is not None:
                facts.add((facet.name, indexed))
        if predicate == TITLE:
            titles.append((value.value, getattr(value, "language", None)))
        elif predicate in facets.body:
            body.append((value.value, getattr(value, "language", None)))
        if predicate == _SUBMITTED:
            submitted = _seconds(value.value)
    return Entry(
        asset_id=asset_id,
        graph=graph,
        submitted=submitted,
        title_key=sort_key(min((text for text, _ in titles), default="")),
        facts=frozenset(facts),
        title=folded_text(*sorted(text for text, _ in titles)),
        body=folded_text(*sorted(text for text, _ in body)),
        title_stems=stem_text(titles),
        body_stems=stem_text(body),
    )


def _restriction(iris: Iris, graph: str) -> int:
    for rank, level in enumerate(("public", "internal")):
        if graph == iris.asset_graph(level, "").value:
            return rank
    return 2


def _seconds(lexical: str) -> int:
    """Seconds since 1970 of an xsd:dateTime (UTC when it names no zone); 0 if unreadable."""
    try:
        moment = dt.datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())
