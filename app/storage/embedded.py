"""The default graph store: pyoxigraph on disk (or in memory for tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, Triple

from app.storage.graphstore import (
    GraphStore,
    QueryResult,
    QuerySyntaxError,
    Scope,
    StoreError,
    Term,
    data_block,
    substitute,
    update_request,
)


class EmbeddedStore(GraphStore):
    """A pyoxigraph ``Store``; ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.generation = 0  # counts writes, so read-only readers know when to reopen
        self._published = 0
        # Request threads write at once: an unlocked ``+= 1`` can lose a count, and then a
        # reader would keep a stale view of the data folder.
        self._counting = threading.Lock()
        if path is None:
            self._store = Store()
            return
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._store = Store(str(path))
        except OSError as error:
            raise StoreError(
                f"cannot open the store in {path}: {error}. Another Atrium process is "
                "probably using this data folder (the server, or a command such as ingest or "
                "vocab import; which one cannot be told from here): wait for it to finish, "
                "or stop it"
            ) from error

    def query(
        self, sparql: str, *, scope: Scope, bindings: Mapping[str, Term] | None = None
    ) -> QueryResult:
        dataset: dict[str, object]
        if scope.graphs is None:
            dataset = {"use_default_graph_as_union": True}
        else:
            graphs = [NamedNode(g) for g in scope.graphs]
            dataset = {"default_graph": graphs, "named_graphs": graphs}
        try:
            return self._store.query(substitute(sparql, bindings), **dataset)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except (RuntimeError, OSError) as error:
            raise StoreError(str(error)) from error

    def update(self, sparql: str, *, bindings: Mapping[str, Term] | None = None) -> None:
        try:
            self._store.update(substitute(sparql, bindings))
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except (RuntimeError, OSError) as error:
            raise StoreError(str(error)) from error
        finally:
            self._count_write()

    def insert(self, quads: Iterable[Quad]) -> None:
        self._store.extend(quads)
        self._count_write()

    def bulk_insert(self, quads: Iterable[Quad]) -> None:
        # pyoxigraph's bulk loader: about six times faster than a transaction (benchmarks/)
        self._store.bulk_extend(quads)
        self._count_write()

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        quads = (Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        self._store.update(
            update_request(f"DROP SILENT GRAPH {graph}", data_block("INSERT", quads))
        )
        self._count_write()

    def load_dump(self, path: Path) -> None:
        self._store.bulk_load(path=str(path), format=RdfFormat.N_QUADS)
        self._count_write()

    def _count_write(self) -> None:
        with self._counting:
            self.generation += 1

    def dump(self, output: BinaryIO) -> None:
        self._store.dump(output, format=RdfFormat.N_QUADS)

    def graphs(self) -> list[NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, NamedNode)]

    def quads_about(self, subjects: Iterable[NamedNode]) -> list[Quad]:
        return [q for s in subjects for q in self._store.quads_for_pattern(s, None, None, None)]

    def clear(self) -> None:
        self._store.clear()
        self._count_write()

    def publish_for_readers(self) -> int:
        """Flush the writes made since the last call to disk; return the write counter.

        A read-only instance opened on ``path`` (the SPARQL endpoint's query workers) then
        sees them at once, instead of replaying the write-ahead log (seconds, when it is long).
        """
        generation = self.generation
        if self._published != generation:
            self._store.flush()
            self._published = generation
        return generation

    def close(self) -> None:
        self._store.flush()
        del self._store
