"""``atrium vocab import``: a SKOS file into its own named graph, through the quality gates.

1. The file is parsed (:mod:`.files`); a file with no statement at all is refused. Its main
   concept scheme is the one ``--scheme`` names,
   else the only one, else the one with most member concepts. A scheme that concepts point to
   with skos:inScheme but that is not declared is declared (SKOS §4.6: the range of
   skos:inScheme is skos:ConceptScheme); a file with no scheme at all gets one minted under
   ``{base}vocab/`` from its file name.
2. ``--clean`` runs skosify first (:mod:`.cleaning`), unless the hierarchy is deeper than the
   quality gates check (:data:`.quality.MAX_HIERARCHY_DEPTH`).
3. The quality gates run on the graph as it would be stored (:mod:`.quality`). Errors stop the
   import: nothing is stored. Warnings are reported.
4. The graph replaces the vocabulary's graph in one atomic write, together with the change's
   PROV-O history record (:mod:`.history`): one SPARQL Update request, so that no state of the
   store has the new graph without its record, or the record without the graph. A re-import
   reports what changed, concept by concept, and warns about removed concepts that assets
   still use. ``--merge`` adds the file's statements to the stored ones instead (another
   language's labels, say).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from pyoxigraph import Literal, NamedNode, Quad, Triple
from rdflib import URIRef
from rdflib.namespace import RDF, SKOS

from app.domain.vocab.catalogue import Catalogue, slug_for
from app.domain.vocab.cleaning import CleaningReport, clean
from app.domain.vocab.diff import VocabularyDiff, diff_versions
from app.domain.vocab.files import EmptyVocabularyError, read_vocabulary, to_oxigraph
from app.domain.vocab.history import (
    IMPORTED,
    IMPORTED_CHANGES,
    REIMPORTED,
    REIMPORTED_CHANGES,
    Actor,
    Change,
    History,
)
from app.domain.vocab.quality import QualityGate, QualityReport, check_depth, quiet_rdflib
from app.domain.vocab.usage import ConceptUsage
from app.namespaces import RDF as OX_RDF
from app.namespaces import SKOS as OX_SKOS
from app.storage.graphstore import (
    GraphStore,
    Scope,
    data_block,
    graph_names,
    update_request,
)
from app.storage.terms import to_rdflib_graph


@dataclass(frozen=True)
class ImportOptions:
    scheme: str | None = None
    clean: bool = False
    merge: bool = False


@dataclass
class ImportReport:
    """What an import found and did; ``stored`` is False when an error stopped it."""

    path: Path
    slug: str
    graph: str
    scheme: str
    concepts: int
    languages: dict[str, int]
    schemes: list[str]
    quality: QualityReport
    notes: list[str] = field(default_factory=list)
    cleaning: CleaningReport | None = None
    diff: VocabularyDiff | None = None
    removed_in_use: dict[str, int] = field(default_factory=dict)
    stored: bool = False
    replaced: bool = False


class Importer:
    def __init__(
        self,
        store: GraphStore,
        catalogue: Catalogue,
        gate: QualityGate,
        history: History,
        usage: ConceptUsage,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.gate = gate
        self.history = history
        self.usage = usage
        self.iris = catalogue.iris

    def run(self, path: Path, options: ImportOptions, actor: Actor) -> ImportReport:
        with quiet_rdflib():
            parsed = read_vocabulary(path, self.iris.vocab_base)
            if len(parsed) == 0:
                raise EmptyVocabularyError(
                    f"{path.name}: refused: the file holds no statement, so there is no "
                    "vocabulary to import"
                )
            scheme, notes = self._main_scheme(parsed, path, options.scheme)
            cleaning = None
            if options.clean and check_depth(parsed) is None:  # skosify recurses, too
                parsed, cleaning = clean(parsed)
            elif options.clean:
                notes.append("skosify did not run: the hierarchy is too deep (see below)")
            existing = self.catalogue.graph_of_scheme(NamedNode(str(scheme)))
            graph = existing or self.iris.vocab_graph(self.catalogue.new_slug(str(scheme)))
            old = self.read_graph(graph) if existing else []
            triples = to_oxigraph(parsed, self.iris.genid_base)
            if options.merge and old:
                triples = list(dict.fromkeys([*old, *triples]))
            report = self._report(path, graph, scheme, triples, notes, cleaning)
        if report.quality.errors:
            return report
        if old:
            report.replaced = True
            report.diff = diff_versions(old, triples)
            report.removed_in_use = self.usage.per_concept(report.diff.removed)
        record = self._record(report, actor, NamedNode(str(scheme)))
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        self.store.update(
            update_request(f"DROP SILENT GRAPH {graph}", data_block("INSERT", [*quads, *record])),
            graphs={graph.value} | graph_names(record),
        )
        report.stored = True
        return report

    def read_graph(self, graph: NamedNode) -> list[Triple]:
        return self.store.construct(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
            scope=Scope.everything(),
            bindings={"g": graph},
        )

    # --- the main scheme ------------------------------------------------------------------

    def _main_scheme(
        self, graph: rdflib.Graph, path: Path, wanted: str | None
    ) -> tuple[URIRef, list[str]]:
        notes = _declare_implied_schemes(graph)
        declared = sorted(set(graph.subjects(RDF.type, SKOS.ConceptScheme)))
        if wanted:
            scheme = URIRef(wanted)
            if scheme not in declared:
                _declare(graph, scheme, slug_for(wanted))
                notes.append(f"declared the concept scheme <{scheme}> named by --scheme")
            return scheme, notes
        if len(declared) == 1:
            return declared[0], notes
        if not declared:
            scheme = URIRef(self.iris.scheme(slug_for(path.stem.replace("__", "-"))).value)
            _declare(graph, scheme, path.stem)
            notes.append(
                f"the file declares no concept scheme; created <{scheme}> "
                "(name another with --scheme IRI)"
            )
            return scheme, notes
        scheme = min(declared, key=lambda s: (-_members(graph, s), str(s)))
        others = ", ".join(f"<{s}>" for s in declared if s != scheme)
        notes.append(
            f"the file declares {len(declared)} concept schemes; <{scheme}> is the main one "
            f"and {others} are kept beside it (choose another with --scheme IRI)"
        )
        return scheme, notes

    # --- report --------------------------------------------------------------------------

    def _report(
        self,
        path: Path,
        graph: NamedNode,
        scheme: URIRef,
        triples: list[Triple],
        notes: list[str],
        cleaning: CleaningReport | None,
    ) -> ImportReport:
        concepts = {
            t.subject for t in triples if t.predicate == OX_RDF.type and t.object == OX_SKOS.Concept
        }
        languages = Counter(
            t.object.language or ""
            for t in triples
            if t.predicate == OX_SKOS.prefLabel
            and t.subject in concepts
            and isinstance(t.object, Literal)
        )
        schemes = sorted(
            t.subject.value
            for t in triples
            if t.predicate == OX_RDF.type and t.object == OX_SKOS.ConceptScheme
        )
        return ImportReport(
            path=path,
            slug=self.catalogue.slug_of(graph),
            graph=graph.value,
            scheme=str(scheme),
            concepts=len(concepts),
            languages=dict(languages.most_common()),
            schemes=schemes,
            quality=self.gate.check(to_rdflib_graph(triples), graph.value),
            notes=notes,
            cleaning=cleaning,
        )

    def _record(self, report: ImportReport, actor: Actor, scheme: NamedNode) -> list[Quad]:
        """The history record of the import, to write in the same update as the graph."""
        said = {"file": report.path.name, "count": report.concepts}
        if report.diff is None:
            summary = (REIMPORTED if report.replaced else IMPORTED)(**said)
        else:
            diff = report.diff
            summary = (REIMPORTED_CHANGES if report.replaced else IMPORTED_CHANGES)(
                **said,
                added=len(diff.added),
                removed=len(diff.removed),
                relabelled=len(diff.relabelled),
                moved=len(diff.moved),
            )
        change = Change("imported", str(summary), [scheme])
        return self.history.record(change, actor, self.history.new_iri())


def _members(graph: rdflib.Graph, scheme: URIRef) -> int:
    """How many concepts the file describes in ``scheme``."""
    members = set(graph.subjects(SKOS.inScheme, scheme)) | set(
        graph.subjects(SKOS.topConceptOf, scheme)
    )
    members |= set(graph.objects(scheme, SKOS.hasTopConcept))
    return len(members & set(graph.subjects(RDF.type, SKOS.Concept)))


def _declare(graph: rdflib.Graph, scheme: URIRef, name: str) -> None:
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    if graph.value(scheme, SKOS.prefLabel) is None:
        graph.add((scheme, SKOS.prefLabel, rdflib.Literal(name)))


def _declare_implied_schemes(graph: rdflib.Graph) -> list[str]:
    notes = []
    implied = {o for o in graph.objects(None, SKOS.inScheme) if isinstance(o, URIRef)}
    for scheme in sorted(implied - set(graph.subjects(RDF.type, SKOS.ConceptScheme))):
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        notes.append(f"declared <{scheme}> a concept scheme: concepts are in it (skos:inScheme)")
    return notes
