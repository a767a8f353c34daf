"""SPARQL 1.1 Update for administrators, validated with SHACL like any other write.

SPARQL 1.1 Update (https://www.w3.org/TR/sparql11-update/) is evaluated by rdflib's update
engine (§3: the operations of one request, in order) against a dry-run view of the store
(:mod:`app.domain.sparql.dry_run`): reads go to the store, writes are collected as a change set
and never reach it. Relative IRIs resolve against the base IRI (``ATRIUM_BASE_IRI``; SPARQL 1.1
Protocol §2.2: "which MAY be the service endpoint"). Atrium evaluates some operations itself:

- DELETE / INSERT … WHERE (§3.1.3): USING and USING NAMED, or the protocol's
  ``using-graph-uri`` / ``using-named-graph-uri`` (Protocol §2.2.3; giving both is refused),
  name graphs of the store, never URLs to fetch; every DELETE instance is applied before any
  INSERT one;
- CLEAR / DROP of ALL, NAMED or DEFAULT (§3.2.2, §3.2.3; the default graph being the union of
  all graphs, the three are the same here) leave Atrium's own graphs (everything under
  ``{base}graphs/``: ontology, vocabularies, shapes, users, audit, assets, results) alone
  unless the request asks for them with ``include_atrium_graphs``. A graph named explicitly
  (``CLEAR GRAPH <…>``) is cleared whatever it is;
- CREATE (§3.2.1): graphs exist by holding triples, so it only checks the graph is not there.

Then, like :meth:`AssetRepository.save`:

1. every asset whose record the change touches (a triple about the asset, its file or its
   renditions) is rebuilt (stored record, then the change) and checked against the core shape
   and its department's profile. A violation refuses the whole request, with the report in
   words; a profile gap marks the asset incomplete (and an incomplete asset cannot be public);
2. the change lands as one SPARQL update, so all of it or nothing: each touched record is
   replaced in the graph of its access level (a request that changes ``dam:accessLevel`` moves
   the record), and the other triples are deleted and inserted as the request said. SPARQL
   cannot name a stored blank node, so a graph where the change removes a blank-node triple,
   or adds one to a stored blank node, is rewritten whole (DROP, then INSERT DATA of its new
   content, the same label being the same node across graphs): the graph comes out as the
   update made it, its blank nodes relabelled.

Refused: LOAD (the server would fetch a URL), SERVICE, blank nodes in an asset's record,
triples inserted into the default graph that belong to no asset (say which graph, with
``GRAPH <…>`` or ``WITH <…>``), and a rewrite of an asset graph or of a graph over
``MAX_REWRITTEN_TRIPLES``.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, NamedNode, Quad, Triple
from rdflib import BNode, URIRef, Variable
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import QueryContext, Update

from app.domain.assets.records import AssetDraft
from app.domain.assets.repository import AssetRepository, delete_record
from app.domain.assets.validation import Problem
from app.domain.iris import Iris
from app.domain.people.access import ACCESS_NAMES
from app.domain.people.audit import Actor
from app.domain.results.index import ResultsIndex
from app.domain.sparql.dry_run import (
    DatasetView,
    DryRunStore,
    InvalidTerm,
    OxQuad,
    OxTerm,
    UpdateDataset,
    to_oxigraph,
)
from app.domain.sparql.text import AN_UPDATE, check_bounds, uses_keyword
from app.namespaces import DAM, SKOS
from app.storage.graphstore import GraphStore, QuerySyntaxError, Scope, data_block, graph_names

# A graph rewritten to delete blank nodes is read whole into memory and written back.
MAX_REWRITTEN_TRIPLES = 100_000
WHOLE_STORE = ("ALL", "NAMED", "DEFAULT")


class UpdateRefused(Exception):
    """The update would break a rule; ``problems`` say which asset, which field, and why."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class UpdateConflict(Exception):
    """Assets changed while the update was evaluated; sending it again is safe."""


class BadUpdateRequest(ValueError):
    """The request itself is wrong (a malformed IRI, a dataset given twice); says what to fix."""


