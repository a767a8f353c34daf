"""The RDF terms the layers above the domain hold and hand back: an IRI (``NamedNode``) and a
statement (``Triple``), as the asset records, vocabularies and histories give them, and the RDF
documents they are written as (the formats of :mod:`app.storage.formats`).

The web and the CLI take them from here rather than from the store's RDF library, so that the
domain stays the one thing they stand on.
"""

from collections.abc import Iterable

from pyoxigraph import NamedNode, Triple, serialize

from app.namespaces import PREFIXES
from app.storage.formats import GRAPH_FORMATS, GRAPH_TYPES, graph_format

__all__ = ["GRAPH_FORMATS", "GRAPH_TYPES", "NamedNode", "Triple", "graph_format", "rdf_document"]


def rdf_document(triples: Iterable[Triple], media_type: str) -> bytes:
    """The triples written in ``media_type`` (one of :data:`GRAPH_TYPES`), with the prefixes
    Atrium declares."""
    return serialize(triples, format=GRAPH_TYPES[media_type], prefixes=dict(PREFIXES)) or b""
