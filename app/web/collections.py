"""``/collections``: the collection pages and forms, and ``/api/collections``: the same as JSON.

A thin layer over :mod:`app.domain.collections`: every read goes through the reader's scope,
so a collection or member they may not see answers 404 like one that does not exist. Forms
carry the CSRF token (checked for every unsafe request, :func:`app.web.auth.check_csrf`); the
API takes a Bearer token, or the session cookie with the ``X-CSRF-Token`` header.

The API (stable, documented in the README):

- ``GET /api/collections``: ``{"collections": [{"id", "iri", "title", "visibility", "owner",
  "counts": {"assets", "collections"}}]}``; ``POST`` ``{"title", "description", "visibility",
  "department"}`` makes one (201, the collection);
- ``GET /api/collections/<id>``: the collection with its ``members`` (``iri``, ``kind``, ``id``,
  ``title``, ``position``) and ``version``; ``PATCH`` changes ``title``, ``description``,
  ``visibility``, ``department``; ``DELETE`` deletes it (204);
- ``POST /api/collections/<id>/members`` ``{"members": [IRI or id, …]}`` adds them at the end,
  ``DELETE`` with the same body takes them out, ``PUT`` ``{"members": [...]}`` is the new order.

Every change may send ``"version"`` (or ``If-Match``): if the collection changed since, 409 and
nothing is stored. Bad input answers 400, a cycle 400, a collection of someone else 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from app.domain.collections import (
    VISIBILITIES,
    Changes,
    CollectionConflict,
    CollectionError,
    CollectionForbidden,
    CollectionNotFound,
    CollectionRefused,
    Collections,
)
from app.domain.iris import COLLECTION_ID
from app.web.auth import answers_anonymous_itself, current_user
from app.web.context import current_atrium, current_reader, current_scope
from app.web.i18n import current_language, localized
from app.web.i18n import lazy_text as _l
from app.web.negotiation import negotiated
from app.web.refusals import problems_said

collections = Blueprint("collections", __name__)

# What each method of ``/api/collections/<id>/members`` does with the members it is sent
_MEMBER_CHANGES = {
    "POST": Collections.add,
    "DELETE": Collections.remove,
    "PUT": Collections.reorder,
}


# Pages --------------------------------------------------------------------------------------


@collections.get("/collections")
def index() -> str:
    """The reader's own collections and the others they may see."""
    atrium, scope, user = current_atrium(), current_scope(), current_user()
    visible = atrium.collections.list(scope)
    mine = [c for c in visible if user is not None and c.owner == user.name]
    others = [c for c in visible if c not in mine]
    return render_template(
        "collections.html",
        mine=mine,
        others=others,
        visibilities=list(VISIBILITIES),
        departments=sorted(user.departments) if user else [],
        error=None,
    )


@collections.post("/collections")
@answers_anonymous_itself
def create() -> Response | tuple[str, int]:
    """Make a collection from the form."""
    _signed_in()
    form = request.form
    with collection_refusals():
        collection_id = current_atrium().collections.create(
            current_reader(),
            form.get("title", ""),
            form.get("description", ""),
            form.get("visibility", "personal"),
            form.get("department") or None,
        )
    return redirect(url_for("collections.page", collection_id=collection_id))


@collections.get("/collections/<collection_id>")
def page(collection_id: str) -> Response:
    """The collection's page (its members in order, nested collections, counts, the owner's
    forms), or its RDF for RDF clients."""
    atrium, scope = current_atrium(), current_scope()
    collection = _visible(collection_id)
    return negotiated(
        lambda: atrium.collections.triples(collection_id, scope),
        lambda: _page(collection),
    )


def _page(collection, message: object = None) -> str:  # noqa: ANN001 - a Collection
    atrium, scope, user = current_atrium(), current_scope(), current_user()
    vocabulary = atrium.search.concept_lookup(scope)
    ids = [m.id for m in collection.assets]
    cards = {c.asset_id: c for c in atrium.search.cards(ids, scope, vocabulary, current_language())}
    own = atrium.collections.list(scope, owner=user.name) if user and collection.may_edit else []
    return render_template(
        "collection.html",
        collection=collection,
        cards=cards,
        nested=[c for c in own if c.id != collection.id],
        counts={c.id: c for c in atrium.collections.list(scope)} if collection.collections else {},
        visibilities=list(VISIBILITIES),
        departments=sorted(user.departments) if user else [],
        message=message,
    )


