"""``/sparql``: the SPARQL 1.1 Protocol endpoint, its query page and its service description.

SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/):

- §2.1.1 query via GET: ``query``, ``default-graph-uri``, ``named-graph-uri`` in the URL;
- §2.1.2 query via URL-encoded POST: the same parameters in the body;
- §2.1.3 query via POST directly: the body is the query (``application/sparql-query``), the
  dataset parameters in the URL;
- §2.1.4 the dataset: honoured, within what the caller may see (never widened);
- §2.1.5 / §2.1.6 answers: the result format by content negotiation (``Accept``, or ``format``
  for links); 400 with the parser's message for a malformed query; 406 (RFC 9110 §15.5.7) when
  no format the result comes in is acceptable (:mod:`app.web.sparql_answers`);
- §2.2 update: refused here; ``/sparql/update`` (administrators) applies it through the same
  validation as any other write.

A GET with no query answers the SPARQL 1.1 Service Description (§2 of that recommendation) to
an RDF client, and the query page (YASGUI, or a plain form without JavaScript) to a browser.
CORS (WHATWG Fetch, "CORS protocol"): any origin may call the endpoint, with a preflight for
POST and for the ``Authorization`` header; cookies are never sent cross-origin.

Shares of the query workers (hardening M2): past the caller's share, 429 Too Many Requests
(RFC 6585 §4); past everyone's, 503; both with ``Retry-After`` (RFC 9110 §10.2.3). Anonymous
callers are told apart by address (the peer of the connection: behind a proxy, the proxy's),
signed-in callers by user name.
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, g, render_template, request, url_for

from app.domain.iris import InvalidIri, parse_iri
from app.domain.people.audit import Actor
from app.domain.people.users import ROLES
from app.domain.sparql.examples import default_query, example_query, examples
from app.domain.sparql.protocol import (
    FIRST_BATCH,
    NotAcceptable,
    QueryStream,
    QuerySyntaxError,
    StoreError,
)
from app.domain.sparql.service import Caller, QueryRequest, service_description
from app.domain.sparql.update import (
    BadUpdateRequest,
    SparqlUpdater,
    UpdateConflict,
    UpdateOptions,
    UpdateRefused,
    UpdateReport,
)
from app.web.auth import answers_anonymous_itself, csrf_exempt, current_user
from app.web.context import current_atrium, current_scope
from app.web.i18n import current_language, in_english, localized
from app.web.negotiation import RDF_TYPES, preferred_type, rdf_response, with_alternates
from app.web.serving import give_up_place
from app.web.sparql_answers import (
    HTML,
    JSON_RESULTS,
    ProtocolError,
    negotiate,
    not_acceptable_message,
    protocol_error,
    streamed,
)
from app.web.yasgui import send_yasgui_file, yasgui_available

sparql = Blueprint("sparql", __name__)

HTML_ROWS = FIRST_BATCH  # a results page shows at most this many rows
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Atrium-Row-Limit, Atrium-Truncated, Link, Vary",
}
QUERY_PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'"
)
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type",
    "Access-Control-Max-Age": "86400",
}


@sparql.after_request
def allow_cross_origin(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    return response


@sparql.route("/sparql", methods=["OPTIONS"])
@sparql.route("/sparql/update", methods=["OPTIONS"])
def preflight() -> Response:
    """The CORS preflight: which methods and headers a cross-origin caller may use."""
    return Response(status=204, headers=PREFLIGHT_HEADERS)


@sparql.route("/sparql", methods=["GET", "POST"])
@csrf_exempt  # a query changes nothing, and cross-site requests carry no session (SameSite)
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol query operation; without a query, the page or the description."""
    try:
        text = query_text()
        if text is None:
            return query_page_or_description()
        return answer(text)
    except ProtocolError as error:
        text = request.values.get("query")
        return error_response(error.status, localized(error), text, error.headers)


def query_text() -> str | None:
    """The query of a GET, a form POST or a direct POST (§2.1.1 - §2.1.3)."""
    if "update" in request.values or request.mimetype == "application/sparql-update":
        raise ProtocolError(
            400,
            "this endpoint answers queries only; administrators send updates to "
            f"{url_for('sparql.update', _external=True)}",
        )
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    source = request.form if request.method == "POST" else request.args
    queries = source.getlist("query")
    if len(queries) > 1:
        raise ProtocolError(400, "send exactly one query parameter")
    if request.method == "POST" and not queries:
        raise ProtocolError(
            400, "a POST needs a query: a form with query=…, or an application/sparql-query body"
        )
    return queries[0] if queries else None


