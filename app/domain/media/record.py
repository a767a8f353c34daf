"""An asset's record from a prepared file: what the file says, as standard RDF terms.

:class:`Describer` maps the hash, type, size, renditions, image facts and embedded metadata
of a :class:`~app.domain.media.prepare.PreparedFile`; the ingest adds what its options say
(:meth:`app.domain.media.ingest.Ingester.describe`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.concepts import ConceptIndex
from app.domain.iris import Iris
from app.domain.media.describe import iptc_core_pairs, media_triples
from app.domain.media.embedded_metadata import EmbeddedMetadata
from app.domain.media.images import ImageInfo
from app.domain.media.prepare import PreparedFile
from app.namespaces import DAM, DC, DCAT, DCT, EXIF, GEO, RDF, SCHEMA, XSD


def _asset_type(mime: str) -> str:
    major = mime.split("/")[0]
    if major in ("image", "video", "audio"):
        return major
    if major == "text" or mime in DOCUMENT_TYPES or "officedocument" in mime:
        return "document"
    return "other"


DOCUMENT_TYPES = {"application/pdf", "application/msword", "application/rtf"}


@dataclass
class Describer:
    """Maps a prepared file and its embedded metadata to standard RDF terms."""

    iris: Iris
    asset_id: str
    concepts: ConceptIndex

    @property
    def iri(self) -> NamedNode:
        return self.iris.asset(self.asset_id)

    def describe(self, prepared: PreparedFile) -> list[Triple]:
        iri, asset_id, iris = self.iri, self.asset_id, self.iris
        file_iri = iris.asset_file(asset_id)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        triples = [
            Triple(iri, RDF.type, DAM.Asset),
            Triple(iri, DCT.identifier, Literal(asset_id)),
            Triple(iri, DCT.format, Literal(prepared.mime)),
            Triple(iri, DCT.type, iris.concept(f"asset-types/{_asset_type(prepared.mime)}")),
            Triple(iri, DCT.dateSubmitted, Literal(now.isoformat(), datatype=XSD.dateTime)),
            Triple(iri, DAM.hasFile, file_iri),
            Triple(file_iri, RDF.type, DAM.File),
            Triple(file_iri, SCHEMA.name, Literal(prepared.path.name)),
            Triple(file_iri, SCHEMA.encodingFormat, Literal(prepared.mime)),
            Triple(file_iri, DCAT.byteSize, _integer(prepared.size)),
            Triple(file_iri, DAM.sha256, Literal(prepared.sha256)),
        ]
        triples += self._renditions(prepared)
        triples += self._image(prepared.info)
        triples += media_triples(iri, prepared.facts)
        triples += self._embedded(prepared.metadata, fallback_title=prepared.path.stem)
        return triples

    def _renditions(self, prepared: PreparedFile) -> list[Triple]:
        triples = []
        for kind, rendition in prepared.renditions.items():
            node = self.iris.rendition(self.asset_id, kind)
            triples += [
                Triple(self.iri, DAM.hasRendition, node),
                Triple(node, RDF.type, DAM.Rendition),
                Triple(node, DAM.renditionOf, self.iri),
                Triple(node, SCHEMA.encodingFormat, Literal("image/jpeg")),
                Triple(node, EXIF.imageWidth, _integer(rendition.width)),
                Triple(node, EXIF.imageLength, _integer(rendition.height)),
                Triple(node, DAM.sha256, Literal(rendition.sha256)),
            ]
        return triples

    def _image(self, info: ImageInfo | None) -> list[Triple]:
        if info is None:
            return []
        triples = [
            Triple(self.iri, EXIF.imageWidth, _integer(info.width)),
            Triple(self.iri, EXIF.imageLength, _integer(info.height)),
        ]
        if info.frames > 1:
            triples.append(Triple(self.iri, DAM.frameCount, _integer(info.frames)))
        return triples

    def _embedded(self, md: EmbeddedMetadata | None, fallback_title: str) -> list[Triple]:
        iri = self.iri
        if md is None:
            return [Triple(iri, DCT.title, Literal(fallback_title))]
        title = md.title or md.headline or fallback_title
        triples = [Triple(iri, DCT.title, Literal(title))]
        pairs: list[tuple[NamedNode, str | None]] = [
            (SCHEMA.headline, md.headline),
            (DCT.description, md.description),
            (SCHEMA.copyrightNotice, md.copyright),
            (EXIF.make, md.make),
            (EXIF.model, md.model),
        ]
        pairs += [(DC.creator, name) for name in md.creators]
        pairs += iptc_core_pairs(md)
        triples += [Triple(iri, p, Literal(v)) for p, v in pairs if v]
        triples += self._keywords(md.keywords)
        if md.date_taken:
            taken = md.date_taken.replace(microsecond=0).isoformat()
            triples.append(Triple(iri, DCT.created, Literal(taken, datatype=XSD.dateTime)))
        if md.orientation:
            triples.append(Triple(iri, EXIF.orientation, _integer(md.orientation)))
        if md.gps_lat is not None and md.gps_lon is not None:
            triples += [
                Triple(iri, GEO.lat, Literal(f"{md.gps_lat:.7f}", datatype=XSD.decimal)),
                Triple(iri, GEO.long, Literal(f"{md.gps_lon:.7f}", datatype=XSD.decimal)),
            ]
        return triples

    def _keywords(self, keywords: list[str]) -> list[Triple]:
        """Keywords that name a subject concept link to it; the rest stay keywords."""
        triples = []
        for keyword in keywords:
            concept = self.concepts.subject_for_keyword(keyword)
            if concept is not None:
                triples.append(Triple(self.iri, DCT.subject, concept))
            else:
                triples.append(Triple(self.iri, SCHEMA.keywords, Literal(keyword)))
        return triples


def _integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD.integer)