@collections.post("/collections/<collection_id>/edit")
@answers_anonymous_itself
def edit(collection_id: str) -> Response | tuple[str, int]:
    """Change the title, description or visibility (the owner, admins)."""
    _signed_in()
    form = request.form
    changes = Changes(
        title=form.get("title"),
        description=form.get("description"),
        visibility=form.get("visibility") or None,
        department=form.get("department") or None,
    )
    return _form_change(
        collection_id,
        lambda c, version: c.update(
            collection_id, current_reader(), current_scope(), changes, expected_version=version
        ),
    )


@collections.post("/collections/<collection_id>/delete")
@answers_anonymous_itself
def delete(collection_id: str) -> Response | tuple[str, int]:
    """Delete the collection (its members stay), once confirmed."""
    _signed_in()
    if request.form.get("confirm") != "yes":
        abort(400, description=_l("tick the box to confirm that the collection should go"))
    with collection_refusals():
        current_atrium().collections.delete(
            collection_id,
            current_reader(),
            current_scope(),
            expected_version=request.form.get("version") or None,
        )
    return redirect(url_for("collections.index"))


@collections.post("/collections/<collection_id>/members")
@answers_anonymous_itself
def add(collection_id: str) -> Response | tuple[str, int]:
    """Add an asset or a collection (by id or IRI) at the end."""
    _signed_in()
    return _form_members_change(collection_id, Collections.add)


@collections.post("/collections/add")
@answers_anonymous_itself
def add_to() -> Response | tuple[str, int]:
    """Add a member to the collection chosen in the form (the asset page's block)."""
    _signed_in()
    collection_id = request.form.get("collection", "")
    if not COLLECTION_ID.match(collection_id):
        abort(400, description=_l("choose one of your collections"))
    return add(collection_id)


@collections.post("/collections/<collection_id>/members/remove")
@answers_anonymous_itself
def remove(collection_id: str) -> Response | tuple[str, int]:
    """Take a member out."""
    _signed_in()
    return _form_members_change(collection_id, Collections.remove)


@collections.post("/collections/<collection_id>/move")
@answers_anonymous_itself
def move(collection_id: str) -> Response | tuple[str, int]:
    """Move a member one place up or down."""
    _signed_in()
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400, description=_l("direction must be up or down"))
    return _form_change(
        collection_id,
        lambda c, version: c.move(
            collection_id, current_reader(), current_scope(), _form_members()[0], offset
        ),
    )


def _form_change(collection_id: str, change: Callable) -> Response | tuple[str, int]:
    version = request.form.get("version") or None
    try:
        with collection_refusals(conflicts=False):
            change(current_atrium().collections, version)
    except CollectionConflict as conflict:
        return _page(_visible(collection_id), localized(conflict)), 409
    target = _safe_next(request.form.get("next", ""))
    return redirect(target or url_for("collections.page", collection_id=collection_id))


def _form_members_change(collection_id: str, change: Callable) -> Response | tuple[str, int]:
    """Add or take out (``change``: ``Collections.add`` or ``remove``) the form's members."""
    members, reader, scope = _form_members(), current_reader(), current_scope()
    return _form_change(
        collection_id,
        lambda c, seen: change(c, collection_id, reader, scope, members, expected_version=seen),
    )


def _form_members() -> list:
    references = [m for m in request.form.getlist("member") if m.strip()]
    if not references:
        abort(400, description=_l("choose an asset or a collection"))
    with collection_refusals():
        return [current_atrium().collections.reference(m) for m in references]


# The asset page's block ------------------------------------------------------------------------


@collections.app_context_processor
def _helpers() -> dict[str, object]:
    return {"asset_collections": asset_collections}


def asset_collections(asset_id: str) -> dict[str, object]:
    """For the asset page: the collections it is in that the reader sees, and the reader's
    own collections it could go into."""
    atrium, scope, user = current_atrium(), current_scope(), current_user()
    holding = atrium.collections.containing(atrium.iris.asset(asset_id), scope)
    mine = atrium.collections.list(scope, owner=user.name) if user is not None else []
    inside = {cid for cid, _ in holding}
    return {
        "holding": holding,
        "choices": [c for c in mine if c.id not in inside],
        "signed_in": user is not None,
    }


