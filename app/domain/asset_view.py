"""What a reader sees of assets: the list, and one asset's record grouped for its page.

Everything here reads through the reader's scope: an asset outside it is simply not found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.access import ACCESS_NAMES
from app.domain.fields import FIELDS
from app.domain.iris import Iris
from app.namespaces import DAM, DC, DCT, EXIF, GEO, RDF, SCHEMA, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

LANGUAGE_FALLBACK = ("en", "de", "fr", "")

_CORE = [DCT.title, SCHEMA.headline, DCT.description, DC.creator, DC.rights, DCT.rights,
         DCT.subject, SCHEMA.keywords, DCT.type, DCT.format, DCT.created, DCT.dateSubmitted,
         DAM.department, DAM.accessLevel]  # fmt: skip
_PROFILE = [DAM.consentGiven, DAM.consentExpires, DAM.site, DAM.eventDate, DAM.campaign,
            DAM.channel, SCHEMA.audience]  # fmt: skip
_TECHNICAL = [EXIF.make, EXIF.model, EXIF.imageWidth, EXIF.imageLength, EXIF.orientation,
              DAM.frameCount, GEO.lat, GEO.long]  # fmt: skip
_LABELS = {
    DCT.title: "title", SCHEMA.headline: "headline", DCT.description: "description",
    DC.creator: "creator", DC.rights: "copyright", DCT.rights: "rights statement",
    DCT.subject: "subjects", SCHEMA.keywords: "keywords", DCT.type: "asset type",
    DCT.format: "format", DCT.created: "date taken", DCT.dateSubmitted: "ingested",
    DAM.department: "department", DAM.accessLevel: "access",
    EXIF.make: "camera make", EXIF.model: "camera model", EXIF.imageWidth: "width (px)",
    EXIF.imageLength: "height (px)", EXIF.orientation: "EXIF orientation",
    DAM.frameCount: "frames or pages", GEO.lat: "latitude", GEO.long: "longitude",
} | {f.predicate: f.label for f in FIELDS.values() if f.predicate != DCT.subject}  # fmt: skip


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


def asset_view(
    store: GraphStore, iris: Iris, asset_id: str, scope: Scope, triples: list[Triple]
) -> AssetView | None:
    """The record grouped for display; None when the reader may not see it (or it is absent)."""
    iri = iris.asset(asset_id)
    values: dict[NamedNode, list] = defaultdict(list)
    file: dict[str, str] = {}
    renditions = []
    file_iri = iris.asset_file(asset_id)
    for t in triples:
        if t.subject == iri:
            values[t.predicate].append(t.object)
        elif t.subject == file_iri:
            file[t.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = t.object.value
        elif t.predicate == RDF.type and t.object == DAM.Rendition:
            renditions.append(t.subject.value.rsplit("/", 1)[-1])
    if not values:
        return None
    labels = concept_labels(
        store, scope, [o for vs in values.values() for o in vs if isinstance(o, NamedNode)]
    )

    def group(predicates: list[NamedNode]) -> list[tuple[str, list[Value]]]:
        return [
            (_LABELS.get(p, p.value), [_value(o, labels) for o in values[p]])
            for p in predicates
            if values.get(p)
        ]

    access = (
        ACCESS_NAMES.get(values[DAM.accessLevel][0].value, "?")
        if values.get(DAM.accessLevel)
        else "?"
    )
    return AssetView(
        asset_id=asset_id,
        iri=iri.value,
        title=values[DCT.title][0].value if values.get(DCT.title) else asset_id,
        access=access,
        incomplete=bool(values.get(DAM.incomplete)),
        groups={
            "Description": group(_CORE),
            "Department profile": group(_PROFILE),
            "Technical": group(_TECHNICAL),
        },
        file=file,
        renditions=sorted(renditions),
        triples=triples,
    )


def _value(term, labels: dict[str, str]) -> Value:  # noqa: ANN001
    if isinstance(term, NamedNode):
        return Value(
            labels.get(term.value, term.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]), term.value
        )
    assert isinstance(term, Literal)
    return Value(term.value)


_CONCEPT_LABELS = (
    sparql_prefixes()
    + """
SELECT ?c ?label WHERE {{ VALUES ?c {{ {concepts} }} ?c skos:prefLabel|rdfs:label ?label }}
"""
)


def concept_labels(
    store: GraphStore, scope: Scope, concepts: list[NamedNode], language: str = "en"
) -> dict[str, str]:
    """Each concept's label in ``language``, else in the fixed fallback order en, de, fr, none."""
    if not concepts:
        return {}
    query = _CONCEPT_LABELS.format(concepts=" ".join(str(c) for c in set(concepts)))
    order = (language, *LANGUAGE_FALLBACK)
    best: dict[str, tuple[int, str]] = {}
    for row in store.select(query, scope=scope):
        label = row["label"]
        rank = order.index(label.language or "") if (label.language or "") in order else len(order)
        iri = row["c"].value
        if iri not in best or rank < best[iri][0]:
            best[iri] = (rank, label.value)
    return {iri: label for iri, (_, label) in best.items()}
