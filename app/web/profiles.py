"""``/users/<name>``: a user's public profile IRI dereferences (HTML, or RDF by negotiation).

Signed-in readers see profiles; to anyone else a profile answers 404, like one that does not
exist.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from app.domain.people.profiles import profile
from app.namespaces import DAM
from app.web.context import current_atrium, current_scope
from app.web.negotiation import negotiated

profiles = Blueprint("profiles", __name__)
FOAF_NICK = "http://xmlns.com/foaf/0.1/nick"
ORG_MEMBER_OF = "http://www.w3.org/ns/org#memberOf"


@profiles.get("/users/<name>")
def show(name: str) -> Response:
    """The profile page for a browser; Turtle, JSON-LD, N-Triples or RDF/XML for RDF clients."""
    atrium = current_atrium()
    triples = profile(atrium.store, atrium.iris, name, current_scope())
    if not triples:
        abort(404)
    return negotiated(lambda: triples, lambda: _page(triples))


def _page(triples: list) -> str:
    values: dict[str, list[str]] = {}
    for triple in triples:
        values.setdefault(triple.predicate.value, []).append(triple.object.value)
    return render_template(
        "profile.html",
        name=values.get(FOAF_NICK, [""])[0],
        role=values.get(DAM.role.value, [""])[0],
        departments=sorted(values.get(ORG_MEMBER_OF, [])),
    )
