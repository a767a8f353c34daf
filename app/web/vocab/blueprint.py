"""The ``vocab`` blueprint, and what its browsing and editing routes share: the reader's
languages, the IRI a request names, and each vocabulary's or concept's own URL."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for

from app.domain.iris import InvalidIri, parse_iri
from app.domain.terms import NamedNode
from app.domain.vocab.languages import LanguagePreference
from app.domain.vocab.model import Vocabulary
from app.web.auth import current_user
from app.web.context import current_atrium
from app.web.i18n import current_language

vocab = Blueprint("vocab", __name__)


# --- helpers -------------------------------------------------------------------------------------


def _vocab():  # noqa: ANN202 - the service's Vocabularies
    return current_atrium().vocab


def reader_languages() -> LanguagePreference:
    """``?lang=`` first (any language labels have), then the interface's language (which
    sticks), then the browser's Accept-Language in order of preference."""
    asked = [request.args.get("lang", ""), current_language()]
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
