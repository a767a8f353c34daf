"""The dry-run view of the store that rdflib's SPARQL Update engine runs against.

Reads go through to the :class:`GraphStore`; writes are kept as a :class:`ChangeSet` and never
reach it. The default graph is the union of every graph (as on ``/sparql``), so a triple
deleted from it is deleted wherever it is.

Blank nodes keep the label the store gave them (pyoxigraph's id becomes the rdflib ``BNode``
and back), so a stored blank node the update matched is the same node in the change set. The
store cannot be asked for one blank node by its label (in SPARQL a label is a variable), so a
pattern holding one matches any blank node there and keeps the one with that label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.store import Store as RdfStore

from app.storage import terms
from app.storage.graphstore import GraphStore, Scope
from app.storage.terms import to_rdflib

_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

OxTerm = NamedNode | BlankNode | Literal
OxQuad = tuple[OxTerm, OxTerm, OxTerm, NamedNode | None]  # graph None: the default graph
Pattern = tuple[object, object, object]  # rdflib terms, None for "any"


class InvalidTerm(ValueError):
    """A term of the update that the store cannot hold (a malformed IRI); says which."""


@dataclass
class ChangeSet:
    added: set[OxQuad] = field(default_factory=set)
    removed: set[OxQuad] = field(default_factory=set)

    def quads(self) -> Iterator[OxQuad]:
        yield from self.added
        yield from self.removed


class UpdateDataset(Dataset):
    """rdflib's Dataset, also taking the plain triples INSERT DATA hands its default graph."""

    def __iadd__(self, other):  # noqa: ANN001, ANN204
        for statement in other:
            if len(statement) == 3:
                self.store.add(statement, None)
            else:
                self.add(statement)
        return self


class DryRunStore(RdfStore):
    """An rdflib store that reads through to a GraphStore and keeps writes as a change set.

    ``is_kept`` names the graphs that wiping the whole store (CLEAR / DROP ALL, NAMED or
    DEFAULT) leaves alone; ``kept`` lists those it left, for the report.
    """

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(self, base: GraphStore, is_kept: Callable[[NamedNode], bool]) -> None:
        super().__init__()
        self.base = base
        self.is_kept = is_kept
        self.changes = ChangeSet()
        self.stored_blank_nodes: set[BlankNode] = set()
        self.kept: set[NamedNode] = set()

    # reading

    def triples(self, pattern, context=None):  # noqa: ANN001, ANN201 - rdflib's signature
        graph = graph_of(context)
        yield from self.triples_in(pattern, None if graph is None else [graph], context)

    def triples_in(self, pattern, graphs: list[NamedNode] | None, context):  # noqa: ANN001, ANN201
        """Distinct triples matching ``pattern`` in ``graphs`` (None: all of them)."""
        seen = set()
        for graph in [None] if graphs is None else graphs:
            for quad in self.quads(pattern, graph):
                triple = tuple(to_rdflib(term) for term in quad[:3])
                if triple not in seen:
                    seen.add(triple)
                    yield triple, iter([context] if context is not None else [])

    def quads(self, pattern: Pattern, graph: NamedNode | None) -> Iterator[OxQuad]:
        """The quads matching ``pattern`` as the change set leaves them (graph None: all)."""
        for quad in self._stored(pattern, graph):
            if quad not in self.changes.removed:
                yield quad
        for quad in list(self.changes.added):
            if _matches(quad, pattern, graph):
                yield quad

    def _stored(self, pattern: Pattern, graph: NamedNode | None) -> Iterator[OxQuad]:
        wanted = {
            name: to_oxigraph(term)
            for name, term in zip("spo", pattern, strict=True)
            if term is not None
        }
        if graph is not None:
            wanted["g"] = graph
        blanks = {name: term for name, term in wanted.items() if isinstance(term, BlankNode)}
        bindings = {name: term for name, term in wanted.items() if name not in blanks}
        filters = "".join(f" FILTER(isBlank(?{name}))" for name in blanks)
        query = f"SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }}{filters} }}"
        for row in self.base.select(query, scope=Scope.everything(), bindings=bindings):
            quad = tuple(row.get(name, bindings.get(name)) for name in "spog")
            if all(quad["spog".index(name)] == term for name, term in blanks.items()):
                self.stored_blank_nodes.update(t for t in quad if isinstance(t, BlankNode))
                yield quad  # type: ignore[misc]

    def graph_names(self) -> list[NamedNode]:
        names = {row["g"] for row in self.base.select(_GRAPHS, scope=Scope.everything())}
        names |= {quad[3] for quad in self.changes.added if quad[3] is not None}
        return sorted(names, key=str)  # type: ignore[arg-type]

    def __len__(self, context=None) -> int:  # noqa: ANN001
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple=None):  # noqa: ANN001, ANN201
        for name in self.graph_names():
            graph = Graph(store=self, identifier=URIRef(name.value))
            if triple is None or any(True for _ in self.triples(triple, graph)):
                yield graph

    # writing: to the change set only

    def add(self, triple, context, quoted=False) -> None:  # noqa: ANN001
        quad = (*(to_oxigraph(term) for term in triple), graph_of(context))
        if quad in self.changes.removed:
            self.changes.removed.discard(quad)  # type: ignore[arg-type]
        else:
            self.changes.added.add(quad)  # type: ignore[arg-type]

    def remove(self, pattern, context=None) -> None:  # noqa: ANN001
        graph = graph_of(context)
        if graph is None and all(term is None for term in pattern):
            self.wipe()  # CLEAR DEFAULT, or MOVE / COPY onto the default graph
            return
        self._remove(pattern, graph)

    def _remove(self, pattern: Pattern, graph: NamedNode | None) -> None:
        for quad in list(self.quads(pattern, graph)):
            if quad in self.changes.added:
                self.changes.added.discard(quad)
            else:
                self.changes.removed.add(quad)

    def wipe(self) -> None:
        """Empty every graph but the kept ones (the default graph is their union)."""
        for graph in self.graph_names():
            if self.is_kept(graph):
                self.kept.add(graph)
            else:
                self._remove((None, None, None), graph)

    def add_graph(self, graph) -> None:  # noqa: ANN001 - empty graphs are not stored
        return None

    def remove_graph(self, graph) -> None:  # noqa: ANN001
        self.remove((None, None, None), graph)


