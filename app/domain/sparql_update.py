"""SPARQL 1.1 Update for administrators, validated with SHACL like any other write.

SPARQL 1.1 Update (https://www.w3.org/TR/sparql11-update/) is evaluated by rdflib's update
engine (§3: the operations of one request, in order) against a *dry-run* view of the store:
reads go to the store, writes are collected as a change set and never reach it. The default
graph of the request is the union of every graph (as on ``/sparql``); a triple deleted from it
is deleted wherever it is.

Then, like :meth:`AssetRepository.save`:

1. every asset whose record the change touches (a triple about the asset, its file or its
   renditions) is rebuilt (stored record, then the change) and checked against the core shape
   and its department's profile. A violation refuses the whole request, with the report in
   words; a profile gap marks the asset incomplete (and an incomplete asset cannot be public);
2. the change lands as one SPARQL update, so all of it or nothing: each touched record is
   replaced in the graph of its access level (a request that changes ``dam:accessLevel`` moves
   the record), and the other triples are deleted and inserted as the request said.

Refused: LOAD (the server would fetch a URL), SERVICE, blank nodes in what is deleted or in an
asset's record, and triples inserted into the default graph that belong to no asset (say which
graph, with ``GRAPH <…>`` or ``WITH <…>``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.store import Store as RdfStore

from app.domain.access import ACCESS_NAMES
from app.domain.assets import AssetDraft, AssetRepository, delete_record
from app.domain.iris import ASSET_ID, Iris
from app.domain.sparql_text import check_bounds, uses_keyword
from app.domain.validation import Problem
from app.namespaces import DAM, SKOS
from app.storage.graphstore import GraphStore, QuerySyntaxError, Scope, Term, data_block

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_QUADS = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

OxTerm = NamedNode | BlankNode | Literal
OxQuad = tuple[OxTerm, OxTerm, OxTerm, NamedNode | None]  # graph None: the default graph


class UpdateRefused(Exception):
    """The update would break a rule; ``problems`` say which asset, which field, and why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass
class UpdateReport:
    """What an applied update changed."""

    assets: list[str] = field(default_factory=list)  # ids of the asset records it rewrote
    incomplete: list[str] = field(default_factory=list)
    inserted: int = 0  # other triples
    deleted: int = 0


class SparqlUpdater:
    def __init__(self, store: GraphStore, iris: Iris, assets: AssetRepository) -> None:
        self.store = store
        self.iris = iris
        self.assets = assets

    def apply(self, text: str) -> UpdateReport:
        """Evaluate the update without writing, validate the change, then write it at once."""
        changes = self.dry_run(text)
        plan = _Plan(self, changes)
        request = plan.request()
        if request:
            with ExitStack() as watching:  # the search index follows the rewritten records
                for asset_id in plan.report.assets:
                    watching.enter_context(self.assets.watcher.changing(asset_id))
                self.store.update(request)
        return plan.report

    def dry_run(self, text: str) -> ChangeSet:
        """The change the update would make (QuerySyntaxError if it is not SPARQL Update).

        Its size and nesting are bounded first (QueryRefused), as for queries.
        """
        from rdflib.plugins.sparql.processor import prepareUpdate
        from rdflib.plugins.sparql.update import evalUpdate

        check_bounds(text, "update")
        if uses_keyword(text, "SERVICE"):
            raise UpdateRefused("SERVICE is not allowed: Atrium does not fetch other endpoints")
        try:
            update = prepareUpdate(text)
        except Exception as error:  # noqa: BLE001 - pyparsing and rdflib raise several kinds
            raise QuerySyntaxError(f"not valid SPARQL 1.1 Update: {error}") from None
        if any(operation.name == "Load" for operation in update.algebra):
            raise UpdateRefused("LOAD is not allowed: Atrium does not fetch URLs on request")
        overlay = DryRunStore(self.store)
        with warnings.catch_warnings():  # rdflib's update engine uses its own deprecated names
            warnings.simplefilter("ignore", DeprecationWarning)
            evalUpdate(_Dataset(store=overlay), update)
        return overlay.changes


@dataclass
class ChangeSet:
    added: set[OxQuad] = field(default_factory=set)
    removed: set[OxQuad] = field(default_factory=set)

    def quads(self) -> Iterator[OxQuad]:
        yield from self.added
        yield from self.removed


