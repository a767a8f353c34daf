"""``/vocab/…``: the vocabulary browser and the taxonomist's editor; ``/api/concepts``.

Reading is open to everyone: vocabularies are shared (only the number of assets using a
concept follows the reader's access). Concept and scheme IRIs that Atrium minted
(``{base}vocab/…``) dereference here: HTML for a browser, Turtle, JSON-LD, N-Triples or RDF/XML
for an RDF client (``app.web.negotiation``); any concept's page is at
``/vocab/concept?iri=…``.

Editing needs the taxonomist role (admins pass). Every form works without JavaScript and
carries the CSRF token; a destructive change (delete, merge, a move of a concept with narrower
concepts or assets) first shows its impact; a refused change comes back with the reasons next
to the fields; a conflicting save comes back with the taxonomist's edits kept.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from pyoxigraph import NamedNode
from werkzeug.datastructures import MultiDict

from app.domain.iris import InvalidIri, parse_iri
from app.domain.shapes.fields import UnknownField
from app.domain.vocab.autocomplete import DEFAULT_LIMIT
from app.domain.vocab.browse import ROOTS_PER_PAGE, ConceptView
from app.domain.vocab.catalogue import Vocabulary
from app.domain.vocab.drafts import ConceptDraft, SchemeDraft
from app.domain.vocab.editor import Conflict, EditError, NotFound, Refused
from app.domain.vocab.files import EXPORT_FORMATS
from app.domain.vocab.history import ChangeRecord
from app.domain.vocab.languages import FALLBACK_ORDER, LanguagePreference
from app.domain.vocab.terms import LABELS, MAPPINGS, NOTES
from app.web import current_atrium, current_scope
from app.web.auth import current_actor, current_user, role_required
from app.web.negotiation import negotiated

vocab = Blueprint("vocab", __name__)

BLANK_LABEL_ROWS = 3
BLANK_NOTE_ROWS = 2
BLANK_LINK_ROWS = 2
FORM_KINDS = {"labels": list(LABELS), "notes": list(NOTES), "mappings": list(MAPPINGS)}


# --- helpers -------------------------------------------------------------------------------------


def _vocab():  # noqa: ANN202 - the service's Vocabularies
    return current_atrium().vocab


def reader_languages() -> LanguagePreference:
    """``?lang=`` first, then the browser's Accept-Language in order of preference."""
    asked = [request.args.get("lang", "")]
    asked += [tag for tag, _ in request.accept_languages]
    return LanguagePreference.of(tag.replace("_", "-") for tag in asked)


def _keep_lang(**params: str) -> dict[str, str]:
    if request.args.get("lang"):
        params["lang"] = request.args["lang"]
    return params


@vocab.app_template_global()
def vocab_url(iri: str) -> str:
    """A concept's or scheme's page: its own path when Atrium minted it, else ``?iri=``."""
    base = current_atrium().iris.vocab_base
    if iri.startswith(base) and "?" not in iri and "#" not in iri:
        return url_for("vocab.minted", rest=iri[len(base) :], **_keep_lang())
    return url_for("vocab.concept_page", iri=iri, **_keep_lang())


def _may_edit() -> bool:
    user = current_user()
    return bool(user and user.has_role("taxonomist"))


def requested_iri(text: str) -> NamedNode:
    """The IRI a request names (``?iri=``, a form field): 404 when none, 400 when malformed."""
    if not text:
        abort(404)
    try:
        return parse_iri(text)
    except InvalidIri as error:
        abort(400, description=str(error))


def _vocabulary_or_404(name: str) -> Vocabulary:
    found = _vocab().catalogue.get(name)
    if found is None:
        abort(404)
    return found


# --- browsing ------------------------------------------------------------------------------------


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
        fallback=FALLBACK_ORDER,
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
            fallback=FALLBACK_ORDER,
            prefs=prefs,
        ),
    )


def _concept_response(iri: str) -> Response:
    view = _vocab().browser.concept(iri, reader_languages()) if iri else None
    if view is None:
        abort(404)
    return negotiated(lambda: view.triples, lambda: _concept_html(view))


