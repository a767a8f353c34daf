"""``/queries``: saved queries, each at a stable URL a spreadsheet or BI tool can pull.

- ``/queries/<name>``: a page with the results as a table (a browser), the results in another
  format by content negotiation (CSV, TSV, SPARQL JSON / XML), or the query's own description
  (Turtle, JSON-LD, N-Triples, RDF/XML: the IRI dereferences like every IRI Atrium mints);
- ``/queries/<name>.csv`` (``.tsv``, ``.json``, ``.xml``): the results, for a scheduled pull;
- URL parameters give values to the query's variables (``?segment=<…>``); they are bound
  values, never pasted into its text. Results are what the caller may see, like ``/sparql``.

Signed-in users save queries; their author and administrators may change or delete them.
Working out a query's parameters and running it take the caller's share of the query workers,
as on ``/sparql``: past it, 429 (or 503 when everyone's is used) with ``Retry-After``.
"""

from __future__ import annotations

from typing import NoReturn

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from app.domain.people.users import ROLES
from app.domain.sparql.protocol import (
    RESULT_FORMATS,
    RESULTS_AND_GRAPHS,
    SOLUTION_TYPES,
    StoreError,
)
from app.domain.sparql.saved_queries import (
    RESERVED_PARAMETERS,
    SavedQuery,
    SavedQueryError,
    bindings_from,
)
from app.domain.sparql.service import QueryRequest
from app.web.auth import current_user, role_required
from app.web.context import current_atrium
from app.web.i18n import in_english, localized
from app.web.i18n import lazy_text as _l
from app.web.negotiation import (
    ALTERNATES,
    RDF_TYPES,
    named_type,
    preferred_type,
    rdf_response,
    unknown_format,
    with_alternates,
)
from app.web.sparql import HTML_ROWS, current_caller, page_results, start
from app.web.sparql_answers import HTML, ProtocolError, protocol_error, streamed

queries = Blueprint("queries", __name__)

# /queries/<name>.<extension>: (SELECT / ASK type, CONSTRUCT / DESCRIBE type)
EXTENSIONS = {f.extension: RESULTS_AND_GRAPHS[f.name] for f in RESULT_FORMATS}
signed_in_required = role_required(*ROLES)


@queries.get("/queries")
def index() -> str:
    """Every saved query, with its links."""
    return render_template("saved_queries.html", queries=current_atrium().saved_queries.all())


@queries.get("/queries/new")
@signed_in_required
def new() -> str:
    """The form for a new saved query (``?query=`` fills in its text)."""
    draft = SavedQuery(name="", title="", sparql=request.args.get("query", ""))
    return render_template("saved_query_form.html", query=draft, error=None, is_new=True)


@queries.post("/queries")
@signed_in_required
def create() -> Response | tuple[str, int, dict[str, str]]:
    """Save a new query."""
    return _save(is_new=True)


@queries.get("/queries/<name>")
def show(name: str) -> Response:
    """The results page, the results, or the query's description, by content negotiation."""
    saved = _saved(name)
    offered = [HTML, *SOLUTION_TYPES, "application/json", *RDF_TYPES]
    media_type = preferred_type(offered) if "format" not in request.args else _named_format()
    if media_type is None:
        abort(406, description=f"this resource is available as {', '.join(offered)}")
    if media_type in RDF_TYPES:
        triples = current_atrium().saved_queries.triples(saved)
        return with_alternates(rdf_response(triples, media_type))
    if media_type == HTML:
        return with_alternates(make_response(_results_page(saved)))
    if media_type == "application/json":
        media_type = "application/sparql-results+json"
    return with_alternates(_results(saved, media_type, "text/turtle"))


@queries.get("/queries/<name>.<any(csv, tsv, json, xml):extension>")
def download(name: str, extension: str) -> Response:
    """The results in one format, at a URL that never changes."""
    solutions_type, graph_type = EXTENSIONS[extension]
    return _results(_saved(name), solutions_type, graph_type)


@queries.get("/queries/<name>/edit")
@signed_in_required
def edit(name: str) -> str:
    saved = _editable(name)
    return render_template("saved_query_form.html", query=saved, error=None, is_new=False)


@queries.post("/queries/<name>")
@signed_in_required
def update(name: str) -> Response | tuple[str, int, dict[str, str]]:
    """Save the changed query (its name stays)."""
    _editable(name)
    return _save(is_new=False, name=name)


@queries.get("/queries/<name>/delete")
@signed_in_required
def confirm_delete(name: str) -> str:
    """The question before a delete: which query goes, and which addresses stop answering."""
    return render_template("saved_query_delete.html", saved=_editable(name))


