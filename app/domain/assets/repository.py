"""Assets: their records in the graph, how they are saved, read, re-scoped and deleted.

An asset's record is every triple whose subject is the asset's IRI or an IRI under it (its
file, its renditions), all in the one named graph of its access scope. Every write is
validated with SHACL before it lands: a refused write stores nothing.

Writes are optimistic: a record's version (:func:`record_version`, a hash of its triples) is
read with it, and a write of a changed draft checks, holding the asset's lock, that the record
is still at that version; if someone changed it meanwhile, :class:`AssetConflict` is raised and
nothing is stored, so the caller still holds the person's input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import TYPE_CHECKING, Protocol

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.assets.records import (
    AssetConflict,
    AssetDraft,
    AssetRefused,
    SaveResult,
    access_allowed,
    changed_paths,
    record_version,
)
from app.domain.assets.rights import RightsDates
from app.domain.assets.validation import Problem, ValidationReport
from app.domain.iris import Iris
from app.domain.keyed_locks import KeyedLocks
from app.domain.people.access import ACCESS_LEVELS, ACCESS_NAMES
from app.domain.people.audit import Actor, AuditTrail
from app.namespaces import DAM, sparql_prefixes
from app.storage.graphstore import (
    GraphStore,
    Scope,
    data_block,
    graph_names,
    substitute,
    update_request,
)
from app.storage.terms import to_rdflib_graph

if TYPE_CHECKING:
    from app.domain.shapes.catalogue import ShapeCatalogue

_EDITS = ("created", "changed", "versioned", "reverted")  # audit actions writing a record


def _record_pattern(values: str = "") -> str:
    """The triples of an asset's record: its own, and those of the IRIs under it it links to.

    ``values`` (a VALUES clause) goes inside each branch: SPARQL evaluates a group before
    joining it with what surrounds it, so ?asset must be bound within the group itself.
    """
    return f"""
  {{ {values} ?asset ?p ?o . BIND(?asset AS ?s) }}
  UNION
  {{ {values} ?asset ?link ?s .
    FILTER(isIRI(?s) && STRSTARTS(STR(?s), CONCAT(STR(?asset), "/")))
    ?s ?p ?o . }}
"""


_READ_RECORD = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {_record_pattern()} }}"
_DELETE_RECORD = (
    f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ {_record_pattern()} }} }}"
)


_RECORD_GRAPHS = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {_record_pattern()} }} }}"


def delete_record(asset: NamedNode) -> str:
    """The SPARQL Update operation that removes an asset's whole record, from any graph."""
    return substitute(_DELETE_RECORD, {"asset": asset})


# Records of several assets plus what validation needs of the concepts they link to.
_CONTEXT_PATTERN = """
  UNION
  { VALUES ?asset { %s }
    ?asset ?anyp ?c . ?c a skos:Concept ; a ?type . OPTIONAL { ?c skos:inScheme ?scheme } }
"""
_CONSTRUCT_WITH_CONTEXT = "CONSTRUCT { ?s ?p ?o . ?c a ?type ; skos:inScheme ?scheme } WHERE {"
_ACCESS = (
    sparql_prefixes()
    + "SELECT ?level ?dept WHERE { ?asset dam:accessLevel ?level ; dam:department ?dept }"
)


# The asset whose file has a hash, now (dam:hasFile) or in an earlier version (dct:hasVersion).
_HOLDER = (
    sparql_prefixes()
    + """SELECT ?asset WHERE {
  { ?asset dam:hasFile ?f . ?f dam:sha256 ?hash }
  UNION { ?asset dct:hasVersion ?v . ?v dam:sha256 ?hash } } LIMIT 1"""
)


class RecordWatcher(Protocol):
    """Kept in step with asset records (the search index): told around every write of one."""

    def changing(self, asset_id: str) -> AbstractContextManager[object]:
        """Wraps the store write of the asset's record; afterwards, re-read it from the graph."""