def _concept_html(view: ConceptView, **extra: object) -> str:
    concept = NamedNode(view.iri)
    user = current_user()
    history = _vocab().history.of(concept) if user is not None else []
    return render_template(
        "vocab_concept.html",
        concept=view,
        usage=_vocab().browser.usage(concept, current_scope()),
        history=history,
        asset_tags=_asset_tag_counts(history) if _may_edit() else {},
        vocab_prefix=current_atrium().iris.vocab_graph("").value,
        may_edit=_may_edit(),
        version=_vocab().editor.version(concept) if _may_edit() else "",
        fallback=FALLBACK_ORDER,
        saved=request.args.get("saved"),
        **extra,
    )


def _asset_tag_counts(history: list[ChangeRecord]) -> dict[str, int]:
    """How many asset links each change rewrote (a merge re-tags assets): a count only."""
    prefix = current_atrium().iris.graph("assets/").value
    return {record.iri: sum(len(q) for q in record.in_graphs(prefix)) for record in history}


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
    if fmt not in EXPORT_FORMATS:
        abort(400, description=f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
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
        graph = _vocabulary_or_404(request.args["scheme"]).graph
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


# --- editing concepts ----------------------------------------------------------------------------


@vocab.route("/vocab/edit", methods=["GET", "POST"])
@role_required("taxonomist")
def edit() -> Response | str | tuple[str, int]:
    """The concept editor."""
    iri = request.values.get("iri", "")
    concept = requested_iri(iri)
    editor = _vocab().editor
    try:
        stored = editor.draft(concept)
        if request.method == "GET":
            return _edit_form(iri, stored, editor.version(concept))
        draft = draft_from_form(request.form)
        if _needs_move_confirmation(concept, stored, draft):
            return _confirm_move(iri, editor.impact(concept))
        editor.save(concept, draft, request.form.get("version", ""), current_actor())
    except NotFound:
        abort(404)
    except Conflict as conflict:
        return _edit_form(
            iri, draft, conflict.current_version, conflict=conflict, current=stored
        ), 409
    except Refused as refused:
        return _edit_form(iri, draft, request.form.get("version", ""), errors=refused.fields), 422
    return redirect(vocab_url(iri) + ("&" if "?" in vocab_url(iri) else "?") + "saved=1", 303)


def draft_from_form(form: MultiDict) -> ConceptDraft:
    return ConceptDraft(
        labels=_rows(form, "label_kind", "label_lang", "label_text"),
        notes=_rows(form, "note_kind", "note_lang", "note_text"),
        notations=form.getlist("notation"),
        broader=form.getlist("broader"),
        related=form.getlist("related"),
        mappings=_rows(form, "mapping_kind", "mapping_iri"),
    )


def _rows(form: MultiDict, *names: str) -> list[tuple[str, ...]]:
    """The form's table rows: the n-th value of each named field (a short row is dropped)."""
    return list(zip(*(form.getlist(name) for name in names), strict=False))


def _needs_move_confirmation(concept: NamedNode, stored: ConceptDraft, draft: ConceptDraft) -> bool:
    if request.form.get("confirm_move"):
        return False
    moved = set(stored.broader) != set(draft.cleaned().broader)
    if not moved:
        return False
    impact = _vocab().editor.impact(concept)
    return bool(impact.descendants or impact.subtree_assets)


def _confirm_move(iri: str, impact) -> str:  # noqa: ANN001 - an Impact
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token",)]
    return render_template(
        "vocab_confirm.html",
        title="Move this concept?",
        action=url_for("vocab.edit"),
        fields=[*fields, ("confirm_move", "1")],
        impact=impact,
        what="move",
        back=url_for("vocab.edit", iri=iri),
    )


def _edit_form(iri: str, draft: ConceptDraft, version: str, **extra: object) -> str:
    view = _vocab().browser.concept(iri, reader_languages())
    if view is None:
        abort(404)
    return render_template(
        "vocab_edit.html",
        concept=view,
        draft=draft.cleaned(),
        version=version,
        kinds=FORM_KINDS,
        blank_labels=BLANK_LABEL_ROWS,
        blank_notes=BLANK_NOTE_ROWS,
        blank_links=BLANK_LINK_ROWS,
        errors=extra.pop("errors", {}),
        impact=_vocab().editor.impact(NamedNode(iri)),
        **extra,
    )


@vocab.route("/vocab/new", methods=["GET", "POST"])
@role_required("taxonomist")
def new_concept() -> Response | str | tuple[str, int]:
    """A new concept in a vocabulary (``?vocabulary=slug&broader=IRI``)."""
    vocabulary = _vocabulary_or_404(request.values.get("vocabulary", ""))
    if request.method == "GET":
        broader = [request.args["broader"]] if request.args.get("broader") else []
        return _new_form(vocabulary, ConceptDraft(broader=broader), {})
    draft = draft_from_form(request.form)
    try:
        concept = _vocab().editor.create(vocabulary.slug, draft, current_actor())
    except Refused as refused:
        return _new_form(vocabulary, draft, refused.fields), 422
    return redirect(vocab_url(concept.value), 303)


def _new_form(vocabulary: Vocabulary, draft: ConceptDraft, errors: dict) -> str:
    return render_template(
        "vocab_new.html",
        vocabulary=vocabulary,
        title=vocabulary.title(reader_languages()),
        draft=draft.cleaned(),
        kinds=FORM_KINDS,
        blank_labels=BLANK_LABEL_ROWS,
        blank_notes=BLANK_NOTE_ROWS,
        blank_links=BLANK_LINK_ROWS,
        errors=errors,
    )


@vocab.route("/vocab/merge", methods=["GET", "POST"])
@role_required("taxonomist")
def merge() -> Response | str | tuple[str, int]:
    """Merge a concept into another: shows the impact, then merges on confirmation."""
    return _destructive("merge")


@vocab.route("/vocab/delete", methods=["GET", "POST"])
@role_required("taxonomist")
def delete() -> Response | str | tuple[str, int]:
    """Delete a concept: shows the impact, then deletes on confirmation."""
    return _destructive("delete")


def _destructive(what: str) -> Response | str | tuple[str, int]:
    iri = request.values.get("iri", "")
    editor = _vocab().editor
    concept = requested_iri(iri)
    view = _vocab().browser.concept(iri, reader_languages())
    if view is None:
        abort(404)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            if what == "merge":
                target = request.form.get("target", "").strip()
                editor.merge(
                    concept, _target(target, view), request.form.get("version", ""), current_actor()
                )
                return redirect(vocab_url(iri), 303)
            editor.delete(concept, request.form.get("version", ""), current_actor())
            return redirect(url_for("vocab.scheme_page", iri=view.vocabulary.slug), 303)
        except (Refused, Conflict, NotFound) as error:
            errors = error.fields if isinstance(error, Refused) else {"concept": [str(error)]}
            status = 409 if isinstance(error, Conflict) else 422
    return render_template(
        "vocab_destructive.html",
        what=what,
        concept=view,
        impact=editor.impact(concept),
        version=editor.version(concept),
        errors=errors,
        target=request.form.get("target", ""),
    ), status


def _target(name: str, view: ConceptView) -> NamedNode:
    """The merge target, by IRI or by a label of the same vocabulary."""
    if not name:
        raise Refused({"target": ["name the concept to merge into (its IRI or label)"]})
    if ":" in name:
        try:
            return parse_iri(name)
        except InvalidIri as error:
            raise Refused({"target": [str(error)]}) from None
    suggestions = _vocab().autocomplete.suggest(
        name, reader_languages(), graph=view.vocabulary.graph
    )
    found = [s for s in suggestions if s.matched.casefold() == name.casefold()]
    if len({s.iri for s in found}) != 1:
        raise Refused({"target": [f'no single concept of this vocabulary is labelled "{name}"']})
    return NamedNode(found[0].iri)


@vocab.post("/vocab/deprecate")
@role_required("taxonomist")
def deprecate() -> Response:
    """Mark a concept deprecated (assets keep it), or undo that."""
    iri = request.form.get("iri", "")
    concept = requested_iri(iri)
    try:
        version, undo = request.form.get("version", ""), bool(request.form.get("undo"))
        _vocab().editor.deprecate(concept, version, current_actor(), undo=undo)
    except EditError as error:
        abort(409, description=str(error))
    return redirect(vocab_url(iri), 303)


@vocab.post("/vocab/revert")
@role_required("taxonomist")
def revert() -> Response:
    """Revert a change of the history (as a new change)."""
    change = requested_iri(request.form.get("change", ""))
    try:
        _vocab().editor.revert(change, current_actor())
    except EditError as error:
        abort(409, description=f"the change was not reverted: {error}")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/vocab/") else url_for("vocab.index"), 303)


# --- editing schemes -----------------------------------------------------------------------------


def scheme_draft_from_form(form: MultiDict) -> SchemeDraft:
    return SchemeDraft(
        titles=_rows(form, "title_lang", "title_text"),
        descriptions=_rows(form, "description_lang", "description_text"),
    )


def _scheme_form(draft: SchemeDraft, slug: str, errors: dict, **extra: object) -> str:
    return render_template("vocab_scheme_form.html", draft=draft, slug=slug, errors=errors, **extra)


@vocab.route("/vocab/new-scheme", methods=["GET", "POST"])
@role_required("taxonomist")
def new_scheme() -> Response | str | tuple[str, int]:
    """A new, empty vocabulary."""
    if request.method == "GET":
        return _scheme_form(SchemeDraft([("en", "")], [("en", "")]), "", {}, scheme=None)
    draft, slug = scheme_draft_from_form(request.form), request.form.get("slug", "").strip()
    try:
        _vocab().editor.create_scheme(slug, draft, current_actor())
    except Refused as refused:
        return _scheme_form(draft, slug, refused.fields, scheme=None), 422
    return redirect(url_for("vocab.scheme_page", iri=slug), 303)


@vocab.route("/vocab/edit-scheme", methods=["GET", "POST"])
@role_required("taxonomist")
def edit_scheme() -> Response | str | tuple[str, int]:
    """A scheme's names and descriptions."""
    vocabulary = _vocabulary_or_404(request.values.get("iri", ""))
    scheme = NamedNode(vocabulary.scheme.iri)
    view = _vocab().browser.scheme(vocabulary, reader_languages())
    if request.method == "GET":
        titles = [(row.language, row.text) for row in view.titles]
        descriptions = [(row.language, row.text) for row in view.descriptions]
        version = _vocab().editor.version(scheme)
        draft = SchemeDraft(titles, descriptions)
        return _scheme_form(draft, vocabulary.slug, {}, scheme=view, version=version)
    draft = scheme_draft_from_form(request.form)
    version = request.form.get("version", "")
    try:
        _vocab().editor.save_scheme(scheme, draft, version, current_actor())
    except Refused as refused:
        form = _scheme_form(draft, vocabulary.slug, refused.fields, scheme=view, version=version)
        return form, 422
    except Conflict as conflict:
        errors = {"titles": [str(conflict)]}
        current = conflict.current_version
        return _scheme_form(draft, vocabulary.slug, errors, scheme=view, version=current), 409
    return redirect(url_for("vocab.scheme_page", iri=vocabulary.slug), 303)


@vocab.route("/vocab/delete-scheme", methods=["GET", "POST"])
@role_required("taxonomist")
def delete_scheme() -> Response | str | tuple[str, int]:
    """Delete a whole vocabulary that no asset uses."""
    vocabulary = _vocabulary_or_404(request.values.get("iri", ""))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            _vocab().editor.delete_scheme(NamedNode(vocabulary.scheme.iri), current_actor())
            return redirect(url_for("vocab.index"), 303)
        except Refused as refused:
            errors = refused.fields
    page = render_template(
        "vocab_delete_scheme.html",
        vocabulary=vocabulary,
        title=vocabulary.title(reader_languages()),
        errors=errors,
    )
    return page, (422 if errors else 200)