@dataclass(frozen=True)
class UpdateOptions:
    """What the protocol adds to the update text (SPARQL 1.1 Protocol §2.2)."""

    using_graphs: tuple[NamedNode, ...] = ()  # using-graph-uri
    using_named_graphs: tuple[NamedNode, ...] = ()  # using-named-graph-uri
    include_atrium_graphs: bool = False  # CLEAR / DROP ALL also empty Atrium's own graphs

    @property
    def gives_dataset(self) -> bool:
        return bool(self.using_graphs or self.using_named_graphs)


@dataclass
class UpdateReport:
    """What an applied update changed."""

    assets: list[str] = field(default_factory=list)  # ids of the asset records it rewrote
    incomplete: list[str] = field(default_factory=list)
    inserted: int = 0  # other triples
    deleted: int = 0
    kept_graphs: list[str] = field(default_factory=list)  # left alone by CLEAR / DROP ALL


class SparqlUpdater:
    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        assets: AssetRepository,
        results: ResultsIndex | None = None,
    ) -> None:
        self.store = store
        self.results = results  # told when an update writes results graphs directly
        self.iris = iris
        self.assets = assets

    def apply(
        self,
        text: str,
        options: UpdateOptions = UpdateOptions(),
        *,
        actor: Actor | None = None,
    ) -> UpdateReport:
        """Evaluate the update without writing, validate the change, then write it at once.

        The records it touches are locked (as a form's save locks its asset) and the update is
        evaluated again under the locks, so no edit lands between its read and its write. With
        an ``actor``, a "changed" audit event for each rewritten asset goes in the same update.
        """
        first = self.dry_run(text, options)
        touched = _Plan(self, first).touched()
        with ExitStack() as watching:
            watching.enter_context(self.assets.editing(*touched))
            dry_run = self.dry_run(text, options) if touched else first
            plan = _Plan(self, dry_run)
            if not set(plan.touched()) <= set(touched):
                raise UpdateConflict(
                    "other assets matched while the update ran, as someone changed them "
                    "meanwhile: nothing was stored; send the update again"
                )
            request, graphs = plan.request(actor)
            if not request:
                return plan.report
            for asset_id in plan.report.assets:  # the search index follows the records
                watching.enter_context(self.assets.watcher.changing(asset_id))
            if self.results is not None and self._touches_results(dry_run):
                watching.enter_context(self.results.writing()).unknown()
            self.store.update(request, graphs=graphs)
        return plan.report

    def _touches_results(self, dry_run: DryRunStore) -> bool:
        graphs = {quad[3].value for quad in dry_run.changes.quads() if quad[3] is not None}
        return any(self.iris.is_results_graph(graph) for graph in graphs)

    def dry_run(self, text: str, options: UpdateOptions = UpdateOptions()) -> DryRunStore:
        """The store as the update would leave it, its change set in ``changes``.

        QuerySyntaxError if it is not SPARQL Update; its size and nesting are bounded first
        (QueryRefused), as for queries.
        """
        from rdflib.plugins.sparql.processor import prepareUpdate

        check_bounds(text, AN_UPDATE)
        if uses_keyword(text, "SERVICE"):
            raise UpdateRefused("SERVICE is not allowed: Atrium does not fetch other endpoints")
        try:
            update = prepareUpdate(text, base=self.iris.base)
        except Exception as error:  # noqa: BLE001 - pyparsing and rdflib raise several kinds
            raise QuerySyntaxError(f"not valid SPARQL 1.1 Update: {error}") from None
        operations = update.algebra
        if any(operation.name == "Load" for operation in operations):
            raise UpdateRefused("LOAD is not allowed: Atrium does not fetch URLs on request")
        if options.gives_dataset and any(_names_dataset(op) for op in operations):
            raise BadUpdateRequest(
                "the dataset is given twice: send using-graph-uri / using-named-graph-uri, or "
                "write USING / USING NAMED / WITH in the update, not both"
            )
        is_kept = (lambda graph: False) if options.include_atrium_graphs else self.is_atrium_graph
        dry_run = DryRunStore(self.store, is_kept)
        try:
            with warnings.catch_warnings():  # rdflib's update engine uses its own deprecated names
                warnings.simplefilter("ignore", DeprecationWarning)
                _evaluate(update, dry_run, options)
        except InvalidTerm as error:
            raise BadUpdateRequest(str(error)) from None
        return dry_run

    def is_atrium_graph(self, graph: NamedNode) -> bool:
        """A graph Atrium keeps (ontology, vocabularies, shapes, users, audit, assets…)."""
        return graph.value.startswith(self.iris.graph("").value)


