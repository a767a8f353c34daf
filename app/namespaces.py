"""The RDF vocabularies Atrium speaks, as pyoxigraph IRI builders.

Standard terms are reused wherever one fits (DCTERMS, SKOS, schema.org, PROV-O, W3C EXIF,
W3C Basic Geo, IPTC Photo Metadata); ``DAM`` holds the few terms Atrium had to mint, defined in
``ontologies/atrium.ttl``.
"""

from __future__ import annotations

from pyoxigraph import NamedNode


class Namespace:
    """An IRI prefix: ``DCT.title`` or ``DCT["title"]`` is a NamedNode.

    Not a ``str`` subclass on purpose: ``DCT.title`` and ``DCT.format`` would be str methods.
    """

    def __init__(self, iri: str) -> None:
        self.iri = iri

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        term = NamedNode(self.iri + name)
        setattr(self, name, term)  # the next DCT.title is a plain attribute: hot loops use them
        return term

    def __getitem__(self, name: str) -> NamedNode:
        return NamedNode(self.iri + name)

    def __str__(self) -> str:
        return self.iri

    def __add__(self, name: str) -> str:
        return self.iri + name


DAM = Namespace("https://w3id.org/atrium/ns#")
DCT = Namespace("http://purl.org/dc/terms/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("https://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
EXIF = Namespace("http://www.w3.org/2003/12/exif/ns#")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
IPTC = Namespace("http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
QB = Namespace("http://purl.org/linked-data/cube#")
DCMITYPE = Namespace("http://purl.org/dc/dcmitype/")

PREFIXES: dict[str, str] = {
    name: namespace.iri
    for name, namespace in {
        "dam": DAM,
        "dct": DCT,
        "dc": DC,
        "skos": SKOS,
        "schema": SCHEMA,
        "prov": PROV,
        "exif": EXIF,
        "geo": GEO,
        "Iptc4xmpCore": IPTC,
        "rdf": RDF,
        "rdfs": RDFS,
        "owl": OWL,
        "xsd": XSD,
        "sh": SH,
        "dcat": DCAT,
        "qb": QB,
        "dcmitype": DCMITYPE,
    }.items()
}


def sparql_prefixes() -> str:
    """The PREFIX lines for every namespace above, to put in front of a query."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