class _Plan:
    """Turns a change set into one SPARQL update, validating every touched asset."""

    def __init__(self, updater: SparqlUpdater, changes: ChangeSet) -> None:
        self.updater = updater
        self.changes = changes
        self.report = UpdateReport()

    def request(self) -> str:
        touched = sorted({a for a in map(self._asset_of, self.changes.quads()) if a})
        records = [self._checked_record(asset_id) for asset_id in touched]
        operations = [delete_record(self.updater.iris.asset(asset_id)) for asset_id in touched]
        operations += [_data("INSERT", quads) for quads in records if quads]
        others = [q for q in self.changes.removed if not self._asset_of(q)]
        operations += [_data("DELETE", others)] if others else []
        inserted = [q for q in self.changes.added if not self._asset_of(q)]
        if any(q[3] is None for q in inserted):
            raise UpdateRefused(
                "triples about something other than an asset need a graph: write them in "
                "GRAPH <…> { … } (or WITH <…>)"
            )
        operations += [_data("INSERT", inserted)] if inserted else []
        self.report.assets = touched
        self.report.inserted, self.report.deleted = len(inserted), len(others)
        return " ;\n".join(operations)

    def _asset_of(self, quad: OxQuad) -> str | None:
        """The id of the asset whose record holds this triple's subject, if any."""
        subject = quad[0]
        if not isinstance(subject, NamedNode):
            return None
        rest = subject.value.removeprefix(f"{self.updater.iris.base}assets/")
        asset_id = rest.split("/", 1)[0]
        if rest == subject.value or not ASSET_ID.match(asset_id):
            return None
        return asset_id

    def _checked_record(self, asset_id: str) -> list[Quad]:
        """The asset's new record, validated and placed in its graph ([] when it is gone)."""
        repository = self.updater.assets
        stored = repository.record(asset_id, Scope.everything())
        mine = [q for q in self.changes.quads() if self._asset_of(q) == asset_id]
        removed = {(q[0], q[1], q[2]) for q in mine if q in self.changes.removed}
        added = [Triple(q[0], q[1], q[2]) for q in mine if q in self.changes.added]
        triples = [t for t in stored if (t.subject, t.predicate, t.object) not in removed]
        triples += [t for t in added if t not in triples]
        if not triples:
            return []
        draft = self._draft(asset_id, triples)
        report = repository.validate(draft)
        if not report.accepted:
            raise UpdateRefused(f"asset {asset_id} would break the core shape", report.refusals)
        if not report.complete:
            self.report.incomplete.append(asset_id)
        graph = self.updater.iris.asset_graph(draft.access, draft.department)
        final = draft.with_flags(incomplete=not report.complete)
        return [Quad(t.subject, t.predicate, t.object, graph) for t in final]

    def _draft(self, asset_id: str, triples: list[Triple]) -> AssetDraft:
        iri = self.updater.iris.asset(asset_id)
        if any(isinstance(term, BlankNode) for t in triples for term in t):
            raise UpdateRefused(f"asset {asset_id}: blank nodes are not allowed in a record")
        access = _one(triples, iri, DAM.accessLevel)
        department = _one(triples, iri, DAM.department)
        if access is None or access.value not in ACCESS_NAMES or department is None:
            raise UpdateRefused(
                f"asset {asset_id} needs one dam:accessLevel (dam:Public, dam:Internal or "
                "dam:Restricted) and one dam:department"
            )
        return AssetDraft(
            asset_id,
            iri,
            department.value.rsplit("/", 1)[-1],
            ACCESS_NAMES[access.value],
            triples,
            self._concept_context(triples),
        )

    def _concept_context(self, triples: list[Triple]) -> list[Triple]:
        """rdf:type and skos:inScheme of the concepts the record links to, as stored now."""
        objects = sorted({t.object.value for t in triples if isinstance(t.object, NamedNode)})
        if not objects:
            return []
        values = " ".join(str(NamedNode(iri)) for iri in objects)
        in_scheme = SKOS.inScheme
        query = (
            f"CONSTRUCT {{ ?c a ?type ; {in_scheme} ?scheme }} WHERE {{ "
            f"VALUES ?c {{ {values} }} ?c a ?type . OPTIONAL {{ ?c {in_scheme} ?scheme }} }}"
        )
        return self.updater.store.construct(query, scope=Scope.everything())


def _one(triples: list[Triple], subject: NamedNode, predicate: NamedNode) -> OxTerm | None:
    values = {t.object for t in triples if t.subject == subject and t.predicate == predicate}
    return values.pop() if len(values) == 1 else None


def _data(keyword: str, quads: Iterable[OxQuad | Quad]) -> str:
    """``INSERT DATA`` / ``DELETE DATA`` for the quads (a graph of None: the default graph)."""
    as_quads = [quad if isinstance(quad, Quad) else Quad(*quad) for quad in quads]
    if keyword == "DELETE" and any(
        isinstance(term, BlankNode) for q in as_quads for term in (q.subject, q.object)
    ):
        raise UpdateRefused("deleting blank-node triples is not supported here")
    return data_block(keyword, as_quads)


# The dry-run view --------------------------------------------------------------------------------