@queries.post("/queries/<name>/delete")
@signed_in_required
def delete(name: str) -> Response:
    """Delete the query (the confirmation page's form posts here)."""
    _editable(name)
    current_atrium().saved_queries.delete(name)
    return redirect(url_for("queries.index"))


# Helpers ---------------------------------------------------------------------------------------


def _saved(name: str) -> SavedQuery:
    try:
        saved = current_atrium().saved_queries.get(name, current_caller())
    except StoreError as error:  # no query worker worked out its parameters in time
        _refuse(protocol_error(error))
    if saved is None:
        abort(404)
    return saved


def _refuse(error: ProtocolError) -> NoReturn:
    """Answer the refusal now: a page for a browser, plain text for a tool pulling results."""
    if preferred_type(["text/plain", HTML]) == HTML:
        body = render_template("error.html", status=error.status, message=str(error))
        abort(Response(body, status=error.status, headers=error.headers, mimetype=HTML))
    abort(Response(f"{error}\n", error.status, error.headers, mimetype="text/plain"))


def _editable(name: str) -> SavedQuery:
    """The query, if the signed-in user may change it (its author, or an administrator)."""
    saved = _saved(name)
    user = current_user()
    if user is None or not (user.is_admin or saved.creator == user.iri):
        abort(
            403,
            description=_l("only the query's author and administrators may change it"),
        )
    return saved


def _named_format() -> str:
    named = request.args["format"]
    if named.strip().lower() in EXTENSIONS:
        return EXTENSIONS[named.strip().lower()][0]
    media_type = named_type(named)
    if media_type is None:
        names = ", ".join(["html", *ALTERNATES, *EXTENSIONS])
        abort(400, description=unknown_format(named, names))
    return media_type


def _request_for(
    saved: SavedQuery,
    solutions_type: str | None,
    graph_type: str | None,
    row_limit: int | None = None,
) -> QueryRequest:
    arguments = dict(request.args.items())
    try:
        bindings = bindings_from(saved, arguments)
    except SavedQueryError as error:
        raise ProtocolError(400, localized(error)) from None
    return QueryRequest(
        sparql=saved.sparql,
        solutions_type=solutions_type,
        graph_type=graph_type,
        bindings=bindings,
        row_limit=row_limit,
    )


def _results(saved: SavedQuery, solutions_type: str | None, graph_type: str | None) -> Response:
    try:
        return streamed(start(_request_for(saved, solutions_type, graph_type)))
    except ProtocolError as error:
        english = in_english(localized(error))
        return Response(f"{english}\n", error.status, error.headers, mimetype="text/plain")


def _results_page(saved: SavedQuery) -> str | tuple[str, int, dict[str, str]]:
    arguments = {k: v for k, v in request.args.items() if k not in RESERVED_PARAMETERS}
    context = {"saved": saved, "arguments": arguments, "may_edit": _may_edit(saved)}
    try:
        stream = start(
            _request_for(
                saved, "application/sparql-results+json", "text/turtle", row_limit=HTML_ROWS
            )
        )
        context.update(page_results(stream))
    except StoreError as error:  # a time limit reached while reading the answer
        return render_template("saved_query.html", error=localized(error), **context), 503, {}
    except ProtocolError as error:
        page = render_template("saved_query.html", error=str(error), **context)
        return page, error.status, error.headers
    return render_template("saved_query.html", error=None, **context)


def _may_edit(saved: SavedQuery) -> bool:
    user = current_user()
    return user is not None and (user.is_admin or saved.creator == user.iri)


def _save(*, is_new: bool, name: str | None = None) -> Response | tuple[str, int, dict[str, str]]:
    user = current_user()
    form = request.form
    draft = SavedQuery(
        name=name or form.get("name", "").strip(),
        title=form.get("title", ""),
        sparql=form.get("sparql", "").replace("\r\n", "\n"),  # browsers send CRLF
        description=form.get("description", ""),
        creator=user.iri if user else None,
    )
    saved_queries, caller = current_atrium().saved_queries, current_caller()
    try:
        if is_new and saved_queries.get(draft.name, caller) is not None:
            taken = gettext(
                "a query named %(name)s exists already; choose another", name=repr(draft.name)
            )
            raise SavedQueryError(taken)
        saved = saved_queries.save(draft, caller)
    except (SavedQueryError, StoreError) as error:
        refused = (
            ProtocolError(400, localized(error))
            if isinstance(error, SavedQueryError)
            else protocol_error(error)
        )
        page = render_template(
            "saved_query_form.html", query=draft, error=localized(error), is_new=is_new
        )
        return page, refused.status, refused.headers
    return redirect(url_for("queries.show", name=saved.name))
