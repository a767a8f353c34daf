"""Editing concept schemes: create, save and delete a whole vocabulary."""

from __future__ import annotations

import re

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.vocab.catalogue import RESERVED_SLUGS
from app.domain.vocab.drafts import SchemeDraft
from app.domain.vocab.editor_base import (
    EMPTY_SCHEME,
    EditorBase,
    Refused,
    _refuse_if,
    _replace_managed,
)
from app.domain.vocab.hierarchy import quads
from app.domain.vocab.history import (
    CREATED_SCHEME,
    DELETED_SCHEME,
    EDITED_SCHEME,
    QUOTED,
    WITHOUT_A_NAME,
    Actor,
    Change,
)
from app.messages import MN_
from app.namespaces import DCT, RDF, SKOS
from app.storage.graphstore import Scope

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class SchemeEditor(EditorBase):
    """Whole vocabularies: their scheme's titles and descriptions, creation and deletion."""

    def create_scheme(self, slug: str, draft: SchemeDraft, actor: Actor) -> NamedNode:
        """A new, empty vocabulary with its scheme at ``{base}vocab/{slug}``."""
        draft = draft.cleaned()
        problems = draft.problems()
        if not SLUG.match(slug) or slug in RESERVED_SLUGS:
            problems.setdefault("slug", []).append(
                "use lower-case letters, digits and hyphens (not a word the site uses)"
            )
        elif self.catalogue.get(slug) is not None:
            problems.setdefault("slug", []).append(f"a vocabulary named {slug!r} exists already")
        _refuse_if(problems)
        with self._lock:
            scheme = self.iris.scheme(slug)
            graph = self.iris.vocab_graph(slug)
            said = str(CREATED_SCHEME(scheme=_title(draft)))
            change = Change("created scheme", said, [scheme])
            statements = [
                Triple(scheme, RDF.type, SKOS.ConceptScheme),
                *_scheme_statements(scheme, draft),
            ]
            change.added += quads(statements, graph)
            self._apply(change, actor, tolerated=(EMPTY_SCHEME,))
            return scheme

    def save_scheme(
        self, scheme: NamedNode, draft: SchemeDraft, version: str, actor: Actor
    ) -> None:
        with self._lock:
            graph = self.graph_of(scheme)
            self._check_version(scheme, graph, version)
            draft = draft.cleaned()
            _refuse_if(draft.problems())
            own, _ = self._statements(scheme, graph)
            managed_now = [
                t
                for t in own
                if t.predicate in (SKOS.prefLabel, DCT.description)
                and isinstance(t.object, Literal)
            ]
            said = str(EDITED_SCHEME(scheme=_title(draft)))
            change = Change("edited scheme", said, [scheme])
            _replace_managed(change, graph, scheme, managed_now, _scheme_statements(scheme, draft))
            self._apply(change, actor)

    def delete_scheme(self, scheme: NamedNode, actor: Actor) -> None:
        """Delete a whole vocabulary, when no asset uses any of its concepts."""
        with self._lock:
            graph = self.graph_of(scheme)
            used = self.usage.in_vocabulary(graph)
            if used:
                raise Refused(
                    {
                        "delete": [
                            MN_(
                                "%(count)s asset is tagged with its concepts: merge or deprecate "
                                "them first",
                                "%(count)s assets are tagged with its concepts: merge or "
                                "deprecate them first",
                                count=used,
                            )
                        ]
                    }
                )
            triples = self.store.construct(
                "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                scope=Scope.everything(),
                bindings={"g": graph},
            )
            said = str(DELETED_SCHEME(graph=graph.value))
            change = Change("deleted scheme", said, [scheme])
            change.removed += quads(triples, graph)
            self._apply(change, actor)


def _scheme_statements(scheme: NamedNode, draft: SchemeDraft) -> list[Triple]:
    return [
        *(Triple(scheme, SKOS.prefLabel, Literal(t, language=lang)) for lang, t in draft.titles),
        *(
            Triple(scheme, DCT.description, Literal(t, language=lang))
            for lang, t in draft.descriptions
        ),
    ]


def _title(draft: SchemeDraft) -> str:
    return str(QUOTED(label=draft.titles[0][1])) if draft.titles else str(WITHOUT_A_NAME)
