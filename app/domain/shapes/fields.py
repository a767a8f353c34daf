"""The fields of assets, read from the SHACL shapes: the one description every surface uses.

A field is every property shape with an IRI ``sh:path`` that a node shape targeting
``dam:Asset`` reaches through ``sh:property``, ``sh:and`` or ``sh:or`` (SHACL 1.0 §2.1, §4.6;
shapes under ``sh:not`` are conditions, not fields). Several shapes with one path are one field
(core.ttl splits a "missing" shape from a "value" shape). From them (SHACL 1.0 §4, §5):

- name: the local name of ``sh:path``; labels and help: ``sh:name`` and ``sh:description`` per
  language; place: ``sh:order`` and ``sh:group`` (an ``sh:PropertyGroup`` with ``rdfs:label``);
- kind, from the constraints: ``sh:in`` (choice); ``sh:node`` to a shape whose
  ``skos:inScheme`` has ``sh:hasValue`` a scheme (concept of that scheme); ``sh:class
  skos:Concept`` alone (a subject: a concept of any scheme no field claims); ``sh:datatype``
  (text, language-tagged text, date, date and time, boolean, number); another ``sh:class``
  (a linked resource Atrium manages);
- cardinality (``sh:minCount``, ``sh:maxCount``) and ``sh:pattern``;
- Atrium's annotations (ontologies/atrium.ttl): ``dam:facet``, ``dam:searchable``,
  ``dam:editable``, with defaults by kind.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import rdflib
from pyoxigraph import Literal, NamedNode
from rdflib import URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from app.storage.graphstore import Term
from app.storage.terms import to_oxigraph

DAM = rdflib.Namespace("https://w3id.org/atrium/ns#")
DASH = rdflib.Namespace("http://datashapes.org/dash#")  # form hints (dash:singleLine)
ASSET_CLASS = DAM.Asset

TEXT_KINDS = ("text", "langtext")
CONCEPT = "concept"
CHOICE = "choice"
_NUMBERS = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long,
            XSD.nonNegativeInteger, XSD.positiveInteger}  # fmt: skip
_KIND_OF_DATATYPE = {XSD.string: "text", RDF.langString: "langtext", XSD.date: "date",
                     XSD.dateTime: "datetime", XSD.boolean: "boolean"}  # fmt: skip
KNOWN_DATATYPES = frozenset(_KIND_OF_DATATYPE) | _NUMBERS
# A profile's own heading sits between the core's description (1) and technical (100) groups.
PROFILE_GROUP_ORDER = 50.0
KINDS = ("text", "langtext", "date", "datetime", "boolean", "number", CONCEPT, CHOICE, "resource")


class UnknownField(ValueError):
    """No field of that name, for that department."""


@dataclass(frozen=True)
class Group:
    """An ``sh:PropertyGroup``: a heading of the asset page and the forms."""

    iri: str
    labels: Mapping[str, str]
    order: float

    def label(self, language: str = "en") -> str:
        return best_text(self.labels, language) or self.iri.rsplit("#", 1)[-1]


@dataclass(frozen=True)
class Field:
    """One field of an asset, as the shapes describe it."""

    name: str
    path: NamedNode
    kind: str
    labels: Mapping[str, str] = field(default_factory=dict)
    help: Mapping[str, str] = field(default_factory=dict)
    order: float = math.inf
    group: Group | None = None
    department: str | None = None  # None: a core field, every asset has it
    scheme: str | None = None  # concept fields: the IRI of the scheme its values come from
    choices: tuple[Term, ...] = ()
    min_count: int = 0
    max_count: int | None = None
    unique_lang: bool = False  # one value per language: one value on a form
    multiline: bool = False  # dash:singleLine false: a text area
    pattern: str | None = None
    pattern_message: str = ""  # the sh:message of the shape holding sh:pattern, in English
    pattern_messages: Mapping[str, str] = field(default_factory=dict)  # … in each language
    facet: bool = False
    searchable: bool = False
    editable: bool = True

    def label(self, language: str = "en") -> str:
        return best_text(self.labels, language) or self.name

    def description(self, language: str = "en") -> str:
        return best_text(self.help, language) or ""

    @property
    def repeatable(self) -> bool:
        return not self.unique_lang and (self.max_count is None or self.max_count > 1)

    @property
    def required(self) -> bool:
        return self.min_count > 0

    @property
    def is_concept(self) -> bool:
        return self.kind == CONCEPT

    @property
    def is_subject(self) -> bool:
        """A concept field open to every scheme that no other field claims."""
        return self.kind == CONCEPT and self.scheme is None

    def parse(self, text: str, resolve: ConceptResolver, language: str = "en") -> Term:
        """The RDF value of ``text``; ValueError with a readable reason if it is bad (the
        field's label and the shapes' message in ``language``)."""
        return parse_value(self, text, resolve, language)


class ConceptResolver:
    """What :func:`parse_value` needs to turn a name into a concept of a field."""

    def resolve_for(self, field: Field, name: str) -> NamedNode:  # pragma: no cover - protocol
        raise NotImplementedError


def best_text(texts: Mapping[str, str], language: str = "en") -> str | None:
    """The text in the reader's language, else the fixed fallback order of labels."""
    from app.domain.vocab.languages import LanguagePreference  # vocab imports this module

    if not texts:
        return None
    preference = LanguagePreference.of([language])
    return texts[min(texts, key=preference.rank)]


