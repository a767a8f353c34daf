"""Every IRI Atrium mints, built in one place under the configured base IRI.

Assets live at ``{base}assets/{id}``; their file and renditions get IRIs under the asset's, so
an asset's record holds no blank node and can be read, replaced and deleted exactly. Shipped
vocabularies and shapes use relative IRIs, resolved against ``{base}vocab/``. Named graphs
partition the store by access scope (see :mod:`app.domain.people.access`).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from pyoxigraph import NamedNode

ASSET_ID = re.compile(r"^[0-9a-f]{16}$")
COLLECTION_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_IRI_LENGTH = 4096  # longer than any IRI a person or a vocabulary needs
WEB_SCHEMES = ("http", "https")


class InvalidIri(ValueError):
    """Text given as an IRI that is not an absolute IRI; the message says why."""


def parse_iri(text: str) -> NamedNode:
    """An absolute IRI given by a user (a request parameter, a form field) as a NamedNode.

    Checks the input once, at the edge: raises :class:`InvalidIri` (a ValueError) with a clear
    message for empty, relative, over-long or malformed text (spaces, ``<>``, quotes, control
    characters, braces, a bad percent escape); valid IRIs of any scheme pass.
    """
    if not text:
        raise InvalidIri("no IRI given")
    if len(text) > MAX_IRI_LENGTH:
        raise InvalidIri(f"the IRI is longer than {MAX_IRI_LENGTH} characters")
    try:
        return NamedNode(text)
    except ValueError as error:
        raise InvalidIri(f"not an absolute IRI: {error}") from None


def is_web_iri(iri: str) -> bool:
    """Whether ``iri`` is an http(s) IRI, the only kind Atrium ever renders as a link."""
    scheme, _, rest = iri.partition(":")
    return scheme.lower() in WEB_SCHEMES and rest.startswith("//") and len(rest) > 2


@dataclass(frozen=True)
class Iris:
    base: str

    @property
    def vocab_base(self) -> str:
        return f"{self.base}vocab/"

    def asset(self, asset_id: str) -> NamedNode:
        return NamedNode(f"{self.base}assets/{asset_id}")

    def asset_file(self, asset_id: str) -> NamedNode:
        return NamedNode(f"{self.base}assets/{asset_id}/file")

    def rendition(self, asset_id: str, kind: str) -> NamedNode:
        return NamedNode(f"{self.base}assets/{asset_id}/{kind}")

    def asset_version(self, asset_id: str, number: int) -> NamedNode:
        """One of the files an asset has had (:mod:`app.domain.assets.versions`)."""
        return NamedNode(f"{self.base}assets/{asset_id}/versions/{number}")

    def asset_id(self, iri: str) -> str | None:
        """The id of an asset IRI, or None when the IRI is not one of our assets."""
        prefix = f"{self.base}assets/"
        if not iri.startswith(prefix):
            return None
        candidate = iri[len(prefix) :]
        return candidate if ASSET_ID.match(candidate) else None

    def record_asset_id(self, iri: str) -> str | None:
        """The id of the asset whose record holds ``iri`` (the asset, its file, renditions…)."""
        prefix = f"{self.base}assets/"
        if not iri.startswith(prefix):
            return None
        candidate = iri[len(prefix) :].split("/", 1)[0]
        return candidate if ASSET_ID.match(candidate) else None

    def concept(self, relative: str) -> NamedNode:
        """A concept of a shipped vocabulary, e.g. ``concept("departments/hr")``."""
        return NamedNode(self.vocab_base + relative)

    def scheme(self, slug: str) -> NamedNode:
        """The main concept scheme of Atrium's vocabulary ``slug`` (``{base}vocab/{slug}``)."""
        return NamedNode(self.vocab_base + slug)

    def new_concept(self, scheme: NamedNode, slug: str, local: str, number: int = 1) -> NamedNode:
        """A concept minted in ``scheme``: ``{scheme}/{local}`` for Atrium's own schemes, else
        ``{base}vocab/{slug}/{local}``; ``-{number}`` added after the first candidate."""
        own_scheme = scheme.value.startswith(self.vocab_base)
        base = f"{scheme.value.rstrip('/')}/" if own_scheme else f"{self.vocab_base}{slug}/"
        return NamedNode(f"{base}{local}" if number == 1 else f"{base}{local}-{number}")

    def saved_query(self, name: str) -> NamedNode:
        """A saved query, also its page (``.csv``, ``.json``… added give its results)."""
        return NamedNode(f"{self.base}queries/{name}")

    def new_audit_event(self) -> NamedNode:
        return NamedNode(f"{self.base}audit/{uuid.uuid4()}")

    def new_change_entry(self) -> NamedNode:
        """One entry of the change feed that other processes follow (search/change_feed.py)."""
        return NamedNode(f"{self.base}changes/{uuid.uuid4()}")

    def new_vocab_change(self) -> NamedNode:
        """One entry of the vocabularies' change history."""
        return NamedNode(f"{self.base}history/vocab/{uuid.uuid4()}")

    @property
    def genid_base(self) -> str:
        """Where blank nodes of imported files are skolemised (RDF 1.1 §3.5)."""
        return f"{self.base}.well-known/genid/"

    def user(self, name: str) -> NamedNode:
        return NamedNode(f"{self.base}users/{name}")

    def agent(self, name: str) -> NamedNode:
        """An actor of the audit trail that is not a user (an anonymous reader, a service):
        outside ``users/``, so no user name can ever stand for it."""
        return NamedNode(f"{self.base}agents/{name}")

    def agent_name(self, iri: str) -> str | None:
        """The name of an :meth:`agent` IRI; None when the IRI is not one."""
        prefix = f"{self.base}agents/"
        return iri[len(prefix) :] if iri.startswith(prefix) else None

    def user_name(self, iri: str) -> str | None:
        """The name of a :meth:`user` IRI; None when the IRI is not one."""
        prefix = f"{self.base}users/"
        return iri[len(prefix) :] if iri.startswith(prefix) else None

    @property
    def users_graph(self) -> NamedNode:
        return self.graph("users")

    @property
    def audit_graph(self) -> NamedNode:
        return self.graph("audit")

    @property
    def changes_graph(self) -> NamedNode:
        return self.graph("changes")

    def graph(self, name: str) -> NamedNode:
        return NamedNode(f"{self.base}graphs/{name}")

    @property
    def ontology_graph(self) -> NamedNode:
        return self.graph("ontology")

    def vocab_graph(self, slug: str) -> NamedNode:
        return self.graph(f"vocab/{slug}")

    def is_vocab_graph(self, graph: str) -> bool:
        return graph.startswith(f"{self.base}graphs/vocab/")

    def shapes_graph(self, name: str) -> NamedNode:
        """The core shape (``core``) or a department's profile (its notation)."""
        return self.graph(f"shapes/{name}")

    def is_shapes_graph(self, graph: str) -> bool:
        return graph.startswith(f"{self.base}graphs/shapes/")

    def asset_graph(self, access: str, department: str) -> NamedNode:
        """The graph that holds assets of one access level (restricted: per department)."""
        if access == "restricted":
            return self.graph(f"assets/restricted/{department}")
        return self.graph(f"assets/{access}")

    def results_graph(self, access: str, department: str) -> NamedNode:
        """The graph of the results observed for an asset: never public (business data), so
        a public asset's results sit with the internal ones; restricted: per department."""
        if access == "restricted":
            return self.graph(f"results/restricted/{department}")
        return self.graph("results/internal")

    def is_results_graph(self, graph: str) -> bool:
        return graph.startswith(f"{self.base}graphs/results/")

    def observation(self, key: str) -> NamedNode:
        return NamedNode(f"{self.base}results/{key}")

    @property
    def results_dataset(self) -> NamedNode:
        return NamedNode(f"{self.base}results")

    def is_asset_graph(self, graph: str) -> bool:
        return graph.startswith(f"{self.base}graphs/assets/")

    # Collections (app/domain/collections/) ---------------------------------------------------

    def collection(self, collection_id: str) -> NamedNode:
        return NamedNode(f"{self.base}collections/{collection_id}")

    def collection_id(self, iri: str) -> str | None:
        """The id of a collection IRI, or None when the IRI is not one of our collections."""
        prefix = f"{self.base}collections/"
        if not iri.startswith(prefix):
            return None
        candidate = iri[len(prefix) :]
        return candidate if COLLECTION_ID.match(candidate) else None

    def collection_item(self, collection_id: str, member: NamedNode) -> NamedNode:
        """The list item placing ``member`` in a collection: named after the member, not its
        position, so its IRI says nothing of the members a reader may not see."""
        digest = hashlib.sha256(member.value.encode("utf-8")).hexdigest()[:16]
        return NamedNode(f"{self.base}collections/{collection_id}/items/{digest}")

    def collection_graph(self, visibility: str, holder: str) -> NamedNode:
        """The graph of a collection's description: ``public``, or ``department`` (holder: its
        notation) or ``personal`` (holder: the owner's user name)."""
        if visibility == "public":
            return self.graph("collections/public")
        if "/" in holder or not holder:
            raise ValueError(f"no {visibility} collection graph for {holder!r}")
        return self.graph(f"collections/{visibility}/{holder}")

    def is_collection_graph(self, graph: str) -> bool:
        return graph.startswith(f"{self.base}graphs/collections/")

    def membership_graph(self, collection_graph: NamedNode, member_graph: NamedNode) -> NamedNode:
        """The graph of the statements placing members stored in ``member_graph`` (an asset
        graph, or another collection's graph) in collections described in
        ``collection_graph``: a reader sees it exactly when they see both."""
        prefix = f"{self.base}graphs/"
        outer, inner = collection_graph.value, member_graph.value
        if not (outer.startswith(prefix) and inner.startswith(prefix)):
            raise ValueError("membership graphs pair two of Atrium's graphs")
        return self.graph(f"members/{outer[len(prefix) :]}/{inner[len(prefix) :]}")

    def is_membership_graph(self, graph: str) -> bool:
        return graph.startswith(f"{self.base}graphs/members/")
