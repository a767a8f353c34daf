"""Users' public profiles as linked data: what ``{base}users/{name}`` dereferences to.

The profile is the FOAF / W3C ORG description :class:`app.domain.people.users.UserStore` mirrors
into the users graph; it shows to whoever may see that graph (signed-in readers).
"""

from __future__ import annotations

from pyoxigraph import Triple

from app.domain.iris import Iris
from app.domain.people.users import USER_NAME
from app.storage.graphstore import GraphStore, Scope

_PROFILE = "CONSTRUCT { ?user ?p ?o } WHERE { ?user ?p ?o }"


def profile(store: GraphStore, iris: Iris, name: str, scope: Scope) -> list[Triple]:
    """The user's public profile, as ``scope`` may see it ([] for an unknown or hidden user)."""
    if not USER_NAME.match(name):
        return []
    return store.construct(_PROFILE, scope=scope, bindings={"user": iris.user(name)})