class DatasetView(RdfStore):
    """The dataset a WHERE clause reads under USING / USING NAMED (or WITH): a read-only view
    of the dry run whose default graph is the merge of ``default`` and whose named graphs are
    ``named`` (None: every graph). SPARQL 1.1 Update §3.1.3."""

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(
        self, dry_run: DryRunStore, default: Iterable[NamedNode], named: Iterable[NamedNode] | None
    ) -> None:
        super().__init__()
        self.dry_run = dry_run
        self.default = list(dict.fromkeys(default))
        self.named = None if named is None else list(dict.fromkeys(named))

    def triples(self, pattern, context=None):  # noqa: ANN001, ANN201
        graph = graph_of(context)
        if graph is None:
            graphs = self.default
        else:
            graphs = [graph] if self.named is None or graph in self.named else []
        yield from self.dry_run.triples_in(pattern, graphs, context)

    def add_graph(self, graph) -> None:  # noqa: ANN001 - rdflib names a graph before reading it
        return None

    def __len__(self, context=None) -> int:  # noqa: ANN001
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple=None):  # noqa: ANN001, ANN201
        names = self.dry_run.graph_names() if self.named is None else self.named
        for name in names:
            graph = Graph(store=self, identifier=URIRef(name.value))
            if triple is None or any(True for _ in self.triples(triple, graph)):
                yield graph


def graph_of(context) -> NamedNode | None:  # noqa: ANN001
    """The named graph of an rdflib context; None for the (union) default graph."""
    if context is None:
        return None
    identifier = getattr(context, "identifier", context)
    if identifier == DATASET_DEFAULT_GRAPH_ID or not isinstance(identifier, URIRef):
        return None
    return NamedNode(str(identifier))


def _matches(quad: OxQuad, pattern: Pattern, graph: NamedNode | None) -> bool:
    wanted = [None if term is None else to_oxigraph(term) for term in pattern]
    if graph is not None and quad[3] != graph:
        return False
    return all(w is None or w == q for w, q in zip(wanted, quad[:3], strict=True))


def to_oxigraph(term) -> OxTerm:  # noqa: ANN001 - any rdflib term
    """The term as the store holds it (lexical forms kept: deleting ``"1.50"^^xsd:decimal``
    must find ``"1.50"``); :class:`InvalidTerm` if the store cannot hold it."""
    try:
        return terms.to_oxigraph(term)
    except ValueError as error:
        raise InvalidTerm(str(error)) from None
