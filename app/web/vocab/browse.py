"""Browsing vocabularies: ``/vocab/…`` pages, exports and ``/api/concepts``.

Reading is open to everyone: vocabularies are shared (only the number of assets using a
concept follows the reader's access). Concept and scheme IRIs that Atrium minted
(``{base}vocab/…``) dereference here: HTML for a browser, Turtle, JSON-LD, N-Triples or RDF/XML
for an RDF client (``app.web.negotiation``); any concept's page is at
``/vocab/concept?iri=…``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Response, abort, jsonify, render_template, request

from app.domain.iris import InvalidIri, parse_iri
from app.domain.search import SearchUnavailable
from app.domain.shapes.fields import UnknownField
from app.domain.terms import NamedNode
from app.domain.vocab.autocomplete import DEFAULT_LIMIT, MAX_LIMIT
from app.domain.vocab.browse import ROOTS_PER_PAGE, ConceptView
from app.domain.vocab.files import EXPORT_FORMATS, export_format
from app.domain.vocab.history import ChangeRecord
from app.domain.vocab.languages import LanguagePreference
from app.domain.vocab.model import Vocabulary
from app.web.auth import current_user
from app.web.browse import concept_search_url
from app.web.context import current_atrium, current_scope
from app.web.i18n import current_language
from app.web.negotiation import negotiated, unknown_format
from app.web.search_urls import search_from
from app.web.vocab.blueprint import (
    _may_edit,
    _vocab,
    _vocabulary_or_404,
    reader_languages,
    requested_iri,
    vocab,
)


@vocab.get("/vocab/")
def index() -> str:
    """Every vocabulary, with its size and languages."""
    prefs = reader_languages()
    vocabularies = _vocab().catalogue.all()
    return render_template(
        "vocab_index.html",
        vocabularies=vocabularies,
        titles={v.slug: v.title(prefs) for v in vocabularies},
        may_edit=_may_edit(),
    )


@vocab.get("/vocab/scheme")
def scheme_page() -> Response:
    """A scheme's page by IRI (or vocabulary slug)."""
    return _scheme_response(_vocabulary_or_404(request.args.get("iri", "")))


@vocab.get("/vocab/concept")
def concept_page() -> Response:
    """A concept's page, for any concept IRI a vocabulary describes."""
    return _concept_response(requested_iri(request.args.get("iri", "")).value)


@vocab.get("/vocab/<path:rest>")
def minted(rest: str) -> Response:
    """Atrium's own concept and scheme IRIs ({base}vocab/…) dereference here."""
    iri = current_atrium().iris.vocab_base + rest
    try:
        parse_iri(iri)
    except InvalidIri:
        abort(404)
    found = _vocab().catalogue.get(iri)
    if found is not None and found.scheme is not None and found.scheme.iri == iri:
        return _scheme_response(found)
    return _concept_response(iri)


