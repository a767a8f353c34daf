"""The taxonomist's editor: concepts and schemes, under ``/vocab/…``.

Editing needs the taxonomist role (admins pass). Every form works without JavaScript and
carries the CSRF token; a destructive change (delete, merge, a move of a concept with narrower
concepts or assets) first shows its impact; a refused change comes back with the reasons next
to the fields; a conflicting save comes back with the taxonomist's edits kept.
"""

from __future__ import annotations

import re

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from app.domain.iris import InvalidIri, parse_iri
from app.domain.terms import NamedNode
from app.domain.vocab.browse import ConceptView
from app.domain.vocab.drafts import ConceptDraft, SchemeDraft
from app.domain.vocab.editor import Conflict, EditError, NotFound, Refused
from app.domain.vocab.model import Vocabulary
from app.domain.vocab.terms import LABELS, MAPPINGS, NOTES
from app.web.auth import current_actor, role_required
from app.web.i18n import current_language, localized
from app.web.i18n import lazy_text as _l
from app.web.vocab.blueprint import (
    _vocab,
    _vocabulary_or_404,
    reader_languages,
    requested_iri,
    vocab,
    vocab_url,
)

BLANK_LABEL_ROWS = 3
BLANK_NOTE_ROWS = 2
BLANK_LINK_ROWS = 2
FORM_KINDS = {"labels": list(LABELS), "notes": list(NOTES), "mappings": list(MAPPINGS)}
# ``"Label" <IRI>``, ``<IRI>`` or a bare IRI in the editor's reasons (Issue.describe, rule
# messages): each is named by its label here.
_NAMED_IRI = re.compile(r'(?:"([^"<>]*)" )?<([^<>\s]+)>|(https?://[^\s<>"\[\]]*[^\s<>"\[\].,;:)])')


def plain_words(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """The reasons a change was refused, with each concept named by its label in the
    reader's language instead of its IRI."""
    texts = [text for messages in fields.values() for text in messages]
    labels = link_labels([m[2] or m[3] for text in texts for m in _NAMED_IRI.finditer(text)])

    def named(match: re.Match[str]) -> str:
        if label := labels.get(match[2] or match[3]):
            return f"“{label}”"
        return f"“{match[1]}”" if match[1] else match[0]

    return {name: [_NAMED_IRI.sub(named, t) for t in ms] for name, ms in fields.items()}


def refusal_words(refused: Refused) -> dict[str, list[str]]:
    """:func:`plain_words` of a refusal, the quality gates' reasons in the reader's language
    (the domain and the API keep them in English)."""
    fields = refused.fields_in(current_language())
    return plain_words({name: [str(localized(m)) for m in ms] for name, ms in fields.items()})


def _reason(error: EditError) -> str:
    """Why a change was not made, for an error page: a refusal in the reader's language."""
    if isinstance(error, Refused):
        return "; ".join(m for ms in refusal_words(error).values() for m in ms)
    return str(error)


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
        errors = refusal_words(refused)
        return _edit_form(iri, draft, request.form.get("version", ""), errors=errors), 422
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
    view = _vocab().browser.concept(iri, reader_languages())
    under = [r.strip() for r in request.form.getlist("broader") if r.strip()]
    labels = link_labels(under)
    return render_template(
        "vocab_confirm.html",
        title=gettext("Move this concept?"),
        moving=view.label if view is not None else iri,
        under=[labels.get(reference, reference) for reference in under],
        action=url_for("vocab.edit"),
        fields=[*fields, ("confirm_move", "1")],
        impact=impact,
        back=url_for("vocab.edit", iri=iri),
    )


def link_labels(references: list[str]) -> dict[str, str]:
    """The label of each concept IRI among ``references`` (a form's broader and related
    boxes hold IRIs or labels), for showing beside them."""
    iris = set()
    for reference in references:
        try:
            iris.add(parse_iri(reference.strip()).value)
        except InvalidIri:
            continue  # a label typed in the box, or nothing
    links = _vocab().browser.links(sorted(iris), reader_languages())
    return {iri: link.label for iri, link in links.items() if link.known}


def _edit_form(iri: str, draft: ConceptDraft, version: str, **extra: object) -> str:
    view = _vocab().browser.concept(iri, reader_languages())
    if view is None:
        abort(404)
    current = extra.get("current")
    shown = [*draft.broader, *draft.related]
    if isinstance(current, ConceptDraft):
        shown += [*current.broader, *current.related]
    return render_template(
        "vocab_edit.html",
        labels=link_labels(shown),
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
        return _new_form(vocabulary, draft, refusal_words(refused)), 422
    return redirect(vocab_url(concept.value), 303)


def _new_form(vocabulary: Vocabulary, draft: ConceptDraft, errors: dict) -> str:
    return render_template(
        "vocab_new.html",
        labels=link_labels([*draft.broader, *draft.related]),
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
            if isinstance(error, Refused):
                errors = refusal_words(error)
            else:
                errors = plain_words({"concept": [str(error)]})
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
        raise Refused({"target": [gettext("name the concept to merge into (its IRI or label)")]})
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
        ambiguous = gettext(
            "no single concept of this vocabulary is labelled “%(name)s”", name=name
        )
        raise Refused({"target": [ambiguous]})
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
        abort(409, description=_reason(error))
    return redirect(vocab_url(iri), 303)


@vocab.post("/vocab/revert")
@role_required("taxonomist")
def revert() -> Response:
    """Revert a change of the history (as a new change)."""
    change = requested_iri(request.form.get("change", ""))
    try:
        _vocab().editor.revert(change, current_actor())
    except EditError as error:
        abort(
            409,
            description=_l("the change was not reverted: %(reason)s", reason=_reason(error)),
        )
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
        return _scheme_form(draft, slug, refusal_words(refused), scheme=None), 422
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
        errors = refusal_words(refused)
        form = _scheme_form(draft, vocabulary.slug, errors, scheme=view, version=version)
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
            errors = refusal_words(refused)
    page = render_template(
        "vocab_delete_scheme.html",
        vocabulary=vocabulary,
        title=vocabulary.title(reader_languages()),
        errors=errors,
    )
    return page, (422 if errors else 200)