class _Dataset(Dataset):
    """rdflib's Dataset, also taking the plain triples INSERT DATA hands its default graph."""

    def __iadd__(self, other):  # noqa: ANN001, ANN204
        for statement in other:
            if len(statement) == 3:
                self.store.add(statement, None)
            else:
                self.add(statement)
        return self


class DryRunStore(RdfStore):
    """An rdflib store that reads through to a GraphStore and keeps writes as a change set."""

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(self, base: GraphStore) -> None:
        super().__init__()
        self.base = base
        self.changes = ChangeSet()

    # reading

    def triples(self, pattern, context=None):  # noqa: ANN001, ANN201 - rdflib's signature
        graph = _graph_of(context)
        seen = set()
        for quad in self._quads(pattern, graph):
            triple = tuple(_to_rdflib(term) for term in quad[:3])
            if triple not in seen:
                seen.add(triple)
                yield triple, iter([context] if context is not None else [])

    def _quads(self, pattern, graph: NamedNode | None) -> Iterator[OxQuad]:  # noqa: ANN001
        """The quads matching ``pattern`` as the change set leaves them (graph None: all)."""
        for quad in self._stored(pattern, graph):
            if quad not in self.changes.removed:
                yield quad
        for quad in self.changes.added:
            if _matches(quad, pattern, graph):
                yield quad

    def _stored(self, pattern, graph: NamedNode | None) -> Iterator[OxQuad]:  # noqa: ANN001
        bindings = {
            name: _to_oxigraph(term)
            for name, term in zip("spo", pattern, strict=True)
            if term is not None
        }
        if graph is not None:
            bindings["g"] = graph
        rows = self.base.select(_QUADS, scope=Scope.everything(), bindings=bindings)
        for row in rows:
            yield tuple(row.get(name, bindings.get(name)) for name in "spog")  # type: ignore[misc]

    def __len__(self, context=None) -> int:  # noqa: ANN001
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple=None):  # noqa: ANN001, ANN201
        names = {row["g"] for row in self.base.select(_GRAPHS, scope=Scope.everything())}
        names |= {quad[3] for quad in self.changes.added if quad[3] is not None}
        for name in sorted(names, key=str):
            graph = Graph(store=self, identifier=URIRef(name.value))
            if triple is None or any(True for _ in self.triples(triple, graph)):
                yield graph

    # writing: to the change set only

    def add(self, triple, context, quoted=False) -> None:  # noqa: ANN001
        quad = (*(_to_oxigraph(term) for term in triple), _graph_of(context))
        if quad in self.changes.removed:
            self.changes.removed.discard(quad)  # type: ignore[arg-type]
        else:
            self.changes.added.add(quad)  # type: ignore[arg-type]

    def remove(self, pattern, context=None) -> None:  # noqa: ANN001
        for quad in list(self._quads(pattern, _graph_of(context))):
            if quad in self.changes.added:
                self.changes.added.discard(quad)
            else:
                self.changes.removed.add(quad)

    def add_graph(self, graph) -> None:  # noqa: ANN001 - empty graphs are not stored
        return None

    def remove_graph(self, graph) -> None:  # noqa: ANN001
        self.remove((None, None, None), graph)


def _graph_of(context) -> NamedNode | None:  # noqa: ANN001
    """The named graph of an rdflib context; None for the (union) default graph."""
    if context is None:
        return None
    identifier = getattr(context, "identifier", context)
    if identifier == DATASET_DEFAULT_GRAPH_ID or not isinstance(identifier, URIRef):
        return None
    return NamedNode(str(identifier))


def _matches(quad: OxQuad, pattern, graph: NamedNode | None) -> bool:  # noqa: ANN001
    wanted = [None if term is None else _to_oxigraph(term) for term in pattern]
    if graph is not None and quad[3] != graph:
        return False
    return all(w is None or w == q for w, q in zip(wanted, quad[:3], strict=True))


def _to_oxigraph(term) -> OxTerm:  # noqa: ANN001
    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, BNode):
        return BlankNode(str(term))
    if term.language:
        return Literal(str(term), language=term.language)
    return Literal(str(term), datatype=NamedNode(str(term.datatype or XSD_STRING)))


def _to_rdflib(term: Term):  # noqa: ANN202
    if isinstance(term, NamedNode):
        return URIRef(term.value)
    if isinstance(term, BlankNode):
        return BNode(term.value)
    if term.language:
        return RdfLiteral(term.value, lang=term.language)
    datatype = term.datatype.value
    # normalize=False: "1.50"^^xsd:decimal must stay "1.50", or deleting it would miss it
    return RdfLiteral(
        term.value,
        datatype=None if datatype == XSD_STRING else URIRef(datatype),
        normalize=False,
    )