def parse_value(field: Field, text: str, concepts: ConceptResolver, language: str = "en") -> Term:
    text = text.strip()
    label = field.label(language)
    if not text:
        raise ValueError(f"{label}: empty value")
    if field.pattern and not re.search(field.pattern, text):
        said = best_text(field.pattern_messages, language) or field.pattern_message
        raise ValueError(f"{label}: {said or 'must match ' + field.pattern}")
    if field.kind == CONCEPT:
        return concepts.resolve_for(field, text)
    if field.kind == CHOICE:
        for choice in field.choices:
            if text in (choice.value, choice.value.rsplit("#", 1)[-1]):
                return choice
        allowed = ", ".join(c.value.rsplit("#", 1)[-1] for c in field.choices)
        raise ValueError(f"{label}: {text!r} is not one of {allowed}")
    if field.kind == "boolean":
        if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError(f"{label}: {text!r} is not true or false")
        return Literal(str(text.lower() in ("true", "yes", "1")).lower(), datatype=_xsd("boolean"))
    if field.kind == "date":
        try:
            return Literal(dt.date.fromisoformat(text).isoformat(), datatype=_xsd("date"))
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a date like 2027-03-31") from None
    if field.kind == "datetime":
        try:
            return Literal(dt.datetime.fromisoformat(text).isoformat(), datatype=_xsd("dateTime"))
        except ValueError:
            raise ValueError(
                f"{label}: {text!r} is not a date and time like 2027-03-31T14:30"
            ) from None
    if field.kind == "number":
        try:
            float(text)
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a number") from None
        return Literal(text, datatype=_xsd("decimal" if "." in text else "integer"))
    return Literal(text)


def _xsd(name: str) -> NamedNode:
    return NamedNode(str(XSD[name]))


# --- reading the shapes ----------------------------------------------------------------------


def read_fields(shapes: rdflib.Graph, department: str | None) -> list[Field]:
    """The asset fields one shapes graph declares, in (group, ``sh:order``, name) order."""
    by_path: dict[URIRef, list[Node]] = {}
    home: dict[URIRef, Node] = {}  # the node shape that lists the field with sh:property
    for node_shape, member in _asset_members(shapes):
        path = shapes.value(member, SH.path)
        if isinstance(path, URIRef):
            by_path.setdefault(path, []).append(member)
            if (node_shape, SH.property, member) in shapes:
                home.setdefault(path, node_shape)
    fields = [
        _field(shapes, path, shapes_of_path, department, _home_group(shapes, home.get(path)))
        for path, shapes_of_path in by_path.items()
    ]
    return sorted(fields, key=sort_key)


def field_shapes(shapes: rdflib.Graph) -> list[Node]:
    """Every property shape with a path that the asset's node shapes reach."""
    return sorted(
        {m for _, m in _asset_members(shapes) if isinstance(shapes.value(m, SH.path), URIRef)},
        key=str,
    )


def _asset_members(shapes: rdflib.Graph) -> Iterator[tuple[Node, Node]]:
    for node_shape in sorted(set(shapes.subjects(SH.targetClass, ASSET_CLASS)), key=str):
        for member in members(shapes, node_shape):
            yield node_shape, member


def _home_group(shapes: rdflib.Graph, node_shape: Node | None) -> Group | None:
    """A profile's fields without sh:group go under its node shape's label ("HR asset")."""
    if node_shape is None:
        return None
    orders = [
        float(v) for v in shapes.objects(node_shape, SH.order) if isinstance(v, rdflib.Literal)
    ]
    labels = texts_by_language(shapes.objects(node_shape, RDFS.label))
    return Group(str(node_shape), labels, min(orders, default=PROFILE_GROUP_ORDER))


def sort_key(field: Field) -> tuple[float, float, str]:
    return (field.group.order if field.group else math.inf, field.order, field.name)


def members(shapes: rdflib.Graph, shape: Node) -> Iterator[Node]:
    """The shapes a node shape combines with sh:property, sh:and and sh:or (not sh:not)."""
    for member in shapes.objects(shape, SH.property):
        yield member
    for combinator in (SH["and"], SH["or"]):
        for head in shapes.objects(shape, combinator):
            for member in Collection(shapes, head):
                yield member
                if shapes.value(member, SH.path) is None:
                    yield from shapes.objects(member, SH.property)


