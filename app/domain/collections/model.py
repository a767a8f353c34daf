"""What a collection is in the graph, and the errors its writes raise.

A collection is described with standard terms (DCMI Type, DCTERMS, schema.org)::

    <{base}collections/{id}> a dcmitype:Collection, schema:Collection, schema:ItemList ;
        dct:identifier "{id}" ; dct:title "…" ; dct:description "…" ;
        dct:creator <{base}users/{owner}> ; dct:created "…"^^xsd:dateTime ;
        dct:modified "…"^^xsd:dateTime ; schema:itemListOrder schema:ItemListOrderAscending ;
        dam:visibility dam:VisibleToDepartment ; dam:sharedWith <department concept> .

and each member (an asset or another collection) by a ``schema:ListItem`` with an IRI of its
own, never a blank node::

    <{base}collections/{id}> dct:hasPart <member> ;
        schema:itemListElement <{base}collections/{id}/items/{hash of the member IRI}> .
    <{base}collections/{id}/items/{…}> a schema:ListItem ; schema:item <member> ;
        schema:position 1734 .

The description sits in the graph of the collection's visibility, the member statements in the
graph of the pair (collection's graph, member's graph): see :mod:`app.domain.people.access`.
``schema:position`` is an order key: members sort by it, and the gaps between the keys are
drawn at random (:func:`next_position`), so what a reader sees of them says nothing of the
members they may not see.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from app.domain.assets.validation import Problem
from app.domain.concepts import ONTOLOGY_FILE, read_turtle
from app.messages import M_
from app.namespaces import DAM, RDF, RDFS, sparql_prefixes

MAX_MEMBERS_PER_CALL = 1_000
MEAN_GAP = 1_000  # the mean of the random gaps between order keys
PREFIXES = sparql_prefixes()


def _visibilities() -> dict[str, NamedNode]:
    """The visibilities the ontology declares (``dam:CollectionVisibility``), by their label."""
    ontology = read_turtle(ONTOLOGY_FILE, DAM.iri)  # the visibilities' IRIs are absolute
    kinds = {
        t.subject
        for t in ontology
        if t.predicate == RDF.type and t.object == DAM.CollectionVisibility
    }
    return {
        t.object.value: t.subject
        for t in ontology
        if t.predicate == RDFS.label and t.subject in kinds
    }  # type: ignore[misc]


VISIBILITIES: dict[str, NamedNode] = _visibilities()  # personal, department, public
VISIBILITY_NAMES: dict[str, str] = {iri.value: name for name, iri in VISIBILITIES.items()}
_gaps = random.SystemRandom()


def next_position(after: int) -> int:
    """An order key after ``after``, by a random gap (at least 1; exponential, so that no gap
    is too wide for "nothing hidden here")."""
    return after + 1 + int(_gaps.expovariate(1 / MEAN_GAP))


class CollectionError(ValueError):
    """A request about a collection cannot be met; the message says what to change."""


class CollectionRefused(CollectionError):
    """The shapes refuse the collection as described; ``problems`` say why, in each language
    the shapes give (the exception's text is English)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.field_and_message_in("en") for p in problems))


class CollectionNotFound(CollectionError):
    """No such collection, or the reader may not see it (the same answer for both)."""


class CollectionForbidden(CollectionError):
    """The reader sees the collection but may not change it (only its owner and admins)."""


class CollectionCycle(CollectionError):
    """Adding the member would make a collection part of itself."""


class CollectionConflict(CollectionError):
    """The collection changed since the version the caller read; nothing was stored."""

    def __init__(self, current_version: str | None) -> None:
        self.current_version = current_version
        super().__init__(
            M_("someone else changed this collection since you opened it; reload it and try again")
        )


@dataclass(frozen=True)
class Member:
    """One member as a reader sees it: an asset or a collection, at its place in the order."""

    iri: str
    kind: str  # "asset" or "collection"
    id: str
    title: str
    rank: int  # 1, 2, … among the members this reader sees


@dataclass
class Collection:
    """A collection as one reader sees it."""

    id: str
    iri: str
    title: str
    description: str
    visibility: str
    department: str | None  # the notation of the department it is shared with
    owner: str
    created: str
    modified: str
    version: str
    members: list[Member] = field(default_factory=list)
    may_edit: bool = False

    @property
    def assets(self) -> list[Member]:
        return [m for m in self.members if m.kind == "asset"]

    @property
    def collections(self) -> list[Member]:
        return [m for m in self.members if m.kind == "collection"]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "iri": self.iri,
            "title": self.title,
            "description": self.description,
            "visibility": self.visibility,
            "department": self.department,
            "owner": self.owner,
            "created": self.created,
            "modified": self.modified,
            "version": self.version,
            "may_edit": self.may_edit,
            "counts": {"assets": len(self.assets), "collections": len(self.collections)},
            "members": [
                {"iri": m.iri, "kind": m.kind, "id": m.id, "title": m.title, "position": m.rank}
                for m in self.members
            ],
        }


@dataclass(frozen=True)
class Summary:
    """A collection in a list: what the reader sees of it, and how many members they see."""

    id: str
    iri: str
    title: str
    visibility: str
    owner: str
    assets: int
    collections: int

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "iri": self.iri,
            "title": self.title,
            "visibility": self.visibility,
            "owner": self.owner,
            "counts": {"assets": self.assets, "collections": self.collections},
        }


@dataclass(frozen=True)
class Changes:
    """What an update changes of a collection's description (None: left as it is)."""

    title: str | None = None
    description: str | None = None
    visibility: str | None = None
    department: str | None = None


def clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise CollectionError(M_("a collection needs a title"))
    return title.strip()


def clean_description(description: object) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise CollectionError(M_("the description must be text"))
    return description.strip()


def check_visibility(visibility: object) -> str:
    if visibility not in VISIBILITIES:
        choices = ", ".join(VISIBILITIES)
        raise CollectionError(
            M_(
                "unknown visibility %(given)s: use one of %(choices)s",
                given=repr(visibility),
                choices=choices,
            )
        )
    return str(visibility)
