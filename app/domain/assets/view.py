"""What a reader sees of assets: the list, and one asset's record grouped for its page.

Everything here reads through the reader's scope: an asset outside it is simply not found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.records import record_version
from app.domain.iris import Iris
from app.domain.shapes.fields import local_name
from app.domain.shapes.registry import FieldRegistry
from app.domain.vocab.languages import LanguagePreference, as_preference
from app.domain.vocab.model import label_of
from app.namespaces import DAM, DCT, RDF, SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

OTHER_GROUP = "Other"


@dataclass
class Value:
    text: str
    iri: str | None = None  # set for concepts and other linked resources


@dataclass
class AssetView:
    asset_id: str
    iri: str
    title: str
    access: str
    incomplete: bool
    groups: dict[str, list[tuple[str, list[Value]]]]
    file: dict[str, str]
    renditions: list[str]
    triples: list[Triple] = field(repr=False, default_factory=list)
    version: str = (
        ""  # of the record (app.domain.assets.records.record_version): forms send it back
    )


def asset_view(
    store: GraphStore,
    iris: Iris,
    fields: FieldRegistry,
    asset_id: str,
    scope: Scope,
    triples: list[Triple],
    language: str | LanguagePreference = "en",
) -> AssetView | None:
    """The record grouped as the shapes group its fields (``sh:group``, ``sh:order``); None
    when the reader may not see it (or it is absent)."""
    iri = iris.asset(asset_id)
    values: dict[NamedNode, list] = defaultdict(list)
    file: dict[str, str] = {}
    renditions = []
    file_iri = iris.asset_file(asset_id)
    for t in triples:
        if t.subject == iri:
            values[t.predicate].append(t.object)
        elif t.subject == file_iri:
            file[local_name(t.predicate.value)] = t.object.value
        elif t.predicate == RDF.type and t.object == DAM.Rendition:
            renditions.append(t.subject.value.rsplit("/", 1)[-1])
    if not values:
        return None
    prefs = as_preference(language)
    language = prefs.first  # the fields' headings (sh:name) are in one language
    labels = concept_labels(
        store,
        scope,
        [o for vs in values.values() for o in vs if isinstance(o, NamedNode)],
        prefs,
    )
    department = local_name(values[DAM.department][0].value) if values.get(DAM.department) else None
    groups: dict[str, list[tuple[str, list[Value]]]] = {}
    for shown in fields.fields_for(department):
        if shown.kind != "resource" and values.get(shown.path):
            heading = shown.group.label(language) if shown.group else OTHER_GROUP
            row = (shown.label(language), [_value(o, labels) for o in values[shown.path]])
            groups.setdefault(heading, []).append(row)
    access = values.get(DAM.accessLevel)
    return AssetView(
        asset_id=asset_id,
        iri=iri.value,
        title=_in_language(values.get(DCT.title, []), language) or asset_id,
        access=local_name(access[0].value).lower() if access else "?",
        incomplete=bool(values.get(DAM.incomplete)),
        groups=groups,
        file=file,
        renditions=sorted(renditions),
        triples=triples,
        version=record_version(triples),
    )


def _value(term, labels: dict[str, str]) -> Value:  # noqa: ANN001
    if isinstance(term, NamedNode):
        return Value(labels.get(term.value, local_name(term.value)), term.value)
    assert isinstance(term, Literal)
    return Value(term.value)


_CONCEPT_LABELS = (
    sparql_prefixes()
    + """
SELECT ?c ?p ?label WHERE {{ VALUES ?c {{ {concepts} }} VALUES ?p {{ skos:prefLabel rdfs:label }}
  ?c ?p ?label }}
"""
)


def concept_labels(
    store: GraphStore,
    scope: Scope,
    concepts: list[NamedNode],
    language: str | LanguagePreference = "en",
) -> dict[str, str]:
    """Each resource's prefLabel (rdfs:label for one without) as the reader's languages choose
    it, by the rule every surface uses (:class:`LanguagePreference`)."""
    if not concepts:
        return {}
    query = _CONCEPT_LABELS.format(concepts=" ".join(str(c) for c in set(concepts)))
    found: dict[str, dict[bool, list[Literal]]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(query, scope=scope):
        if isinstance(row["label"], Literal):
            found[row["c"].value][row["p"] == SKOS.prefLabel].append(row["label"])
    prefs = as_preference(language)
    return {iri: label_of(kinds[True] or kinds[False], iri, prefs) for iri, kinds in found.items()}


def _in_language(texts: list, language: str) -> str | None:
    """The text in the reader's language among one per language (a title, say)."""
    best = LanguagePreference.of([language]).best(t for t in texts if isinstance(t, Literal))
    return best.value if best is not None else None
