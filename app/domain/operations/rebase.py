"""The base IRI a data folder was minted under, the refusal of another, and ``rebase``.

Every IRI and graph name Atrium mints starts with the base IRI, so serving a data folder under
another base would show an empty site. The base is recorded in the data folder at init
(:func:`app.config.record_base_iri`); opening the folder with another one is refused
(:func:`base_iri_refusal`), with the way out: ``atrium rebase NEW_BASE``.

A rebase rewrites every IRI that starts with the old base, graph names included, and the
``xsd:anyURI`` literals that do (SHACL prefix declarations); other literals are text and stay
as they are. It runs in steps that a crash cannot leave half-done:

1. the store is dumped and rewritten into ``rebase-graph.nq`` in the data folder (a crash here
   changes nothing: the next rebase starts again);
2. the journal ``rebase-in-progress.json`` is written: from here on, other commands refuse to
   open the folder, and running the same rebase again resumes at step 3;
3. the store is cleared and loaded from the rewritten file, the new base recorded, and the
   derived indexes (search, results) removed, to be rebuilt from the graph;
4. the journal and the rewritten file are removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.config import Config, record_base_iri, recorded_base_iri
from app.domain.iris import Iris
from app.domain.operations.backup import ImportJournal, unfinished_import_message
from app.domain.operations.journal import Journal
from app.namespaces import XSD
from app.storage.graphstore import GraphStore

JOURNAL_NAME = "rebase-in-progress.json"
REWRITTEN_GRAPH = "rebase-graph.nq"
# Derived from the graph, with IRIs in them: removed by a rebase, rebuilt from the new graph.
DERIVED_INDEXES = ("search.sqlite", "search.sqlite-wal", "search.sqlite-shm", "results-index.npz")
_PROBE = "urn:atrium:probe/"


class BaseIriRefused(Exception):
    """The data folder cannot be opened under the configured base IRI; the message says why
    and what to run."""


@dataclass(frozen=True)
class RebaseSummary:
    old_base: str
    new_base: str
    quads: int
    rewritten: int | None  # quads with a term moved to the new base (None: a resumed rebase)


def base_iri_refusal(config: Config, store: GraphStore) -> BaseIriRefused | None:
    """Why the data folder must not be opened with ``config.base_iri``, or None when it may.

    A folder made before the base was recorded gets its record now, from the name of its
    ontology graph."""
    journal = RebaseJournal(config.data_dir).unfinished()
    if journal is not None:
        return BaseIriRefused(
            f"a rebase of this data folder ({config.data_dir}) from {journal['from']} to "
            f"{journal['to']} did not finish; finish it with `atrium rebase {journal['to']}`"
        )
    recorded = recorded_base_iri(config.data_dir)
    if recorded is None:
        recorded = base_in_store(store)
        if recorded is None:
            return None
        record_base_iri(config.data_dir, recorded)
    if recorded == config.base_iri:
        return None
    return BaseIriRefused(
        f"ATRIUM_BASE_IRI is {config.base_iri}, but the data folder {config.data_dir} records "
        f"the base IRI {recorded}: every IRI and graph name would differ and the site would "
        f"look empty. Unset ATRIUM_BASE_IRI (or set it to {recorded}), or move the data to the "
        f"new base with `atrium rebase {config.base_iri}`"
    )


def base_in_store(store: GraphStore) -> str | None:
    """The base the store's ontology graph was installed under; None for an empty store."""
    suffix = Iris(_PROBE).ontology_graph.value[len(_PROBE) :]
    for graph in store.graphs():
        if graph.value.endswith(suffix):
            return graph.value[: -len(suffix)]
    return None


class RebaseJournal(Journal):
    """The file that says a rebase is loading the rewritten graph into this data folder."""

    name = JOURNAL_NAME
    keys = ("from", "to", "started")
    unreadable = {"from": "(unreadable journal)", "to": "NEW_BASE", "started": "?"}

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.graph_file = data_dir / REWRITTEN_GRAPH

    def start(self, old_base: str, new_base: str) -> None:
        self.record({"from": old_base, "to": new_base})

    def finish(self) -> None:
        super().finish()
        self.graph_file.unlink(missing_ok=True)


def rebase(config: Config, store: GraphStore, new_base: str) -> RebaseSummary:
    """Move every IRI of the data folder from its recorded base to ``new_base``, or finish the
    rebase to ``new_base`` that stopped half-way. Raises ValueError when it cannot start."""
    new_base = new_base if new_base.endswith("/") else new_base + "/"
    NamedNode(new_base)  # ValueError when it is not an absolute IRI
    if (importing := ImportJournal(config.data_dir).unfinished()) is not None:
        raise ValueError(unfinished_import_message(importing))
    journal = RebaseJournal(config.data_dir)
    pending = journal.unfinished()
    if pending is not None:
        if pending["to"] != new_base:
            raise ValueError(
                f"a rebase to {pending['to']} did not finish; finish it first with "
                f"`atrium rebase {pending['to']}`"
            )
        old_base, rewritten = pending["from"], None
        quads = _count(journal.graph_file)
    else:
        old_base = recorded_base_iri(config.data_dir) or base_in_store(store)
        if old_base is None:
            raise ValueError("the data folder holds no data yet: set ATRIUM_BASE_IRI instead")
        if old_base == new_base:
            raise ValueError(f"the data folder's base IRI is already {new_base}")
        quads, rewritten = _rewrite_store(store, old_base, new_base, journal.graph_file)
        journal.start(old_base, new_base)
    store.clear()
    store.load_dump(journal.graph_file)
    record_base_iri(config.data_dir, new_base)
    for name in DERIVED_INDEXES:
        (config.data_dir / name).unlink(missing_ok=True)
    journal.finish()
    return RebaseSummary(old_base, new_base, quads, rewritten)


def _rewrite_store(store: GraphStore, old: str, new: str, target: Path) -> tuple[int, int]:
    dump = target.with_name(f"{target.name}.old")
    partial = target.with_name(f"{target.name}.part")
    with dump.open("wb") as output:
        store.dump(output)
    counts = [0, 0]

    def moved_quads() -> Iterator[Quad]:
        for quad in pyoxigraph.parse(path=str(dump), format=pyoxigraph.RdfFormat.N_QUADS):
            counts[0] += 1
            moved = Quad(*(_moved(term, old, new) for term in quad))
            counts[1] += moved != quad
            yield moved

    pyoxigraph.serialize(moved_quads(), str(partial), pyoxigraph.RdfFormat.N_QUADS)
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, target)
    dump.unlink()
    return counts[0], counts[1]


def _count(graph_file: Path) -> int:
    return sum(
        1 for _ in pyoxigraph.parse(path=str(graph_file), format=pyoxigraph.RdfFormat.N_QUADS)
    )


def _moved(term: object, old: str, new: str) -> object:
    if isinstance(term, NamedNode):
        return NamedNode(new + term.value[len(old) :]) if term.value.startswith(old) else term
    if isinstance(term, Literal):
        if term.datatype == XSD.anyURI and term.value.startswith(old):
            return Literal(new + term.value[len(old) :], datatype=XSD.anyURI)
        return term
    if isinstance(term, Triple):
        return Triple(*(_moved(part, old, new) for part in term))
    return term  # blank nodes, the default graph
