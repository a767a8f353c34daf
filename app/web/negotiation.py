"""Content negotiation for every IRI Atrium mints: HTML for a browser, RDF for an RDF client.

One helper for every linked-data page (assets, concepts, schemes, …), so they all answer the
same way (Cool URIs for the Semantic Web, https://www.w3.org/TR/cooluris/ §4.3, "303 URIs
forwarding to one generic document" is not used: the page and its RDF share one URL):

- the ``Accept`` header chooses (RFC 9110 §12.5.1), and ``?format=ttl|jsonld|nt|rdf`` overrides
  it so that a plain link can ask for one format;
- every answer carries ``Vary: Accept`` (RFC 9110 §12.5.5) and a ``Link`` header
  (RFC 8288) with ``rel="alternate"`` to each format, so a client can find the others.

Usage in a view::

    return negotiated(lambda: triples, lambda: render_template("concept.html", …))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from flask import Response, abort, make_response, request
from werkzeug.urls import iri_to_uri

from app.domain.terms import GRAPH_FORMATS, GRAPH_TYPES, Triple, graph_format, rdf_document
from app.web.i18n import LazyText
from app.web.i18n import lazy_text as _l

HTML = "text/html"
RDF_TYPES = GRAPH_TYPES  # the RDF formats every IRI and query result is offered in
# the short name each alternate link uses (?format=; the aliases are accepted too)
ALTERNATES: dict[str, str] = {f.name: f.media_type for f in GRAPH_FORMATS}


def named_type(named: str) -> str | None:
    """The media type a ``?format=`` name (short name, alias or ``html``) stands for."""
    if named.strip().lower() == "html":
        return HTML
    chosen = graph_format(named)
    return chosen.media_type if chosen else None


def unknown_format(named: str, names: Iterable[str]) -> LazyText:
    """The words of the 400 for a ``?format=`` that names none of ``names``."""
    return _l(
        "unknown format %(format)s; use one of %(formats)s",
        format=repr(named),
        formats=", ".join(names),
    )


def preferred_type(offered: Iterable[str] = (HTML, *RDF_TYPES)) -> str | None:
    """The offered media type the request asks for (``?format=`` first, then ``Accept``).

    With no ``Accept`` header, or ``*/*``, the first offered type wins. None when the client
    accepts none of them (the caller answers 406). An unknown ``?format=`` is a 400.
    """
    offered = list(offered)
    named = request.args.get("format")
    if named:
        wanted = named_type(named) or named.lower()
        if wanted not in offered:
            abort(400, description=unknown_format(named, ALTERNATES))
        return wanted
    if not request.accept_mimetypes:
        return offered[0]
    return request.accept_mimetypes.best_match(offered)


def rdf_response(triples: Iterable[Triple], media_type: str) -> Response:
    """The triples serialized in ``media_type`` (one of :data:`RDF_TYPES`)."""
    return Response(rdf_document(triples, media_type), mimetype=media_type)


def with_alternates(response: Response) -> Response:
    """Add ``Vary: Accept`` and a ``Link: rel="alternate"`` to each format of this URL."""
    response.vary.add("Accept")
    # Keep the query (e.g. /vocab/concept?iri=…) and replace only a format= already there.
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "format"]
    base = iri_to_uri(request.base_url)

    def link(extra: list[tuple[str, str]]) -> str:
        query = urlencode(kept + extra)
        return f"{base}?{query}" if query else base

    links = [f'<{link([])}>; rel="alternate"; type="{HTML}"']
    links += [
        f'<{link([("format", name)])}>; rel="alternate"; type="{media}"'
        for name, media in ALTERNATES.items()
    ]
    response.headers.add("Link", ", ".join(links))
    return response


def negotiated(
    triples: Callable[[], Iterable[Triple]], page: Callable[[], str | Response]
) -> Response:
    """The HTML page or the RDF the request asks for, with ``Vary`` and alternate links."""
    media_type = preferred_type()
    if media_type is None:
        offered = ", ".join([HTML, *RDF_TYPES])
        abort(406, description=f"this resource is available as {offered}")
    response = make_response(page()) if media_type == HTML else rdf_response(triples(), media_type)
    return with_alternates(response)