def _names_dataset(operation: CompValue) -> bool:
    return operation.name == "Modify" and bool(operation.using or operation.withClause)


def _evaluate(update: Update, dry_run: DryRunStore, options: UpdateOptions) -> None:
    from rdflib.plugins.sparql.update import evalUpdate

    dataset = UpdateDataset(store=dry_run)
    for operation in update.algebra:
        if operation.name in ("Clear", "Drop") and operation.graphiri in WHOLE_STORE:
            dry_run.wipe()
        elif operation.name == "Create":
            graph = to_oxigraph(operation.graphiri)
            if not operation.silent and any(True for _ in dry_run.quads((None,) * 3, graph)):
                raise UpdateRefused(f"CREATE GRAPH {graph}: the graph already exists")
        elif operation.name == "Modify":
            _modify(dataset, dry_run, operation, options)
        else:
            evalUpdate(dataset, Update(update.prologue, [operation]))


def _modify(
    dataset: UpdateDataset, dry_run: DryRunStore, operation: CompValue, options: UpdateOptions
) -> None:
    """DELETE / INSERT … WHERE (SPARQL 1.1 Update §3.1.3), USING naming stored graphs."""
    using = operation.using or []
    default = [to_oxigraph(u.default) for u in using if u.default] or list(options.using_graphs)
    named = [to_oxigraph(u.named) for u in using if u.named] or list(options.using_named_graphs)
    where_dataset = dataset
    if using or options.gives_dataset:
        where_dataset = UpdateDataset(store=DatasetView(dry_run, default, named))
    elif operation.withClause:
        where_dataset = UpdateDataset(
            store=DatasetView(dry_run, [to_oxigraph(operation.withClause)], None)
        )
    context = QueryContext(where_dataset, initBindings={})
    context.prologue = operation.prologue
    solutions = list(evalPart(context, operation.where))
    target = operation.withClause  # the graph of template triples outside GRAPH { }
    for clause, apply in ((operation.delete, "remove"), (operation.insert, "add")):
        if not clause:
            continue
        templates = [(*triple, target) for triple in clause.triples]
        templates += [(*triple, g) for g, triples in clause.quads.items() for triple in triples]
        for solution in solutions:
            for *triple, graph in _instantiate(templates, solution):
                context_graph = dataset.get_context(graph) if graph else dataset.default_context
                getattr(context_graph, apply)(tuple(triple))


def _instantiate(templates: list[tuple], solution) -> Iterable[tuple]:  # noqa: ANN001
    """The template quads under one solution: unbound ones left out, a fresh blank node for
    each template blank node (one per solution, whatever graph it is in)."""
    fresh: defaultdict[BNode, BNode] = defaultdict(BNode)
    for *terms, graph in templates:
        values = [fresh[t] if isinstance(t, BNode) else solution.get(t) for t in terms]
        if isinstance(graph, Variable):
            graph = solution.get(graph)
            if not isinstance(graph, URIRef):
                continue
        if all(value is not None for value in values):
            yield (*values, graph)


