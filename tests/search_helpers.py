"""Helpers for the search tests: metadata-only assets saved through the real write path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from pyoxigraph import Literal, NamedNode, Triple
from werkzeug.datastructures import MultiDict

from app.domain.assets.records import AssetDraft
from app.domain.people.access import ACCESS_LEVELS
from app.domain.search import SearchQuery
from app.namespaces import DAM, DC, DCT, RDF, SCHEMA, XSD
from app.service import Atrium

DCAT_BYTE_SIZE = NamedNode("http://www.w3.org/ns/dcat#byteSize")


def put_asset(
    atrium: Atrium,
    title: str,
    *,
    department: str = "marketing",
    access: str = "public",
    subjects: Iterable[str] = (),
    keywords: Iterable[str] = (),
    creators: Iterable[str] = (),
    description: str | None = None,
    created: str | None = None,
    submitted: str = "2026-01-01T00:00:00",
    mime: str = "image/jpeg",
    extra: Iterable[tuple[NamedNode, object]] = (),
) -> str:
    """Save an asset record (no media) with AssetRepository.save; returns its id.

    Subjects are named by label or IRI, as ``atrium ingest --subject`` names them.
    """
    concepts = atrium.concepts()
    sha256 = hashlib.sha256(title.encode()).hexdigest()
    asset_id = sha256[:16]
    iri, file_iri = atrium.iris.asset(asset_id), atrium.iris.asset_file(asset_id)
    kind = "document" if mime == "application/pdf" else "image"
    triples = [
        Triple(iri, RDF.type, DAM.Asset),
        Triple(iri, DCT.identifier, Literal(asset_id)),
        Triple(iri, DCT.title, Literal(title)),
        Triple(iri, DCT.format, Literal(mime)),
        Triple(iri, DCT.type, atrium.iris.concept(f"asset-types/{kind}")),
        Triple(iri, DCT.dateSubmitted, Literal(submitted, datatype=XSD.dateTime)),
        Triple(iri, DAM.department, atrium.iris.concept(f"departments/{department}")),
        Triple(iri, DAM.hasFile, file_iri),
        Triple(file_iri, RDF.type, DAM.File),
        Triple(file_iri, DAM.sha256, Literal(sha256)),
        Triple(file_iri, DCAT_BYTE_SIZE, Literal("1000", datatype=XSD.integer)),
        Triple(file_iri, SCHEMA.encodingFormat, Literal(mime)),
    ]
    triples += [Triple(iri, DCT.subject, concepts.resolve_subject(s)) for s in subjects]
    triples += [Triple(iri, SCHEMA.keywords, Literal(k)) for k in keywords]
    triples += [Triple(iri, DC.creator, Literal(c)) for c in creators]
    if description:
        triples.append(Triple(iri, DCT.description, Literal(description)))
    if created:
        triples.append(Triple(iri, DCT.created, Literal(created, datatype=XSD.dateTime)))
    triples += [Triple(iri, p, o) for p, o in extra]
    assert access in ACCESS_LEVELS
    linked = [t.object for t in triples if isinstance(t.object, NamedNode)]
    draft = AssetDraft(asset_id, iri, department, access, triples, concepts.context_triples(linked))
    atrium.assets.save(draft)
    return asset_id


def search_query(atrium: Atrium, params=()) -> SearchQuery:  # noqa: ANN001 - pairs or a dict
    """The query of URL parameters ``params``, with the facets of the current field registry."""
    return SearchQuery.from_args(MultiDict(params), atrium.search.facets().names)


def subject(atrium: Atrium, name: str) -> str:
    """The IRI of a shipped subject concept, e.g. ``subject(atrium, "vehicle")``."""
    return atrium.iris.concept(f"subjects/{name}").value


def concept(atrium: Atrium, relative: str) -> str:
    return atrium.iris.concept(relative).value


def query_params(url: str) -> dict[str, list[str]]:
    """The query string of ``url``, each name with its values."""
    return parse_qs(urlsplit(url).query)


def inline_scripts(html: str) -> list[str]:
    """The page's ``<script>`` tags without a ``src``: a page whose state lives in its URL needs
    none (script files only enhance it)."""
    return [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag]


def page_titles(page: str) -> list[str]:
    """The titles of the result cards in a search page's HTML."""
    return re.findall(r'<span class="title">([^<]*)</span>', page)
