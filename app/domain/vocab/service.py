"""The vocabularies as the rest of Atrium uses them: one object per service."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pyoxigraph import Triple

from app.domain.assets.repository import RecordWatcher
from app.domain.iris import Iris
from app.domain.vocab.asset_rewrites import AssetLocks
from app.domain.vocab.autocomplete import Autocomplete
from app.domain.vocab.browse import Browser
from app.domain.vocab.catalogue import Catalogue, Vocabulary
from app.domain.vocab.editor import Editor
from app.domain.vocab.files import export, export_format
from app.domain.vocab.guard import ChangeGuard
from app.domain.vocab.history import Actor, History
from app.domain.vocab.importer import Importer, ImportOptions, ImportReport
from app.domain.vocab.quality import QualityGate, QualityReport, quiet_rdflib
from app.domain.vocab.usage import ConceptUsage, FieldSource
from app.storage.graphstore import GraphStore
from app.storage.terms import to_rdflib_graph

QUALITY_SHAPES = "skos-quality.ttl"


class UnknownVocabulary(LookupError):
    """No vocabulary answers to a name (slug, graph or scheme IRI)."""


class Vocabularies:
    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        shapes_dir: Path,
        watcher: RecordWatcher | None = None,
        *,
        fields: FieldSource,
        asset_locks: AssetLocks | None = None,
    ) -> None:
        """``fields``: the field registry as the shapes say now (a profile may be imported
        while Atrium runs); the usage guard, merges and autocompletion read it on each call.
        ``asset_locks``: asset editing's, which the editor holds while it re-tags assets."""
        self.store = store
        self.watcher = watcher
        self.asset_locks = asset_locks
        self.iris = iris
        self.shapes_dir = shapes_dir
        self.fields = fields
        self.catalogue = Catalogue(store, iris)
        self.history = History(store, iris)
        self.usage = ConceptUsage(store, fields)
        self.browser = Browser(store, self.catalogue, self.usage)
        self.autocomplete = Autocomplete(store, self.catalogue, fields)

    @cached_property
    def gate(self) -> QualityGate:
        return QualityGate(self.shapes_dir / QUALITY_SHAPES, self.iris.vocab_base)

    @cached_property
    def editor(self) -> Editor:
        guard = ChangeGuard(self.store, self.gate)
        return Editor(
            self.store,
            self.catalogue,
            guard,
            self.history,
            self.usage,
            watcher=self.watcher,
            asset_locks=self.asset_locks,
        )

    @property
    def genid_base(self) -> str:
        return self.iris.genid_base

    def get(self, name: str) -> Vocabulary:
        vocabulary = self.catalogue.get(name)
        if vocabulary is None:
            known = ", ".join(v.slug for v in self.catalogue.all()) or "none"
            raise UnknownVocabulary(f"no vocabulary named {name!r} (known: {known})")
        return vocabulary

    def import_file(self, path: Path, options: ImportOptions, actor: Actor) -> ImportReport:
        return self._importer().run(path, options, actor)

    def triples(self, vocabulary: Vocabulary) -> list[Triple]:
        return self._importer().read_graph(vocabulary.graph)

    def _importer(self) -> Importer:
        return Importer(self.store, self.catalogue, self.gate, self.history, self.usage)

    def export(self, name: str, fmt: str) -> tuple[bytes, str, str]:
        """(content, media type, file name) of a vocabulary in ``fmt`` (ttl, rdf, …, or an
        alias such as rdfxml); ``KeyError`` for an unknown format."""
        vocabulary = self.get(name)
        chosen = export_format(fmt)
        if chosen is None:
            raise KeyError(fmt)
        body = export(self.triples(vocabulary), chosen, self.genid_base)
        return body, chosen.media_type, f"{vocabulary.slug}.{chosen.extension}"

    def check(self, vocabulary: Vocabulary) -> QualityReport:
        """The quality gates on a stored vocabulary."""
        with quiet_rdflib():
            graph = to_rdflib_graph(self.triples(vocabulary))
            return self.gate.check(graph, vocabulary.graph.value)