def local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _field(
    shapes: rdflib.Graph,
    path: URIRef,
    members: list[Node],
    department: str | None,
    home: Group | None,
) -> Field:
    def values(predicate: URIRef) -> list[Node]:
        return [o for shape in members for o in shapes.objects(shape, predicate)]

    kind, scheme, choices = _kind(shapes, members)
    facet = _flag(values(DAM.facet), default=kind in (CONCEPT, CHOICE))
    searchable = _flag(values(DAM.searchable), default=kind in (*TEXT_KINDS, CONCEPT))
    editable = _flag(values(DAM.editable), default=kind != "resource")
    max_counts = [int(v) for v in values(SH.maxCount) if isinstance(v, rdflib.Literal)]
    orders = [float(v) for v in values(SH.order) if isinstance(v, rdflib.Literal)]
    patterned = [shape for shape in members if shapes.value(shape, SH.pattern) is not None]
    patterns = [str(shapes.value(shape, SH.pattern)) for shape in patterned]
    pattern_messages = texts_by_language(
        o for shape in patterned for o in shapes.objects(shape, SH.message)
    )
    groups = [g for g in values(SH.group) if isinstance(g, URIRef)]
    return Field(
        name=local_name(str(path)),
        path=NamedNode(str(path)),
        kind=kind,
        labels=texts_by_language(values(SH.name)),
        help=texts_by_language(values(SH.description)),
        order=min(orders, default=math.inf),
        group=_group(shapes, groups[0]) if groups else home,
        department=department,
        scheme=scheme,
        choices=choices,
        min_count=max((int(v) for v in values(SH.minCount)), default=0),
        max_count=min(max_counts) if max_counts else None,
        unique_lang=any(v.toPython() is True for v in values(SH.uniqueLang)),
        multiline=not _flag(values(DASH.singleLine), default=True),
        pattern=patterns[0] if patterns else None,
        pattern_message=best_text(pattern_messages) or "",
        pattern_messages=pattern_messages,
        facet=facet,
        searchable=searchable,
        editable=editable,
    )


def _kind(shapes: rdflib.Graph, members: list[Node]) -> tuple[str, str | None, tuple[Term, ...]]:
    for shape in members:
        head = shapes.value(shape, SH["in"])
        if head is not None:
            return CHOICE, None, tuple(to_oxigraph(v) for v in Collection(shapes, head))
    for shape in members:
        for node in shapes.objects(shape, SH.node):
            scheme = _scheme_of(shapes, node)
            if scheme is not None:
                return CONCEPT, scheme, ()
    classes = {c for shape in members for c in shapes.objects(shape, SH["class"])}
    if SKOS.Concept in classes:
        return CONCEPT, None, ()
    if classes:
        return "resource", None, ()
    datatypes = {d for shape in members for d in datatypes_of(shapes, shape)}
    if RDF.langString in datatypes:
        return "langtext", None, ()
    for datatype in datatypes:
        if datatype in _KIND_OF_DATATYPE:
            return _KIND_OF_DATATYPE[datatype], None, ()
        if datatype in _NUMBERS:
            return "number", None, ()
    return "text", None, ()


def datatypes_of(shapes: rdflib.Graph, shape: Node) -> Iterator[Node]:
    """The datatypes a property shape allows: its sh:datatype, or those of its sh:or."""
    yield from shapes.objects(shape, SH.datatype)
    for head in shapes.objects(shape, SH["or"]):
        for alternative in Collection(shapes, head):
            yield from shapes.objects(alternative, SH.datatype)


def _scheme_of(shapes: rdflib.Graph, node_shape: Node) -> str | None:
    """The scheme of the ``sh:node`` pattern: a property ``skos:inScheme`` ``sh:hasValue`` S."""
    for member in shapes.objects(node_shape, SH.property):
        if shapes.value(member, SH.path) == SKOS.inScheme:
            scheme = shapes.value(member, SH.hasValue)
            if isinstance(scheme, URIRef):
                return str(scheme)
    return None


def _group(shapes: rdflib.Graph, iri: URIRef) -> Group:
    orders = [float(v) for v in shapes.objects(iri, SH.order) if isinstance(v, rdflib.Literal)]
    return Group(
        str(iri), texts_by_language(shapes.objects(iri, RDFS.label)), min(orders, default=math.inf)
    )


Texts = tuple[tuple[str, str], ...]  # (language tag, "" for none; text), as a frozen value


def texts_by_language(literals: Iterable[Node]) -> dict[str, str]:
    """One text per language tag ("" for none), the first in order where there are several."""
    texts: dict[str, str] = {}
    for literal in sorted(node for node in literals if isinstance(node, rdflib.Literal)):
        texts.setdefault((literal.language or "").lower(), str(literal))
    return texts


def _flag(values: list[Node], *, default: bool) -> bool:
    flags = [v.toPython() for v in values if isinstance(v, rdflib.Literal)]
    return bool(flags[0]) if flags else default
