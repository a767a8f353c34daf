"""Every IRI Atrium mints, built in one place under the configured base IRI.

Assets live at ``{base}assets/{id}``; their file and renditions get IRIs under the asset's, so
an asset's record holds no blank node and can be read, replaced and deleted exactly. Shipped
vocabularies and shapes use relative IRIs, resolved against ``{base}vocab/``. Named graphs
partition the store by access scope (see :mod:`app.domain.access`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import NamedNode

ASSET_ID = re.compile(r"^[0-9a-f]{16}$")
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

    def asset_id(self, iri: str) -> str | None:
        """The id of an asset IRI, or None when the IRI is not one of our assets."""
        prefix = f"{self.base}assets/"
        if not iri.startswith(prefix):
            return None
        candidate = iri[len(prefix) :]
        return candidate if ASSET_ID.match(candidate) else None

    def concept(self, relative: str) -> NamedNode:
        """A concept of a shipped vocabulary, e.g. ``concept("departments/hr")``."""
        return NamedNode(self.vocab_base + relative)

    def user(self, name: str) -> NamedNode:
        return NamedNode(f"{self.base}users/{name}")

    @property
    def users_graph(self) -> NamedNode:
        return self.graph("users")

    @property
    def audit_graph(self) -> NamedNode:
        return self.graph("audit")

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
