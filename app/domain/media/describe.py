"""What media facts say, as standard terms in an asset's record: the one place they are mapped.

:class:`~app.domain.media.record.Describer` calls :func:`media_triples` for a file's
:class:`~.facts.MediaFacts` (its embedded title, creators, dates and GPS go through the same
mapping as an image's) and :func:`iptc_core_pairs` for the IPTC Core fields of any file.

- pages: ``schema:numberOfPages``; duration: ``schema:duration`` (``xsd:duration``, in the
  canonical form the store keeps); width and height: ``exif:imageWidth`` / ``exif:imageLength``,
  as for images; frame rate: ``ebucore:frameRate``; codecs: ``ebucore:hasCodec``, one name each
  (EBUCore's super-property of its video and audio codec properties: the facts do not say
  which stream a codec is for).
- the text layer of a document: ``schema:text``, a literal in the record, bounded by
  :attr:`~.facts.Limits.max_text_chars`. Kept in the record rather than in a text file beside
  it because the graph is the source of truth: the search index is rebuilt from the graph
  alone (:mod:`app.domain.search.entries` reads every searchable text field the shapes
  declare, so the text is searched without a line of search code), SPARQL sees it, backups
  and access scopes carry it, and a new version of the file replaces it like every other fact
  the file gives (``dam:fromFile``).
- IPTC Core (IPTC Photo Metadata Standard): Credit Line ``schema:creditText``; Source, City,
  Province/State, Country and Instructions their XMP terms in the ``photoshop`` namespace;
  Sublocation and Country Code ``Iptc4xmpCore:Location`` / ``Iptc4xmpCore:CountryCode``.
"""

from __future__ import annotations

from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.media.embedded_metadata import EmbeddedMetadata
from app.domain.media.facts import MediaFacts
from app.namespaces import EXIF, IPTC, SCHEMA, XSD, Namespace

EBUCORE = Namespace("http://www.ebu.ch/metadata/ontologies/ebucore/ebucore#")
PHOTOSHOP = Namespace("http://ns.adobe.com/photoshop/1.0/")
IPTC_CORE_TERMS = {  # EmbeddedMetadata's IPTC Core fields and their terms
    "credit": SCHEMA.creditText,
    "source": PHOTOSHOP.Source,
    "city": PHOTOSHOP.City,
    "sublocation": IPTC.Location,
    "state": PHOTOSHOP.State,
    "country": PHOTOSHOP.Country,
    "country_code": IPTC.CountryCode,
    "instructions": PHOTOSHOP.Instructions,
}


def media_triples(iri: NamedNode, facts: MediaFacts | None) -> list[Triple]:
    """The record's triples for what a reader learnt (renditions and embedded metadata aside)."""
    if facts is None:
        return []
    triples = []
    if facts.pages:
        triples.append(Triple(iri, SCHEMA.numberOfPages, _integer(facts.pages)))
    if facts.duration_seconds is not None and facts.duration_seconds >= 0:
        triples.append(Triple(iri, SCHEMA.duration, duration(facts.duration_seconds)))
    if facts.width and facts.height:
        triples.append(Triple(iri, EXIF.imageWidth, _integer(facts.width)))
        triples.append(Triple(iri, EXIF.imageLength, _integer(facts.height)))
    if facts.frame_rate and facts.frame_rate > 0:
        rate = _decimal_text(Decimal(str(round(facts.frame_rate, 3))))
        triples.append(Triple(iri, EBUCORE.frameRate, Literal(rate, datatype=XSD.decimal)))
    for codec in dict.fromkeys(c.strip() for c in facts.codecs if c and c.strip()):
        triples.append(Triple(iri, EBUCORE.hasCodec, Literal(codec)))
    if facts.text:
        triples.append(Triple(iri, SCHEMA.text, Literal(facts.text)))
    return triples


def iptc_core_pairs(md: EmbeddedMetadata) -> list[tuple[NamedNode, str | None]]:
    """The IPTC Core fields of embedded metadata, each with its term (None: not in the file)."""
    return [(term, getattr(md, name)) for name, term in IPTC_CORE_TERMS.items()]


def duration(seconds: float) -> Literal:
    """``seconds`` as a canonical ``xsd:duration`` (``PT1M5.2S``), to the millisecond."""
    left = Decimal(str(round(seconds, 3)))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, left = divmod(left, 60)
    date = f"{days}D" if days else ""
    time = "".join(
        f"{_decimal_text(amount)}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (left, "S"))
        if amount
    )
    text = "P" + date + (f"T{time}" if time else "") if date or time else "PT0S"
    return Literal(text, datatype=XSD.duration)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD.integer)