class _Plan:
    """Turns a change set into one SPARQL update, validating every touched asset."""

    def __init__(self, updater: SparqlUpdater, dry_run: DryRunStore) -> None:
        self.updater = updater
        self.dry_run = dry_run
        self.changes = dry_run.changes
        self.report = UpdateReport()

    def touched(self) -> list[str]:
        """The ids of the assets whose records the change set touches."""
        return sorted({a for a in map(self._asset_of, self.changes.quads()) if a})

    def request(self, actor: Actor | None = None) -> tuple[str, set[str]]:
        """The update, and the names of the graphs it writes (the records' own read under
        their locks), so that what is kept of the others outlives it."""
        touched = self.touched()
        records = [q for asset_id in touched for q in self._checked_record(asset_id)]
        removed = [q for q in self.changes.removed if not self._asset_of(q)]
        inserted = [q for q in self.changes.added if not self._asset_of(q)]
        if any(q[3] is None for q in inserted):
            raise UpdateRefused(
                "triples about something other than an asset need a graph: write them in "
                "GRAPH <…> { … } (or WITH <…>)"
            )
        rewritten = self._graphs_to_rewrite(removed, inserted)
        contents = [q for graph in rewritten for q in self._new_content(graph)]
        operations = [delete_record(self.updater.iris.asset(asset_id)) for asset_id in touched]
        operations.append(data_block("DELETE", _quads(q for q in removed if q[3] not in rewritten)))
        operations += [f"DROP SILENT GRAPH {graph}" for graph in rewritten]
        kept = [q for q in inserted if q[3] not in rewritten]
        events = [
            q
            for asset_id in touched
            if actor is not None
            for q in self.updater.assets.audit.event_quads(
                "changed", self.updater.iris.asset(asset_id), actor
            )
        ]
        written = _quads([*records, *contents, *kept, *events])
        operations.append(data_block("INSERT", written))
        graphs = graph_names(_quads(removed)) | graph_names(written) | {g.value for g in rewritten}
        for asset_id in touched:
            graphs |= self.updater.assets.graphs_changed(self.updater.iris.asset(asset_id))
        self.report.assets = touched
        self.report.inserted, self.report.deleted = len(inserted), len(removed)
        self.report.kept_graphs = sorted(g.value for g in self.dry_run.kept)
        return " ;\n".join(operation for operation in operations if operation), graphs

    def _graphs_to_rewrite(self, removed: list[OxQuad], inserted: list[OxQuad]) -> list[NamedNode]:
        """The graphs that lose a blank-node triple or gain one on a stored blank node."""
        stored = self.dry_run.stored_blank_nodes
        graphs = {q[3] for q in removed if _has_blank_node(q)}
        graphs |= {q[3] for q in inserted if any(t in stored for t in q[:3])}
        return sorted(graphs, key=str)  # type: ignore[arg-type]

    def _new_content(self, graph: NamedNode) -> list[OxQuad]:
        content = []
        for quad in self.dry_run.quads((None, None, None), graph):
            content.append(quad)
            if len(content) > MAX_REWRITTEN_TRIPLES:
                raise UpdateRefused(
                    f"deleting blank nodes rewrites their graph {graph}, and it holds more than "
                    f"{MAX_REWRITTEN_TRIPLES:,} triples: clear it (CLEAR GRAPH) or give the "
                    "blank nodes IRIs"
                )
        if content and self.updater.iris.is_asset_graph(graph.value):
            raise UpdateRefused(
                f"blank nodes in the asset graph {graph} can only go with the whole graph "
                "(CLEAR GRAPH); asset records hold none"
            )
        return content

    def _asset_of(self, quad: OxQuad) -> str | None:
        """The id of the asset whose record holds this triple's subject, if any."""
        subject = quad[0]
        if not isinstance(subject, NamedNode):
            return None
        return self.updater.iris.record_asset_id(subject.value)

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


def _has_blank_node(quad: OxQuad) -> bool:
    return any(isinstance(term, BlankNode) for term in quad[:3])


def _quads(quads: Iterable[OxQuad | Quad]) -> list[Quad]:
    """pyoxigraph quads (a graph of None: the default graph)."""
    return [quad if isinstance(quad, Quad) else Quad(*quad) for quad in quads]