def dataset_parameters(name: str) -> tuple[str, ...]:
    """default-graph-uri / named-graph-uri: in the body of a form POST, else in the URL."""
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return tuple(request.form.getlist(name))
    return tuple(request.args.getlist(name))


def answer(text: str) -> Response:
    solutions_type, graph_type = negotiate()
    if solutions_type is None and graph_type is None:
        raise ProtocolError(406, not_acceptable_message("any"))
    if HTML in (solutions_type, graph_type):  # a browser: the page shows any kind of result
        return results_page(text, start(page_request(text)))
    query = QueryRequest(
        sparql=text,
        solutions_type=solutions_type,
        graph_type=graph_type,
        default_graphs=dataset_parameters("default-graph-uri"),
        named_graphs=dataset_parameters("named-graph-uri"),
    )
    return streamed(start(query))


def page_request(text: str) -> QueryRequest:
    """The query for a results page: JSON or Turtle to render, at most HTML_ROWS rows."""
    return QueryRequest(
        sparql=text,
        solutions_type=JSON_RESULTS,
        graph_type="text/turtle",
        default_graphs=dataset_parameters("default-graph-uri"),
        named_graphs=dataset_parameters("named-graph-uri"),
        row_limit=HTML_ROWS,
    )


def start(query: QueryRequest) -> QueryStream:
    """Start the query; its failures become protocol errors."""
    atrium = current_atrium()
    try:
        give_up_place()  # it waits for a worker: another request may run meanwhile
        return atrium.sparql.run(query, current_scope(), current_caller())
    except QuerySyntaxError as error:
        raise ProtocolError(400, localized(error)) from None
    except NotAcceptable as error:
        raise ProtocolError(406, not_acceptable_message(error.kind)) from None
    except StoreError as error:
        raise protocol_error(error) from None


@sparql.before_app_request
def note_arrival() -> None:
    """When the request came in: its queries' time limits count from here."""
    g.arrived = time.monotonic()


def current_caller() -> Caller:
    """Who is asking, for their share of the query workers: the signed-in user, else the
    address; and when the request arrived."""
    if "sparql_caller" not in g:
        user = current_user()
        arrived = g.get("arrived", time.monotonic())
        if user is not None:
            g.sparql_caller = Caller("user", user.name, arrived)
        else:
            g.sparql_caller = Caller("address", request.remote_addr or "unknown", arrived)
    return g.sparql_caller


# The query page --------------------------------------------------------------------------------


def query_page_or_description() -> Response:
    media_type = preferred_type(["text/turtle", HTML, *RDF_TYPES])
    if media_type is None:
        raise ProtocolError(406, not_acceptable_message("graph"))
    if media_type != HTML:
        return with_alternates(rdf_response(description(), media_type))
    atrium = current_atrium()
    chosen = request.args.get("example")
    example = next((e for e in examples(atrium.fields) if e.name == chosen), None)
    iris = atrium.iris
    text = example_query(example, iris) if example else default_query(iris)
    return with_alternates(page(text))


@sparql.get("/sparql/yasgui/<name>")
def yasgui_file(name: str) -> Response:
    """YASGUI's script and style sheet, from the npm package installed at set-up."""
    return send_yasgui_file(name)


def description() -> list:
    atrium = current_atrium()
    endpoint_url = url_for("sparql.endpoint", _external=True)
    return service_description(
        endpoint_url,
        current_scope(),
        atrium.store,
        row_limit=atrium.sparql.row_limit(),
        timeout=atrium.sparql.timeout(),
    )


def page(text: str, status: int = 200, **results: object) -> Response:
    """The query page: the form (or YASGUI) with ``text``, and results or an error below.

    ``shared`` tells the page script that the query came in the request (a share link, an
    example, a query run), so it wins over the one the browser remembers."""
    atrium = current_atrium()
    chosen = examples(atrium.fields, current_language())
    shown = [(e, example_query(e, atrium.iris)) for e in chosen]
    user = current_user()
    html = render_template(
        "sparql.html",
        query=text,
        default_query=default_query(atrium.iris),
        shared=bool(request.values.get("query") or request.args.get("example")),
        may_save=user is not None and user.has_role(*ROLES),
        examples=shown,
        yasgui=yasgui_available(),
        timeout=f"{atrium.sparql.timeout():g}",
        row_limit=atrium.sparql.row_limit(),
        **results,
    )
    response = Response(html, status=status)
    # YASGUI's table plugin sets inline styles; scripts stay limited to this site.
    response.headers["Content-Security-Policy"] = QUERY_PAGE_CSP
    return response


