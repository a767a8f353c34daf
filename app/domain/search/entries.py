"""What the search index holds about one asset, read from the graph (never from a draft).

Per asset: its named graph (its access scope; the strictest copy if it has several), date
added, title sort key, the values of every indexed field (:mod:`.layout`) and its folded text:
the title column (``dct:title``) and the body (every other searchable text field), each with
the stems of its words in the language of its literals (:mod:`.stems`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from pyoxigraph import NamedNode

from app.domain.iris import Iris
from app.domain.search.layout import TITLE, Facets
from app.domain.search.stems import stem_text
from app.domain.search.text import folded_text, sort_key
from app.namespaces import DAM, DCT, RDF
from app.storage.graphstore import GraphStore, StoreError, Term, WorkerReader

_TYPE, _ASSET, _SUBMITTED = RDF.type, DAM.Asset, DCT.dateSubmitted
_ALWAYS = frozenset({_TYPE, _SUBMITTED, TITLE})
# Assets from which a rebuild reads in one process per core: below, starting them costs more
# than they save.
PARALLEL_FROM = 5_000


@dataclass(frozen=True)
class Entry:
    """What the index holds about one asset."""

    asset_id: str
    graph: str
    submitted: int
    title_key: str
    facts: frozenset[tuple[str, str]]  # (facet, value)
    title: str  # folded words
    body: str
    title_stems: str = ""  # folded stems that are not among the words
    body_stems: str = ""

    @property
    def digest(self) -> str:
        text = repr((self.graph, self.submitted, self.title_key, sorted(self.facts), self.title,
                     self.body, self.title_stems, self.body_stems))  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()


def entries_in_batches(
    store: GraphStore, iris: Iris, assets: Sequence[NamedNode], facets: Facets, batch: int
) -> Iterator[dict[str, Entry]]:
    """:func:`read_entries` of each ``batch`` of ``assets``, in order. Reading the graph and
    folding the text take most of a rebuild, so from :data:`PARALLEL_FROM` assets on a store
    that other processes can read (the data folder's), one process per core does it while the
    caller writes the rows."""
    batches = [assets[start : start + batch] for start in range(0, len(assets), batch)]
    reader = _parallel_reader(store, len(assets))
    if reader is None:
        yield from (read_entries(store, iris, chunk, facets) for chunk in batches)
        return
    store.publish_for_readers()  # what the readers open must hold every write so far
    context = multiprocessing.get_context("forkserver")
    start = (reader, iris, facets)
    with ProcessPoolExecutor(os.cpu_count(), context, _start_reading, start) as pool:
        yield from pool.map(_read_batch, batches)


# A parallel rebuild's worker opens the store, and unpacks the facets, once: not per batch.
_reading: tuple[WorkerReader, Iris, Facets] | None = None


def _start_reading(reader: WorkerReader, iris: Iris, facets: Facets) -> None:
    global _reading
    _reading = (reader, iris, facets)


def _read_batch(assets: Sequence[NamedNode]) -> dict[str, Entry]:
    assert _reading is not None, "a worker of entries_in_batches"
    reader, iris, facets = _reading
    return read_entries(reader, iris, assets, facets)


def _parallel_reader(store: GraphStore, assets: int) -> WorkerReader | None:
    if assets < PARALLEL_FROM or store.shared or (os.cpu_count() or 1) < 2:
        return None
    try:
        return store.worker_reader(http_timeout=60)  # unused: not a remote store (shared)
    except StoreError:  # a store in memory
        return None


def read_entries(
    store: GraphStore | WorkerReader, iris: Iris, assets: Sequence[NamedNode], facets: Facets
) -> dict[str, Entry]:
    """The entries of ``assets`` as the graph holds them now, for the fields of ``facets``."""
    if not assets:
        return {}
    wanted = facets.predicates | _ALWAYS
    records: dict[str, list[tuple[str, NamedNode, Term]]] = defaultdict(list)
    for quad in store.quads_about(assets):
        predicate = quad.predicate
        if predicate in wanted and isinstance(quad.graph_name, NamedNode):
            records[quad.subject.value].append((quad.graph_name.value, predicate, quad.object))
    entries = {}
    for iri, quads in records.items():
        entry = _entry(iris, iri, quads, facets)
        if entry is not None:
            entries[entry.asset_id] = entry
    return entries


def _entry(
    iris: Iris, iri: str, quads: list[tuple[str, NamedNode, Term]], facets: Facets
) -> Entry | None:
    asset_id = iris.asset_id(iri)
    graphs = {g for g, p, o in quads if p == _TYPE and o == _ASSET}
    if asset_id is None or not graphs:
        return None
    graph = max(graphs, key=lambda g: _restriction(iris, g))  # never more visible than its copy
    facts: set[tuple[str, str]] = set()
    titles: list[tuple[str, str | None]] = []  # (text, language tag)
    body: list[tuple[str, str | None]] = []
    submitted = 0
    for g, predicate, value in quads:
        if g != graph:
            continue
        for facet in facets.by_predicate.get(predicate, ()):
            indexed = facet.index_value(value)
            if indexed is not None:
                facts.add((facet.name, indexed))
        if predicate == TITLE:
            titles.append((value.value, getattr(value, "language", None)))
        elif predicate in facets.body:
            body.append((value.value, getattr(value, "language", None)))
        if predicate == _SUBMITTED:
            submitted = _seconds(value.value)
    return Entry(
        asset_id=asset_id,
        graph=graph,
        submitted=submitted,
        title_key=sort_key(min((text for text, _ in titles), default="")),
        facts=frozenset(facts),
        title=folded_text(*sorted(text for text, _ in titles)),
        body=folded_text(*sorted(text for text, _ in body)),
        title_stems=stem_text(titles),
        body_stems=stem_text(body),
    )


def _restriction(iris: Iris, graph: str) -> int:
    for rank, level in enumerate(("public", "internal")):
        if graph == iris.asset_graph(level, "").value:
            return rank
    return 2


def _seconds(lexical: str) -> int:
    """Seconds since 1970 of an xsd:dateTime (UTC when it names no zone); 0 if unreadable."""
    try:
        moment = dt.datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())