class Watchers:
    """Several watchers, all told around each write."""

    def __init__(self, *watchers: RecordWatcher) -> None:
        self.watchers = watchers

    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        with ExitStack() as stack:
            for watcher in self.watchers:
                stack.enter_context(watcher.changing(asset_id))
            yield


class _NoWatcher:
    def changing(self, asset_id: str) -> AbstractContextManager[object]:
        return nullcontext()


def _report_of(draft: AssetDraft, report: ValidationReport) -> ValidationReport:
    """The part of a report about one asset: problems whose focus is its IRI or under it."""

    def mine(problem: Problem) -> bool:
        return problem.focus == draft.iri.value or problem.focus.startswith(draft.iri.value + "/")

    return ValidationReport(
        refusals=[p for p in report.refusals if mine(p)],
        missing=[p for p in report.missing if mine(p)],
    )


class AssetRepository:
    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        shapes: ShapeCatalogue,
        watcher: RecordWatcher | None = None,
    ) -> None:
        self.store = store
        self.iris = iris
        self.shapes = shapes
        self.watcher = watcher or _NoWatcher()
        self.locks = KeyedLocks()
        self.rights = RightsDates(store, iris)
        self.audit = AuditTrail(store, iris)

    def creating(self, asset_id: str) -> AbstractContextManager[None]:
        """Held by a writer from asking whether ``asset_id`` :meth:`exists` until its record is
        written: one writer at a time per asset (per hash), so the first creates it and the
        others find it there."""
        return self.locks.hold(asset_id)

    @contextmanager
    def editing(self, *asset_ids: str) -> Iterator[None]:
        """Hold the assets' locks around a read, change and write of their records: no other
        writer of this process writes them meanwhile. The locks are taken in one order, so
        two holders of several never wait for each other."""
        with ExitStack() as stack:
            for asset_id in sorted(set(asset_ids)):
                stack.enter_context(self.locks.hold(asset_id))
            yield

    def version(self, asset_id: str) -> str | None:
        """The stored record's version (:func:`record_version`); None when there is none."""
        triples = self.record(asset_id, Scope.everything())
        return record_version(triples) if triples else None

    def conflict(self, asset_id: str, current_version: str | None = None) -> AssetConflict:
        """The conflict to raise for a stale write, naming the latest change of the record."""
        if current_version is None:
            current_version = self.version(asset_id)
        events = self.audit.history(self.iris.asset(asset_id))
        last = next((event for event in events if event.action in _EDITS), None)
        return AssetConflict(asset_id, current_version, last)

    def validate(self, draft: AssetDraft) -> ValidationReport:
        """Check a draft against the core shape and its department's profile."""
        return self.validate_many([draft])[draft.asset_id]

    def validate_many(self, drafts: list[AssetDraft]) -> dict[str, ValidationReport]:
        """Check drafts of one department together: one SHACL run costs about half as much per
        asset as one run per draft, and each problem names the asset it is about."""
        departments = {draft.department for draft in drafts}
        if len(departments) > 1:
            raise ValueError("validate_many() takes drafts of one department")
        department = drafts[0].department
        report = self._check(drafts, department, incomplete=False)
        reports = {d.asset_id: _report_of(d, report) for d in drafts}
        incomplete = [d for d in drafts if not reports[d.asset_id].complete]
        if incomplete:
            # Re-check with the incomplete flag on: the core shape forbids public + incomplete.
            flagged = self._check(incomplete, None, incomplete=True)
            for draft in incomplete:
                reports[draft.asset_id].refusals = _report_of(draft, flagged).refusals
        return reports

    def _check(
        self, drafts: list[AssetDraft], department: str | None, *, incomplete: bool
    ) -> ValidationReport:
        """One SHACL run over the drafts' records (flagged as said) and their concepts."""
        context = {t for d in drafts for t in d.context}
        triples = [t for d in drafts for t in d.with_flags(incomplete=incomplete)]
        return self.shapes.validator.check(to_rdflib_graph(triples + list(context)), department)

    def settle_access(self, draft: AssetDraft, report: ValidationReport) -> ValidationReport:
        """Apply :func:`access_allowed` to the draft: an incomplete public draft becomes
        restricted and is validated again; returns the report that goes with the draft now."""
        allowed = access_allowed(draft.access, complete=report.complete)
        if allowed == draft.access:
            return report
        draft.access = allowed
        return self.validate(draft)

    def save(
        self,
        draft: AssetDraft,
        *,
        expected_version: str | None = None,
        actor: Actor | None = None,
        action: str | None = None,
    ) -> SaveResult:
        """Validate and store the draft, replacing any earlier record of the same asset.

        A draft read from the stored record (:meth:`stored_draft`) is stored only if the record
        is still at the version it was read at, and only at ``expected_version`` if given (the
        version the person saw); else :class:`AssetConflict`, and nothing is stored.

        With an ``actor``, the audit event (``action``; by default "created" for a new asset,
        else "changed", with the fields that changed) is written in the same store update as
        the record. Without one, no event is written.
        """
        return self.save_validated(
            draft,
            self.validate(draft),
            expected_version=expected_version,
            actor=actor,
            action=action,
        )

    def save_validated(
        self,
        draft: AssetDraft,
        report: ValidationReport,
        *,
        expected_version: str | None = None,
        actor: Actor | None = None,
        action: str | None = None,
    ) -> SaveResult:
        """Store a draft whose ``report`` came from :meth:`validate` of this very draft
        (``actor`` and ``action`` as for :meth:`save`)."""
        if not report.accepted:
            raise AssetRefused(report)
        triples = draft.with_flags(incomplete=not report.complete)
        graph = self.iris.asset_graph(draft.access, draft.department)
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        with self.editing(draft.asset_id):
            old = self.record(draft.asset_id, Scope.everything())
            seen = {draft.version, expected_version} - {None}
            if seen and seen != {record_version(old) if old else None}:
                raise self.conflict(draft.asset_id)
            if actor is not None:
                done = action or ("changed" if old else "created")
                changed = changed_paths(draft.iri, old, triples) if old else []
                quads += self.audit.event_quads(done, draft.iri, actor, changed)
            with self.watcher.changing(draft.asset_id):
                if old:
                    self._replace(draft.iri, quads)
                else:
                    self.store.insert(quads)
        return SaveResult(draft.asset_id, draft.access, report.missing)

    def _replace(self, iri: NamedNode, quads: list[Quad]) -> None:
        """One update: the old record out, the new one (and its audit event) in. The store is
        told which graphs that changes, the record's (read under the asset's lock) and the
        quads', so that what is kept of the others (the concept index) outlives an edit."""
        replace = update_request(delete_record(iri), data_block("INSERT", quads))
        self.store.update(replace, graphs=self.graphs_changed(iri, quads))

    def graphs_changed(self, iri: NamedNode, quads: Iterable[Quad] = ()) -> set[str]:
        """The graphs that removing the record (read under the asset's lock) and writing
        ``quads`` change."""
        rows = self.store.select(_RECORD_GRAPHS, scope=Scope.everything(), bindings={"asset": iri})
        return {row["g"].value for row in rows} | graph_names(quads)

    def exists(self, asset_id: str) -> bool:
        return bool(
            self.store.ask(
                "ASK { ?asset ?p ?o }",
                scope=Scope.everything(),
                bindings={"asset": self.iris.asset(asset_id)},
            )
        )

    def holder_of(self, sha256: str) -> str | None:
        """The asset these bytes belong to (one hash, one asset): the one named after them, or
        the one whose file has or had them; None if none. Hold the lock of ``sha256[:16]``."""
        if self.exists(sha256[:16]):
            return sha256[:16]
        found = {"hash": Literal(sha256)}
        rows = self.store.select(_HOLDER, scope=Scope.everything(), bindings=found)
        return next((i for row in rows if (i := self.iris.asset_id(row["asset"].value))), None)

    def record(self, asset_id: str, scope: Scope) -> list[Triple]:
        """Every triple of the asset's record that ``scope`` may see (empty: none, or hidden,
        which a public asset out of its rights dates is to public-only readers)."""
        asset = self.iris.asset(asset_id)
        triples = self.store.construct(_READ_RECORD, scope=scope, bindings={"asset": asset})
        return [] if triples and self.rights.hides(asset, triples, scope) else triples

    def access_of(self, asset_id: str) -> tuple[str, str] | None:
        """(access level, department notation) of an asset, as the administrator sees it."""
        rows = self.store.select(
            _ACCESS, scope=Scope.everything(), bindings={"asset": self.iris.asset(asset_id)}
        )
        if not rows:
            return None
        department = rows[0]["dept"].value.rsplit("/", 1)[-1]
        return ACCESS_NAMES[rows[0]["level"].value], department

    def records_with_context(self, assets: list[NamedNode]) -> list[Triple]:
        """The records of ``assets`` with the concept triples validation needs (admin view)."""
        iris = " ".join(str(asset) for asset in assets)
        query = (
            sparql_prefixes()
            + _CONSTRUCT_WITH_CONTEXT
            + _record_pattern(f"VALUES ?asset {{ {iris} }}")
            + _CONTEXT_PATTERN % iris
            + "}"
        )
        return self.store.construct(query, scope=Scope.everything())

    def check_stored(self, assets: list[NamedNode], department: str | None) -> ValidationReport:
        """Validate stored records of one department against the core shape and its profile."""
        records = to_rdflib_graph(self.records_with_context(assets))
        return self.shapes.validator.check(records, department)

    def missing_fields(self, asset_id: str) -> list[Problem]:
        """What the asset's department profile asks for and the record lacks."""
        found = self.access_of(asset_id)
        if found is None:
            return []
        return self.check_stored([self.iris.asset(asset_id)], found[1]).missing

    def stored_draft(self, asset_id: str) -> AssetDraft | None:
        """The stored record as a draft that can be changed and saved again."""
        found = self.access_of(asset_id)
        if found is None:
            return None
        access, department = found
        iri = self.iris.asset(asset_id)
        triples = self.records_with_context([iri])
        own = f"{iri.value}/"
        is_record = [t.subject == iri or t.subject.value.startswith(own) for t in triples]
        record = [t for t, mine in zip(triples, is_record, strict=True) if mine]
        context = [t for t, mine in zip(triples, is_record, strict=True) if not mine]
        return AssetDraft(
            asset_id, iri, department, access, record, context, record_version(record)
        )

    def set_access(
        self,
        asset_id: str,
        access: str,
        *,
        expected_version: str | None = None,
        actor: Actor | None = None,
    ) -> SaveResult:
        """Move an asset to another access level; an incomplete asset cannot become public.

        ``expected_version``: the version the person saw; if the record is no longer at it,
        :class:`AssetConflict` and nothing changes. With an ``actor``, the "changed" event is
        written with the change.
        """
        if access not in ACCESS_LEVELS:
            raise ValueError(f"unknown access level {access!r}")
        with self.editing(asset_id):
            draft = self.stored_draft(asset_id)
            if draft is None:
                raise KeyError(asset_id)
            if expected_version is not None and expected_version != draft.version:
                raise self.conflict(asset_id, draft.version)
            if access != draft.access:  # a person's decision replaces the rights check's
                draft.triples = [t for t in draft.triples if t.predicate != DAM.withdrawnBecause]
            draft.access = access
            return self.save(draft, actor=actor)

    def delete(self, asset_id: str, *, actor: Actor | None = None) -> bool:
        """Remove the asset's record; with an ``actor``, its "deleted" event in the same update."""
        iri = self.iris.asset(asset_id)
        with self.editing(asset_id):
            if not self.exists(asset_id):
                return False
            event = self.audit.event_quads("deleted", iri, actor) if actor is not None else []
            with self.watcher.changing(asset_id):
                delete = update_request(delete_record(iri), data_block("INSERT", event))
                self.store.update(delete, graphs=self.graphs_changed(iri, event))
        return True
