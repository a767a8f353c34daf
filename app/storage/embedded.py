"""The default graph store: pyoxigraph on disk (or in memory for tests).

Query workers read the data folder with :class:`EmbeddedReader`: a read-only instance opened
next to the web process that holds the store read-write. A read-only instance sees the data as
it was when opened, so the reader opens it again whenever the writer's generation counter has
moved (the writer first flushes, see :meth:`EmbeddedStore.publish_for_readers`), and again if
opening or reading fails because the writer's compaction removed a file under it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, Triple

from app.storage.graphstore import (
    GraphStore,
    QueryResult,
    QuerySyntaxError,
    Scope,
    StoreError,
    Term,
    WorkerReader,
    data_block,
    graph_names,
    substitute,
    update_request,
)

if TYPE_CHECKING:
    from app.storage.query_jobs import Dataset

OPEN_ATTEMPTS = 8  # a read-only open can race the writer's compaction; it then tries again
RETRY_SECONDS = 0.02
R = TypeVar("R")


class EmbeddedStore(GraphStore):
    """A pyoxigraph ``Store``; ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.generation = 0  # counts writes, so read-only readers know when to reopen
        self._published = 0
        # Writes by the graph they went to, where the write says (an insert, a graph replaced,
        # an update that names its graphs); other updates may go anywhere. Caches of some
        # graphs outlive the writes to the others.
        self._graph_writes: Counter[str] = Counter()
        self._writes_anywhere = 0
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

    def update(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        graphs: Collection[str] | None = None,
    ) -> None:
        try:
            self._store.update(substitute(sparql, bindings))
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except (RuntimeError, OSError) as error:
            raise StoreError(str(error)) from error
        finally:
            self._count_write(None if graphs is None else set(graphs))

    def insert(self, quads: Iterable[Quad]) -> None:
        quads = list(quads)
        self._store.extend(quads)
        self._count_write(graph_names(quads))

    def bulk_insert(self, quads: Iterable[Quad]) -> None:
        # pyoxigraph's bulk loader: about six times faster than a transaction (benchmarks/)
        self._store.bulk_extend(quads)
        self._count_write()

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        quads = (Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        self._store.update(
            update_request(f"DROP SILENT GRAPH {graph}", data_block("INSERT", quads))
        )
        self._count_write({graph.value})

    def load_dump(self, path: Path) -> None:
        self._store.bulk_load(path=str(path), format=RdfFormat.N_QUADS)
        self._count_write()

    def write_count(self, reading: str = "") -> int:
        if not reading:
            return self.generation
        with self._counting:
            written = (n for graph, n in self._graph_writes.items() if graph.startswith(reading))
            return self._writes_anywhere + sum(written)

    def _count_write(self, graphs: set[str] | None = None) -> None:
        """Count a write, to ``graphs`` (names; "" the default graph) or None: anywhere."""
        with self._counting:
            self.generation += 1
            if graphs is None:
                self._writes_anywhere += 1
            else:
                self._graph_writes.update(graphs)

    def dump(self, output: BinaryIO) -> None:
        self._store.dump(output, format=RdfFormat.N_QUADS)

    def graphs(self) -> list[NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, NamedNode)]

    def quads_about(self, subjects: Iterable[NamedNode]) -> list[Quad]:
        return _quads_about(self._store, subjects)

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

    def worker_reader(self, *, http_timeout: float) -> WorkerReader:
        if self.path is None:
            raise StoreError("the SPARQL endpoint needs a store on disk, not in memory")
        return EmbeddedReader(str(self.path))

    def close(self) -> None:
        self._store.flush()
        del self._store


class EmbeddedReader(WorkerReader):
    """The data folder's store, read-only, reopened whenever the writer changed its files.

    A read-only instance keeps the files it opened: after the writer's flushes and compactions
    it would read stale, uncompacted files (at 100,000 assets a facet query then takes 1.7 times
    as long). So each job compares the writer's generation and the store's version (the size of
    the MANIFEST that CURRENT names, which every flush and compaction appends to) with those
    seen at opening, and opens again (10 ms) when either moved.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._store: Store | None = None
        self._opened_at: tuple[int, tuple[str, int] | None] | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path}  # what a worker needs; the open store stays here

    def __setstate__(self, state: dict[str, object]) -> None:
        self.path = str(state["path"])
        self._store = None
        self._opened_at = None

    def query(
        self,
        sparql: str,
        dataset: Dataset,
        *,
        base_iri: str | None,
        functions: Mapping[str, Callable[..., Term | None]],
        generation: int,
    ) -> QueryResult:
        def run(store: Store) -> QueryResult:
            return store.query(
                sparql,
                base_iri=base_iri,
                custom_functions={NamedNode(iri): f for iri, f in functions.items()},
                **_dataset_options(dataset),
            )

        return self._read(run, generation)

    def quads_about(self, subjects: Sequence[NamedNode]) -> list[Quad]:
        return self._read(lambda store: _quads_about(store, subjects), None)

    def _read(self, read: Callable[[Store], R], generation: int | None) -> R:
        """``read(store)`` on the instance, opened again first if the writer's generation or
        the store's version moved (``generation`` None: as first opened, for a rebuild's one
        pass); tried again on a fresh instance when the open raced a compaction."""
        for attempt in range(OPEN_ATTEMPTS):
            try:
                state = (generation or 0, self._version())
                moved = generation is not None and self._opened_at != state
                if self._store is None or moved:
                    self._open(state)
                assert self._store is not None
                return read(self._store)
            except (OSError, RuntimeError):
                # The writer compacted away a file this instance expected (RocksDB reports
                # "Corruption: … No such file"): open it again.
                self._store = None
                if attempt + 1 == OPEN_ATTEMPTS:
                    raise
                time.sleep(RETRY_SECONDS * (attempt + 1))
        raise AssertionError("unreachable")

    def _version(self) -> tuple[str, int] | None:
        """Which MANIFEST is current, and how long it is (None while the writer swaps it)."""
        folder = Path(self.path)
        try:
            manifest = (folder / "CURRENT").read_text().strip()
            return manifest, (folder / manifest).stat().st_size
        except OSError:
            return None

    def _open(self, state: tuple[int, tuple[str, int] | None]) -> None:
        self._store = None
        self._store = Store.read_only(self.path)
        self._opened_at = state


def _quads_about(store: Store, subjects: Iterable[NamedNode]) -> list[Quad]:
    return [q for s in subjects for q in store.quads_for_pattern(s, None, None, None)]


def _dataset_options(dataset: Dataset) -> dict[str, Any]:
    if dataset.from_query:
        return {}
    options: dict[str, Any] = {}
    if dataset.default_graphs is None:
        options["use_default_graph_as_union"] = True
    else:
        options["default_graph"] = [NamedNode(g) for g in dataset.default_graphs]
    if dataset.named_graphs is not None:
        options["named_graphs"] = [NamedNode(g) for g in dataset.named_graphs]
    return options
