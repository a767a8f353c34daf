"""How ``/sparql`` answers: the result format a client asked for, the answer streamed with
its limits reported, and the protocol's errors.

SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/) §2.1.5 / §2.1.6: the result
format by content negotiation (``Accept``, or ``format`` for links); 406 (RFC 9110 §15.5.7)
when no format the result comes in is acceptable. A store that cannot answer now (the
caller's share of the query workers, or everyone's, is used up) becomes 429 or 503 with
``Retry-After``.

Limits are reported, never hidden: a result cut at the row cap says so in ``Atrium-Truncated``
(and in the head ``link`` of JSON and XML results) when the cut is known before the first
byte; a result that was already streaming when it reached the cap, or its time limit, ends
with a line saying so and an aborted transfer, so every client reports an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request

from app.domain.sparql.protocol import (
    GRAPH_TYPES,
    QUERY_FORMAT_NAMES,
    SOLUTION_TYPES,
    QueryStream,
    QueryTimeout,
    RowLimitReached,
    StoreError,
    TooManyQueries,
    WorkersBusy,
    query_formats,
)
from app.web.context import current_atrium
from app.web.i18n import localized

HTML = "text/html"
JSON_RESULTS, XML_RESULTS = "application/sparql-results+json", "application/sparql-results+xml"
# What a client may ask for, per kind of result, best default first.
SOLUTION_OFFERS = [*SOLUTION_TYPES, "application/json", "application/xml", HTML]
GRAPH_OFFERS = [*GRAPH_TYPES, "application/xml", HTML]
ALIASES = {"application/json": JSON_RESULTS, "application/xml": XML_RESULTS}
GRAPH_ALIASES = {"application/xml": "application/rdf+xml"}


def named_formats(named: str) -> tuple[str | None, str | None] | None:
    """(SELECT / ASK type, CONSTRUCT / DESCRIBE type) of a ``?format=`` name; None: unknown."""
    return (HTML, HTML) if named.strip().lower() == "html" else query_formats(named)


class ProtocolError(Exception):
    """A request the protocol refuses; ``status`` and a message for the client, and when to
    try again (``retry_after`` seconds) if it is worth trying again."""

    def __init__(self, status: int, message: object, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


def negotiate() -> tuple[str | None, str | None]:
    """The media types for a SELECT/ASK and for a CONSTRUCT/DESCRIBE answer."""
    named = request.values.get("format")
    if named:
        chosen = named_formats(named)
        if chosen is None:
            names = ", ".join([*QUERY_FORMAT_NAMES, "html"])
            raise ProtocolError(400, f"unknown format {named!r}; use one of {names}")
        return chosen
    accept = request.accept_mimetypes
    if not accept:
        return JSON_RESULTS, "text/turtle"
    solutions = accept.best_match(SOLUTION_OFFERS)
    graph = accept.best_match(GRAPH_OFFERS)
    return ALIASES.get(solutions, solutions), GRAPH_ALIASES.get(graph, graph)


def protocol_error(error: StoreError) -> ProtocolError:
    """A store's failure to answer, as the client is told it."""
    if isinstance(error, TooManyQueries):
        return ProtocolError(429, localized(error), error.retry_after)
    if isinstance(error, WorkersBusy):
        return ProtocolError(503, localized(error), error.retry_after)
    if isinstance(error, QueryTimeout):
        return ProtocolError(503, localized(error))
    return ProtocolError(500, localized(error))


def not_acceptable_message(kind: str) -> str:
    offers = {
        "solutions": [*SOLUTION_TYPES],
        "boolean": [*SOLUTION_TYPES],
        "graph": [*GRAPH_TYPES],
    }.get(kind, [*SOLUTION_TYPES, *GRAPH_TYPES])
    return f"the Accept header allows none of the formats of this result: {', '.join(offers)}"


def streamed(stream: QueryStream) -> Response:
    """The answer as it comes from the worker, with the limits in its headers."""
    limit = current_atrium().sparql.row_limit()
    response = Response(body_of(stream, limit), mimetype=stream.head.media_type)
    response.headers["Atrium-Row-Limit"] = str(limit)
    if stream.head.truncated:
        response.headers["Atrium-Truncated"] = "true"
    response.vary.add("Accept")
    return response


def body_of(stream: QueryStream, limit: int) -> Iterator[bytes]:
    """The chunks; past a limit, a last line saying why, then an aborted transfer."""
    try:
        yield from stream
    except RowLimitReached:
        yield cut_notice(f"the result went past {limit} rows (ATRIUM_ROW_LIMIT); add a LIMIT")
        raise
    except StoreError as error:
        yield cut_notice(str(error))
        raise


def cut_notice(reason: str) -> bytes:
    return f"\n\n# INCOMPLETE: {reason}. This response is cut short.\n".encode()