# JSON API --------------------------------------------------------------------------------------


@collections.get("/api/collections")
def api_list() -> Response:
    """The collections the caller sees."""
    found = current_atrium().collections.list(current_scope())
    return jsonify({"collections": [c.as_json() for c in found]})


@collections.post("/api/collections")
@answers_anonymous_itself
def api_create() -> tuple[Response, int]:
    """Make a collection."""
    _signed_in()
    body = _json_body()
    with collection_refusals():
        collection_id = current_atrium().collections.create(
            current_reader(),
            body.get("title"),
            body.get("description", ""),
            body.get("visibility", "personal"),
            body.get("department"),
        )
    return jsonify(_visible(collection_id).as_json()), 201


@collections.get("/api/collections/<collection_id>")
def api_get(collection_id: str) -> Response:
    """One collection with its members, as the caller sees it."""
    return jsonify(_visible(collection_id).as_json())


@collections.patch("/api/collections/<collection_id>")
@answers_anonymous_itself
def api_update(collection_id: str) -> Response:
    """Change the title, description or visibility."""
    _signed_in()
    body = _json_body()
    changes = Changes(
        title=body.get("title"),
        description=body.get("description"),
        visibility=body.get("visibility"),
        department=body.get("department"),
    )
    with collection_refusals():
        current_atrium().collections.update(
            collection_id,
            current_reader(),
            current_scope(),
            changes,
            expected_version=_version(body),
        )
    return jsonify(_visible(collection_id).as_json())


@collections.delete("/api/collections/<collection_id>")
@answers_anonymous_itself
def api_delete(collection_id: str) -> tuple[str, int]:
    """Delete a collection."""
    _signed_in()
    body = _json_body(optional=True)
    with collection_refusals():
        current_atrium().collections.delete(
            collection_id, current_reader(), current_scope(), expected_version=_version(body)
        )
    return "", 204


@collections.route("/api/collections/<collection_id>/members", methods=["POST", "DELETE", "PUT"])
@answers_anonymous_itself
def api_members(collection_id: str) -> Response:
    """Add (POST), take out (DELETE) or reorder (PUT) members."""
    _signed_in()
    body = _json_body()
    raw = body.get("members")
    if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
        abort(400, description='send {"members": [IRI or id, …]}')
    atrium, reader, scope = current_atrium(), current_reader(), current_scope()
    with collection_refusals():
        members = [atrium.collections.reference(m) for m in raw]
        version = _version(body)
        change = _MEMBER_CHANGES[request.method]
        change(atrium.collections, collection_id, reader, scope, members, expected_version=version)
    return jsonify(_visible(collection_id).as_json())


# Helpers -------------------------------------------------------------------------------------


def _visible(collection_id: str):  # noqa: ANN202 - a Collection
    if not COLLECTION_ID.match(collection_id):
        abort(404)
    try:
        return current_atrium().collections.get(collection_id, current_reader(), current_scope())
    except CollectionNotFound:
        abort(404)


def _signed_in() -> None:
    if current_user() is None:
        if request.path.startswith("/api/"):
            abort(401, description="sign in or send an API token")
        abort(401, description=_l("sign in to make or change collections"))


def _json_body(*, optional: bool = False) -> dict:
    body = request.get_json(silent=True)
    if body is None and optional and not request.get_data():
        return {}
    if not isinstance(body, dict):
        abort(400, description="send a JSON object (Content-Type: application/json)")
    return body


def _version(body: dict) -> str | None:
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        abort(400, description="version must be the text the collection's GET gave")
    if version is None and request.if_match:
        tags = list(request.if_match)
        version = tags[0] if tags else None
    return version


@contextmanager
def collection_refusals(*, conflicts: bool = True) -> Iterator[None]:
    """The domain's refusals as HTTP answers in the reader's language: 404, 403, 409, else
    400 (``conflicts=False``: a conflict is left to the caller)."""
    try:
        yield
    except CollectionNotFound:
        abort(404)
    except CollectionForbidden as error:
        abort(403, description=localized(error))
    except CollectionConflict as error:
        if not conflicts:
            raise
        abort(409, description=localized(error))
    except CollectionRefused as error:
        abort(400, description=problems_said(error.problems))
    except CollectionError as error:
        abort(400, description=localized(error))


def _safe_next(target: str) -> str:
    """Only a path on this site (the asset page a form came from)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""