def _scheme_response(vocabulary: Vocabulary) -> Response:
    prefs = reader_languages()
    opened = frozenset(request.args.getlist("open"))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    view = _vocab().browser.scheme(vocabulary, prefs, opened=opened, page=page)
    if view is None:
        abort(404)
    pages = max((view.total_roots + ROOTS_PER_PAGE - 1) // ROOTS_PER_PAGE, 1)
    return negotiated(
        lambda: view.triples,
        lambda: render_template(
            "vocab_scheme.html",
            scheme=view,
            opened=opened,
            page=page,
            pages=pages,
            formats=list(EXPORT_FORMATS),
            may_edit=_may_edit(),
            version=_vocab().editor.version(NamedNode(view.iri)) if _may_edit() else "",
            prefs=prefs,
        ),
    )


def _concept_response(iri: str) -> Response:
    view = _vocab().browser.concept(iri, reader_languages()) if iri else None
    if view is None:
        abort(404)
    return negotiated(lambda: view.triples, lambda: _concept_html(view))


@dataclass(frozen=True)
class TaggedCount:
    """How many assets the concept page's link finds, counted by running that very search."""

    url: str  # the search the count links to
    found: int | None  # what that search finds for this reader (None: the index is busy)
    directly: int  # assets tagged with the concept itself
    by_text: bool  # the link searches the label's words (its field is not a facet)


def _tagged_count(view: ConceptView) -> TaggedCount:
    concept = NamedNode(view.iri)
    directly = _vocab().browser.usage(concept, current_scope())
    url = concept_search_url(view.iri)
    search = current_atrium().search
    urls = search_from(urlsplit(url).query, search.facets().names)
    if urls is None:
        return TaggedCount(url, None, directly, by_text=False)
    try:
        found = search.search(urls.query, current_scope(), current_language()).total
    except SearchUnavailable:
        found = None
    return TaggedCount(url, found, directly, by_text=not urls.query.filters)


def _concept_html(view: ConceptView, **extra: object) -> str:
    concept = NamedNode(view.iri)
    user = current_user()
    history = _vocab().history.of(concept) if user is not None else []
    return render_template(
        "vocab_concept.html",
        concept=view,
        scheme_title=view.vocabulary.title(reader_languages()),
        tagged=_tagged_count(view),
        history=history,
        asset_tags=_asset_tag_counts(history) if _may_edit() else {},
        vocab_prefix=current_atrium().iris.vocab_graph("").value,
        may_edit=_may_edit(),
        version=_vocab().editor.version(concept) if _may_edit() else "",
        saved=request.args.get("saved"),
        **extra,
    )


def _asset_tag_counts(history: list[ChangeRecord]) -> dict[str, int]:
    """How many asset links each change rewrote (a merge re-tags assets): a count only."""
    prefix = current_atrium().iris.graph("assets/").value
    return {record.iri: sum(len(q) for q in record.in_graphs(prefix)) for record in history}


@dataclass(frozen=True)
class Found:
    """A concept the vocabulary search found: shown by its label in the reader's language."""

    iri: str
    label: str
    matched: str  # the label or notation that matched, when it is not ``label``
    vocabulary: str  # slug


@vocab.get("/vocab/search")
def search() -> str:
    """Concepts by label (prefLabel, altLabel, hiddenLabel: the /api/concepts matcher) or by
    notation, across vocabularies or in one (``?scheme=slug``)."""
    typed = request.args.get("q", "").strip()
    vocabulary = _vocabulary_or_404(request.args["scheme"]) if request.args.get("scheme") else None
    graph = vocabulary.graph if vocabulary is not None else None
    prefs = reader_languages()
    found = _found(typed, graph, prefs) if typed else []
    vocabularies = _vocab().catalogue.all()
    return render_template(
        "vocab_search.html",
        typed=typed,
        found=found,
        scheme=vocabulary,
        titles={v.slug: v.title(prefs) for v in vocabularies},
    )


def _found(typed: str, graph: NamedNode | None, prefs: LanguagePreference) -> list[Found]:
    """An exact notation first, then the labels as /api/concepts ranks them, then notations
    that start with what was typed; never a scheme (whose labels the matcher also reads)."""
    vocab_service = _vocab()
    browser, catalogue = vocab_service.browser, vocab_service.catalogue
    coded = browser.with_notation(typed, graph)
    links = browser.links(sorted(coded), prefs)

    def by_notation(iri: str) -> Found:
        slug = catalogue.slug_of(catalogue.home_graph(NamedNode(iri)))
        return Found(iri, links[iri].label, coded[iri], slug)

    exact = [by_notation(i) for i in coded if coded[i].casefold() == typed.casefold()]
    labelled = [
        Found(hit.iri, hit.label, "" if hit.matched == hit.label else hit.matched, hit.vocabulary)
        for hit in vocab_service.autocomplete.suggest(typed, prefs, graph=graph, limit=MAX_LIMIT)
    ]
    started = [by_notation(i) for i in sorted(coded, key=lambda i: (coded[i], i))]
    schemes = {s.iri for v in catalogue.all() for s in v.schemes}
    unique: dict[str, Found] = {}
    for hit in (*exact, *labelled, *started):
        if hit.iri not in schemes:
            unique.setdefault(hit.iri, hit)
    return list(unique.values())


@vocab.get("/vocab/children")
def children() -> str:
    """One level of a scheme's tree, as an HTML fragment (the tree loads it on demand)."""
    vocabulary = _vocabulary_or_404(request.args.get("vocabulary", ""))
    parent = requested_iri(request.args.get("iri", "")).value
    nodes = _vocab().browser.children(vocabulary.graph, parent, reader_languages())
    if not nodes and _vocab().browser.concept(parent, reader_languages()) is None:
        abort(404)  # no such concept (a leaf answers an empty list)
    return render_template(
        "vocab_tree.html", nodes=nodes, vocabulary=vocabulary, opened=frozenset(), scheme_iri=""
    )


@vocab.get("/vocab/export")
def export() -> Response:
    """A whole vocabulary as a download: Turtle, RDF/XML, JSON-LD, N-Triples or CSV."""
    fmt = request.args.get("format", "ttl")
    if export_format(fmt) is None:
        abort(400, description=unknown_format(fmt, EXPORT_FORMATS))
    vocabulary = _vocabulary_or_404(request.args.get("vocabulary", ""))
    body, media_type, name = _vocab().export(vocabulary.slug, fmt)
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@vocab.get("/api/concepts")
def concepts_api() -> Response | tuple[Response, int]:
    """Concepts whose labels start with ``q`` (prefLabel, altLabel or hiddenLabel, any
    language), for tagging forms: ``?q=&scheme=&field=&department=&lang=&limit=``. ``field``
    (a concept field's name; ``department`` picks among profiles' fields of one name) offers
    only the concepts that field takes."""
    autocomplete = _vocab().autocomplete
    graph = None
    if request.args.get("scheme"):
        graph = autocomplete.catalogue.graph_named(request.args["scheme"])
        if graph is None:
            abort(404)
    field = None
    if request.args.get("field"):
        try:
            field = autocomplete.field(request.args["field"], request.args.get("department"))
        except UnknownField as error:
            return jsonify({"error": str(error)}), 400
    limit = request.args.get("limit", DEFAULT_LIMIT, type=int) or DEFAULT_LIMIT
    found = autocomplete.suggest(
        request.args.get("q", ""), reader_languages(), graph=graph, field=field, limit=limit
    )
    return jsonify({"query": request.args.get("q", ""), "concepts": [s.as_json() for s in found]})
