"""Write stamps: how processes that share a remote store know that what they read still holds.

An embedded store has one process, which counts its own writes (``EmbeddedStore.write_count``).
Several Atrium processes over one remote store see each other's writes only in the store. So
each write through ``RemoteStore`` ends by stamping every graph it wrote with a new random
token, in the graph :data:`STAMPS_GRAPH`; a write that names no graphs stamps :data:`ANYWHERE`.
A process's write count for graphs under a prefix is a number made of the tokens of those
graphs and of ``ANYWHERE``: it moves whenever any process's write may have reached them.

The stamp follows the write, so a value read between the two is kept at the older count and
read again once the stamp is there. The stamps graph is not one of the store's graphs to its
readers (``RemoteStore.graphs``), so no query, dump or scope sees it.

Writes made by tools other than Atrium carry no stamp. What Atrium keeps of the graphs they
changed (the concept index, the vocabulary list) is read again at the next stamped write of
the same graphs, or when Atrium restarts.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterable, Mapping

from pyoxigraph import Literal, NamedNode

from app.storage.graphstore import Term

STAMPS_GRAPH = NamedNode("urn:x-atrium:write-stamps")
ANYWHERE = NamedNode("urn:x-atrium:anywhere")
DEFAULT_GRAPH = NamedNode("urn:x-atrium:default-graph")
_TOKEN = NamedNode("urn:x-atrium:stamp")

READ_STAMPS = f"SELECT ?graph ?token WHERE {{ GRAPH {STAMPS_GRAPH} {{ ?graph {_TOKEN} ?token }} }}"


def stamp_request(graphs: Collection[str] | None) -> str | None:
    """The update that gives each of ``graphs`` (None: anywhere) a new token; None if there
    are none to stamp."""
    if graphs is None:
        keys = [ANYWHERE]
    else:
        keys = [NamedNode(name) if name else DEFAULT_GRAPH for name in sorted(set(graphs))]
    if not keys:
        return None
    values = " ".join(str(key) for key in keys)
    tokens = " ".join(f"{key} {_TOKEN} {Literal(uuid.uuid4().hex)} ." for key in keys)
    stamped = f"GRAPH {STAMPS_GRAPH} {{ ?graph {_TOKEN} ?token }}"
    return (
        f"DELETE {{ {stamped} }} WHERE {{ VALUES ?graph {{ {values} }} {stamped} }} ;\n"
        f"INSERT DATA {{ GRAPH {STAMPS_GRAPH} {{ {tokens} }} }}"
    )


def count_from(rows: Iterable[Mapping[str, Term]], reading: str) -> int:
    """A write count from the rows of :data:`READ_STAMPS`, for the graphs whose names start
    with ``reading`` ("": all of them)."""
    tokens = sorted(
        f"{row['graph'].value} {row['token'].value}"
        for row in rows
        if _may_hold(row["graph"], reading)
    )
    digest = hashlib.blake2b("\n".join(tokens).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _may_hold(key: Term, reading: str) -> bool:
    if key == ANYWHERE:
        return True
    if key == DEFAULT_GRAPH:
        return not reading
    return key.value.startswith(reading)