def results_page(text: str, stream: QueryStream) -> Response:
    """The results as a table (SELECT), a yes/no (ASK) or Turtle (CONSTRUCT), under the form."""
    try:
        results = page_results(stream)
    except StoreError as error:
        return error_response(503, localized(error), text)
    return page(text, **results)


def page_results(stream: QueryStream) -> dict[str, object]:
    """What a page shows of an answer asked for as JSON (SELECT, ASK) or Turtle (graphs)."""
    body, head = stream.read(), stream.head
    if head.kind == "graph":
        return {"turtle": body.decode(), "truncated": head.truncated}
    document = json.loads(body)
    if head.kind == "boolean":
        return {"boolean": document["boolean"]}
    columns = document["head"]["vars"]
    rows = [[row.get(name) for name in columns] for row in document["results"]["bindings"]]
    return {"columns": columns, "rows": rows, "truncated": head.truncated}


def error_response(
    status: int, message: object, text: str | None, headers: dict[str, str] | None = None
) -> Response:
    """Plain text for SPARQL clients; the query page with the message for a browser."""
    if "format" not in request.values and preferred_type(["text/plain", HTML]) == HTML:
        response = page(text or "", status, error=message)
        response.headers.update(headers or {})
        return response
    return Response(
        in_english(message) + "\n", status=status, mimetype="text/plain", headers=headers
    )


# Update --------------------------------------------------------------------------------------


@sparql.post("/sparql/update")
@answers_anonymous_itself
def update() -> Response:
    """SPARQL 1.1 Update (Protocol §2.2), for administrators, validated like any other write."""
    user = current_user()
    if user is None:
        return plain(
            401,
            "SPARQL Update is for administrators: send an API token "
            "(Authorization: Bearer <token>) or sign in",
            headers={"WWW-Authenticate": 'Bearer realm="Atrium SPARQL Update"'},
        )
    if not user.has_role("admin"):
        return plain(403, "SPARQL Update needs the admin role")
    try:
        text, options = update_text()
        atrium = current_atrium()
        report = SparqlUpdater(
            atrium.store, atrium.iris, atrium.assets, atrium.results_index
        ).apply(text, options, actor=Actor.of(user.name))
    except ProtocolError as error:
        return plain(error.status, str(error))
    except (QuerySyntaxError, BadUpdateRequest) as error:
        return plain(400, str(error))
    except UpdateRefused as error:
        problems = "".join(f"\n- {problem}" for problem in error.problems)
        return plain(422, f"the update was refused, nothing changed: {error}{problems}")
    except UpdateConflict as error:
        return plain(409, str(error))
    return plain(200, update_summary(report))


def update_text() -> tuple[str, UpdateOptions]:
    """The update of a form POST (§2.2.1) or a direct POST (§2.2.2), and its parameters: the
    dataset (§2.2.3; in the body of a form, else in the URL) and include-atrium-graphs."""
    direct = request.mimetype == "application/sparql-update"
    source = request.args if direct else request.form
    include = source.get("include-atrium-graphs", "false").lower()
    if include not in ("true", "false"):
        raise ProtocolError(400, f"include-atrium-graphs is true or false, not {include!r}")
    try:
        options = UpdateOptions(
            using_graphs=tuple(map(parse_iri, source.getlist("using-graph-uri"))),
            using_named_graphs=tuple(map(parse_iri, source.getlist("using-named-graph-uri"))),
            include_atrium_graphs=include == "true",
        )
    except InvalidIri as error:
        raise ProtocolError(400, f"using-graph-uri / using-named-graph-uri: {error}") from None
    if direct:
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(400, f"send the update in UTF-8, not {charset}")
        try:
            return request.get_data().decode("utf-8"), options
        except UnicodeDecodeError:
            raise ProtocolError(400, "the update is not valid UTF-8") from None
    updates = request.form.getlist("update")
    if len(updates) != 1:
        raise ProtocolError(
            400, "send one update: a form with update=…, or an application/sparql-update body"
        )
    return updates[0], options


def update_summary(report: UpdateReport) -> str:
    incomplete = f", {len(report.incomplete)} now incomplete" if report.incomplete else ""
    kept = ""
    if report.kept_graphs:
        kept = (
            f"; CLEAR / DROP ALL left Atrium's own {len(report.kept_graphs)} graphs alone "
            f"(those under {current_atrium().iris.graph('').value}); "
            "include-atrium-graphs=true empties them too"
        )
    return (
        f"done: {len(report.assets)} asset records rewritten{incomplete}; "
        f"{report.inserted} other triples inserted, {report.deleted} deleted{kept}"
    )


def plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)
