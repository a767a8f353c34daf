"""The in-memory label index answers /api/concepts as the SPARQL matcher does, and is never stale.

The embedded store looks labels up in memory (app/domain/vocab/label_index.py); a remote store
asks SPARQL. Both must offer the same concepts in the same order, for every field filter.
"""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad
from vocab_helpers import VOCAB_DATA, import_file

from app.domain.vocab.languages import LanguagePreference
from app.namespaces import SKOS
from app.service import Atrium
from app.storage.graphstore import Scope

PREFIXES = ["r", "re", "red", "b", "bl", "dark", "ro", "ver", "x", "light b", "  RED "]


def answers(atrium: Atrium, typed: str, *, indexed: bool, **options) -> list[tuple]:  # noqa: ANN003
    autocomplete = atrium.vocab.autocomplete
    if not indexed:
        saved, autocomplete.labels.current = autocomplete.labels.current, lambda: None
    try:
        found = autocomplete.suggest(typed, LanguagePreference.of(["de"]), **options)
    finally:
        if not indexed:
            autocomplete.labels.current = saved
    return [(s.iri, s.label, s.matched, s.kind, s.vocabulary, s.replaces) for s in found]


@pytest.fixture
def colours(atrium: Atrium) -> Atrium:
    assert import_file(atrium, VOCAB_DATA / "clean.ttl").stored
    return atrium


@pytest.mark.parametrize("typed", PREFIXES)
def test_the_index_and_sparql_offer_the_same_concepts_in_the_same_order(colours, typed) -> None:  # noqa: ANN001
    sparql = answers(colours, typed, indexed=False, limit=50)
    assert answers(colours, typed, indexed=True, limit=50) == sparql
    if typed.strip() in ("r", "re", "red", "b", "bl"):
        assert sparql, f"the test vocabulary should match {typed!r}"


@pytest.mark.parametrize("name", ["subject", "rights", "audience"])
def test_field_filters_agree(colours, name: str) -> None:  # noqa: ANN001
    field = colours.vocab.autocomplete.field(name)
    offered = 0
    for typed in ("r", "c", "m", "h", "t", "a", "s", "p", "e"):
        sparql = answers(colours, typed, indexed=False, field=field, limit=50)
        assert answers(colours, typed, indexed=True, field=field, limit=50) == sparql
        offered += len(sparql)
    assert offered, f"nothing offered for {name}: the comparison would prove nothing"


def test_a_label_added_is_offered_at_the_next_keystroke(colours) -> None:  # noqa: ANN001
    assert answers(colours, "zinnober", indexed=True) == []
    before = answers(colours, "zi", indexed=True)  # a short prefix: its answer is kept
    concept = NamedNode(answers(colours, "red", indexed=True)[0][0])
    graph = next(g for g in colours.vocab.catalogue.graphs() if has(colours, g, concept))
    colours.store.insert([Quad(concept, SKOS.altLabel, Literal("Zinnober", language="de"), graph)])
    assert [a[0] for a in answers(colours, "zinn", indexed=True)] == [concept.value]
    after = answers(colours, "zi", indexed=True)  # but not past a write
    assert concept.value in [a[0] for a in after] and after != before


def has(atrium: Atrium, graph: NamedNode, concept: NamedNode) -> bool:
    return atrium.store.ask(f"ASK {{ <{concept.value}> ?p ?o }}", scope=Scope.of([graph.value]))
