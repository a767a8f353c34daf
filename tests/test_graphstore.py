"""The GraphStore contract, checked against the embedded store and a real Oxigraph server.

Covers scoped reads (the SPARQL 1.1 Protocol dataset, ``default-graph-uri``), bound values that
cannot inject, atomic updates, the Graph Store Protocol operations (replace, dump, load) and
``substitute()`` on its own.
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize
from virtuoso_server import SparqlService, known_limitation

from app.storage import remote
from app.storage.graphstore import (
    VALUES_CHUNK,
    GraphStore,
    QuerySyntaxError,
    Scope,
    StoreError,
    substitute,
)
from app.storage.remote import RemoteStore

EX = "http://example.org/"
GRAPH_A = NamedNode(EX + "graph/a")
GRAPH_B = NamedNode(EX + "graph/b")
LABEL = NamedNode(EX + "label")
XSD_DATE = NamedNode("http://www.w3.org/2001/XMLSchema#date")

HOSTILE_VALUES = [
    'say "hi"',
    "it's",
    "line\nbreak\r\nand\ttab",
    "back\\slash \\n \\u0022 \\",
    "?x and $x and ?v",
    "# not a comment",
    "} closing brace {",
    '" } ; DROP ALL ; #',
    "' } ; DROP ALL ; #",
    '""" } ; CLEAR ALL ; """',
    "> ; DROP ALL",
    "Zürich 東京 🎉",
]

# SELECT *: the embedded store only takes bindings for projected variables (pyoxigraph follows
# SEP-0007), the remote one only for variables not projected: see
# test_a_bound_variable_need_not_be_projected.
SELECT_LABELLED = "SELECT * WHERE { ?s <http://example.org/label> ?label }"
INSERT_LABEL = "INSERT { GRAPH ?g { ?s <http://example.org/label> ?label } } WHERE {}"


def thing(name: str) -> NamedNode:
    return NamedNode(EX + "thing/" + name)


def labelled(name: str, label: str | Literal, graph: NamedNode) -> Quad:
    value = label if isinstance(label, Literal) else Literal(label)
    return Quad(thing(name), LABEL, value, graph)


def subjects(store: GraphStore, scope: Scope) -> set[str]:
    return {row["s"].value for row in store.select(SELECT_LABELLED, scope=scope)}


def all_quads(store: GraphStore) -> set[Quad]:
    rows = store.select(
        "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", scope=Scope.everything()
    )
    return {Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows}


@pytest.fixture
def two_graphs(graph_store: GraphStore) -> GraphStore:
    """A store with thing/a in graph A and thing/b in graph B."""
    graph_store.insert([labelled("a", "in A", GRAPH_A), labelled("b", "in B", GRAPH_B)])
    return graph_store


# --------------------------------------------------------------------------------------------
# Scopes
# --------------------------------------------------------------------------------------------


def test_a_scope_sees_only_its_graphs(two_graphs: GraphStore) -> None:
    assert subjects(two_graphs, Scope.of([GRAPH_B.value])) == {EX + "thing/b"}
    assert subjects(two_graphs, Scope.of([GRAPH_A.value])) == {EX + "thing/a"}


def test_a_scope_within_graphs_keeps_only_those_it_had() -> None:
    reader = Scope.of([GRAPH_A.value])
    assert reader.within([GRAPH_A.value, GRAPH_B.value]) == Scope.of([GRAPH_A.value])
    assert reader.within([GRAPH_B.value]) == Scope.of([])
    assert Scope.everything().within([GRAPH_B.value]) == Scope.of([GRAPH_B.value])


def test_a_scope_of_several_graphs_sees_their_union(two_graphs: GraphStore) -> None:
    scope = Scope.of([GRAPH_A.value, GRAPH_B.value])
    assert subjects(two_graphs, scope) == {EX + "thing/a", EX + "thing/b"}


def test_everything_sees_every_graph(two_graphs: GraphStore) -> None:
    assert subjects(two_graphs, Scope.everything()) == {EX + "thing/a", EX + "thing/b"}


def test_an_empty_scope_sees_nothing(two_graphs: GraphStore) -> None:
    nothing = Scope.of([])
    assert subjects(two_graphs, nothing) == set()
    count = two_graphs.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", scope=nothing)
    assert count[0]["n"].value == "0"
    assert two_graphs.ask("ASK { ?s ?p ?o }", scope=nothing) is False


def test_a_scope_of_an_unknown_graph_sees_nothing(two_graphs: GraphStore) -> None:
    assert subjects(two_graphs, Scope.of([EX + "graph/unknown"])) == set()


def test_graph_patterns_stay_within_the_scope(two_graphs: GraphStore) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    for scope in (Scope.of([GRAPH_B.value]), Scope.of([])):
        graphs = {row["g"].value for row in two_graphs.select(query, scope=scope)}
        assert graphs == set(scope.graphs or ())


# --------------------------------------------------------------------------------------------
# Bound values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_round_trip_through_bindings(graph_store: GraphStore, value: str) -> None:
    canary = labelled("canary", "still here", GRAPH_B)
    graph_store.insert([canary])
    for label in (Literal(value), Literal(value, language="en")):
        bindings = {"g": GRAPH_A, "s": thing("hostile"), "label": label}
        graph_store.update(INSERT_LABEL, bindings=bindings)

    found = graph_store.select(
        SELECT_LABELLED, scope=Scope.of([GRAPH_A.value]), bindings={"s": thing("hostile")}
    )
    assert {row["label"] for row in found} == {Literal(value), Literal(value, language="en")}
    matched = graph_store.select(
        SELECT_LABELLED, scope=Scope.everything(), bindings={"label": Literal(value)}
    )
    assert [row["s"] for row in matched] == [thing("hostile")]
    assert all_quads(graph_store) == {
        canary,
        labelled("hostile", value, GRAPH_A),
        labelled("hostile", Literal(value, language="en"), GRAPH_A),
    }


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_values_in_a_read_never_alter_the_store(two_graphs: GraphStore, value: str) -> None:
    before = all_quads(two_graphs)
    asked = two_graphs.ask(
        "ASK { ?s <http://example.org/label> ?label }",
        scope=Scope.everything(),
        bindings={"label": Literal(value)},
    )
    assert asked is False
    assert all_quads(two_graphs) == before


def test_a_bound_variable_need_not_be_projected(two_graphs: GraphStore) -> None:
    everything = Scope.everything()
    label = two_graphs.select(
        "SELECT ?label WHERE { ?s <http://example.org/label> ?label }",
        scope=everything,
        bindings={"s": thing("a")},
    )
    assert label == [{"label": Literal("in A")}]
    count = two_graphs.select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?label }",
        scope=everything,
        bindings={"label": Literal("in B")},
    )
    assert count[0]["n"].value == "1"


# --------------------------------------------------------------------------------------------
# Query forms and errors
# --------------------------------------------------------------------------------------------


def test_ask(two_graphs: GraphStore) -> None:
    query = "ASK { ?s ?p 'in A' }"
    assert two_graphs.ask(query, scope=Scope.of([GRAPH_A.value])) is True
    assert two_graphs.ask(query, scope=Scope.of([GRAPH_B.value])) is False


def test_construct(two_graphs: GraphStore) -> None:
    query = "CONSTRUCT { ?s <http://example.org/name> ?label } WHERE { ?s ?p ?label }"
    triples = two_graphs.construct(query, scope=Scope.of([GRAPH_A.value]))
    assert triples == [Triple(thing("a"), NamedNode(EX + "name"), Literal("in A"))]


def test_each_convenience_refuses_the_wrong_query_form(two_graphs: GraphStore) -> None:
    everything = Scope.everything()
    with pytest.raises(StoreError, match="CONSTRUCT"):
        two_graphs.construct("SELECT * WHERE { ?s ?p ?o }", scope=everything)
    with pytest.raises(StoreError, match="ASK"):
        two_graphs.ask("CONSTRUCT WHERE { ?s ?p ?o }", scope=everything)
    with pytest.raises(StoreError, match="SELECT"):
        two_graphs.select("ASK { ?s ?p ?o }", scope=everything)


def test_a_malformed_query_raises_query_syntax_error(two_graphs: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        two_graphs.select("SELECT ?s WHERE { ?s ?p }", scope=Scope.everything())
    assert str(raised.value)


def test_an_update_that_does_not_parse_changes_nothing(two_graphs: GraphStore) -> None:
    before = all_quads(two_graphs)
    update = f"INSERT DATA {{ GRAPH {GRAPH_A} {{ {thing('new')} {LABEL} 'new' }} }} ; NOT SPARQL"
    with pytest.raises(QuerySyntaxError):
        two_graphs.update(update)
    assert all_quads(two_graphs) == before


def test_an_update_that_fails_midway_changes_nothing(
    two_graphs: GraphStore, request: pytest.FixtureRequest
) -> None:
    known_limitation(
        request,
        "the operations of one update request are applied one by one: one that fails does not "
        "undo those before it (SPARQL 1.1 Protocol §2.2.1 wants the request applied as a whole)",
    )
    before = all_quads(two_graphs)
    update = f"INSERT DATA {{ GRAPH {GRAPH_A} {{ {thing('new')} {LABEL} 'new' }} }} ;"
    with pytest.raises(StoreError):
        two_graphs.update(f"{update} CREATE GRAPH {GRAPH_A}")  # A exists: an error
    assert all_quads(two_graphs) == before


# --------------------------------------------------------------------------------------------
# Whole graphs: replace, dump, load
# --------------------------------------------------------------------------------------------


def test_replace_graph_replaces_only_that_graph(two_graphs: GraphStore) -> None:
    two_graphs.insert([labelled("a2", "also in A", GRAPH_A)])
    two_graphs.replace_graph(GRAPH_A, [Triple(thing("new"), LABEL, Literal("new"))])
    assert all_quads(two_graphs) == {
        labelled("new", "new", GRAPH_A),
        labelled("b", "in B", GRAPH_B),
    }


def test_replace_graph_with_nothing_empties_it(two_graphs: GraphStore) -> None:
    two_graphs.replace_graph(GRAPH_A, [])
    assert all_quads(two_graphs) == {labelled("b", "in B", GRAPH_B)}
    assert two_graphs.graphs() == [GRAPH_B]


def test_the_write_count_of_some_graphs_moves_with_the_writes_that_may_reach_them(
    graph_store: GraphStore,
) -> None:
    store = graph_store
    a, b, under = f"{EX}graph/a", f"{EX}graph/b", f"{EX}graph/"
    counts = [lambda: store.write_count(), lambda: store.write_count(a)]
    counts += [lambda: store.write_count(b), lambda: store.write_count(under)]
    last = [count() for count in counts]

    def moved() -> tuple[bool, ...]:
        now = [count() for count in counts]
        answer = tuple(before != after for before, after in zip(last, now, strict=True))
        last[:] = now
        return answer

    store.insert([labelled("a", "in A", GRAPH_A)])
    assert moved() == (True, True, False, True), "an insert says where it writes"
    store.replace_graph(GRAPH_B, [Triple(thing("b"), LABEL, Literal("in B"))])
    assert moved() == (True, False, True, True)
    store.update(f'INSERT DATA {{ GRAPH {GRAPH_A} {{ {thing("c")} {LABEL} "c" }} }}')
    assert moved() == (True, True, True, True), "an update may write anywhere"
    store.update(f'INSERT DATA {{ GRAPH {GRAPH_B} {{ {thing("d")} {LABEL} "d" }} }}', graphs=[b])
    assert moved() == (True, False, True, True), "unless it names its graphs"
    store.change_quads([labelled("d", "d", GRAPH_B)], [labelled("e", "e", GRAPH_B)])
    assert moved() == (True, False, True, True), "a change of quads names them"
    assert labelled("e", "e", GRAPH_B) in all_quads(store)
    assert labelled("d", "d", GRAPH_B) not in all_quads(store)
    assert moved() == (False, False, False, False), "no write: no move"


def test_a_remote_store_counts_the_writes_of_every_process_and_hides_their_stamps(
    remote_service: SparqlService,
) -> None:
    """Another Atrium process's writes reach this one through the store: its write stamps."""
    mine, theirs = remote_service.store(), remote_service.store()
    mine.clear()
    a, b = f"{EX}graph/a", f"{EX}graph/b"
    before = mine.write_count(a), mine.write_count(b)
    theirs.insert([labelled("b", "in B", GRAPH_B)])
    assert (mine.write_count(a), mine.write_count(b)) != before
    assert mine.write_count(a) == before[0], "their write to B leaves what was read of A"
    assert mine.graphs() == [GRAPH_B], "the stamps are no graph of the store's"
    rows = mine.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", scope=Scope.everything())
    assert {row["g"] for row in rows} == {GRAPH_B}
    dump = io.BytesIO()
    mine.dump(dump)
    assert b"x-atrium" not in dump.getvalue()


def varied_quads() -> set[Quad]:
    return {
        labelled("plain", "plain", GRAPH_A),
        labelled("french", Literal("chat", language="fr"), GRAPH_A),
        labelled("regional", Literal("colour", language="en-GB"), GRAPH_B),
        labelled("date", Literal("2024-02-29", datatype=XSD_DATE), GRAPH_B),
        labelled("number", Literal(42), GRAPH_B),
        labelled("unicode", "Zürich, 東京, Ελλάδα 🎉", GRAPH_A),
        labelled("escapes", 'quote " backslash \\ newline \n tab \t', GRAPH_A),
        Quad(thing("plain"), NamedNode(EX + "seeAlso"), thing("date"), GRAPH_A),
    }


def test_dump_clear_load_gives_back_the_same_quads(graph_store: GraphStore, tmp_path: Path) -> None:
    quads = varied_quads()
    graph_store.insert(quads)
    dump_file = tmp_path / "backup.nq"
    with dump_file.open("wb") as output:
        graph_store.dump(output)
    assert set(parse(path=dump_file, format=RdfFormat.N_QUADS)) == quads

    graph_store.clear()
    assert graph_store.triple_count() == 0
    graph_store.load_dump(dump_file)
    assert all_quads(graph_store) == quads


@pytest.mark.remote
def test_remote_load_dump_sends_large_graphs_in_batches(
    remote_service: SparqlService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "LOAD_BATCH_TRIPLES", 2)
    quads = varied_quads()
    dump_file = tmp_path / "backup.nq"
    dump_file.write_bytes(serialize(quads, format=RdfFormat.N_QUADS))
    store = remote_service.store()
    store.clear()
    store.load_dump(dump_file)
    assert all_quads(store) == quads
    store.close()


def test_dump_writes_n_quads(two_graphs: GraphStore) -> None:
    output = io.BytesIO()
    two_graphs.dump(output)
    lines = sorted(output.getvalue().decode().splitlines())
    assert lines == [
        f'{thing("a")} {LABEL} "in A" {GRAPH_A} .',
        f'{thing("b")} {LABEL} "in B" {GRAPH_B} .',
    ]


# --------------------------------------------------------------------------------------------
# Counting and listing
# --------------------------------------------------------------------------------------------


def test_graphs_lists_the_graphs_that_hold_anything(two_graphs: GraphStore) -> None:
    assert set(two_graphs.graphs()) == {GRAPH_A, GRAPH_B}
    two_graphs.clear()
    assert two_graphs.graphs() == []


def test_triple_count_counts_every_graph(graph_store: GraphStore) -> None:
    assert graph_store.triple_count() == 0
    graph_store.insert(varied_quads())
    assert graph_store.triple_count() == len(varied_quads())


def test_bulk_insert_adds_what_insert_would(graph_store: GraphStore) -> None:
    graph_store.bulk_insert(varied_quads())
    assert all_quads(graph_store) == set(varied_quads())


def test_select_values_answers_for_every_term_past_one_chunk(graph_store: GraphStore) -> None:
    names = [f"n{number}" for number in range(VALUES_CHUNK * 2 + 7)]
    graph_store.insert([labelled(name, name, GRAPH_A) for name in names])
    query = "SELECT ?s ?label WHERE { VALUES ?s { {values} } ?s <http://example.org/label> ?label }"
    wanted = [thing(name) for name in names[1:]] + [thing(names[1]), thing("unknown")]
    rows = graph_store.select_values(query, wanted, scope=Scope.everything())
    assert sorted(row["label"].value for row in rows) == sorted(names[1:])


# --------------------------------------------------------------------------------------------
# Remote store only: failures of the service
# --------------------------------------------------------------------------------------------


def test_an_unreachable_service_is_a_store_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening
        store = RemoteStore(url, timeout=2)
        with pytest.raises(StoreError, match="cannot reach the SPARQL service at"):
            store.ask("ASK {}", scope=Scope.of([]))
        store.close()


def test_the_query_text_cannot_widen_a_scope(two_graphs: GraphStore) -> None:
    only_a = Scope.of([GRAPH_A.value])
    for query in (
        f"SELECT ?l FROM {GRAPH_B} WHERE {{ ?s {LABEL} ?l }}",
        f"SELECT ?l FROM NAMED {GRAPH_B} WHERE {{ GRAPH ?g {{ ?s {LABEL} ?l }} }}",
    ):
        assert {row["l"].value for row in two_graphs.select(query, scope=only_a)} <= {"in A"}
    nothing = Scope.of([])
    assert not two_graphs.ask(f"ASK {{ GRAPH ?g {{ ?s {LABEL} ?l }} }}", scope=nothing)


def test_a_virtuoso_pragma_is_not_sent(remote_service: SparqlService) -> None:
    store = remote_service.store()
    pragma = f"# a comment first\nDEFINE input:default-graph-uri {GRAPH_B} ASK {{ ?s ?p ?o }}"
    with pytest.raises(QuerySyntaxError, match="DEFINE"):
        store.ask(pragma, scope=Scope.of([GRAPH_A.value]))
    store.close()


@pytest.mark.remote
def test_a_service_error_names_the_status(remote_service: SparqlService) -> None:
    store = remote_service.store(query_path="/no-such-endpoint")
    with pytest.raises(StoreError, match="404"):
        store.ask("ASK {}", scope=Scope.of([]))
    store.close()


# --------------------------------------------------------------------------------------------
# substitute()
# --------------------------------------------------------------------------------------------


def test_substitute_replaces_both_variable_forms() -> None:
    text = substitute("SELECT * WHERE { ?s ?p $o }", {"s": thing("a"), "o": Literal("x")})
    assert text == f'SELECT * WHERE {{ {thing("a")} ?p "x" }}'


def test_substitute_leaves_strings_iris_and_comments_alone() -> None:
    sparql = (
        "SELECT * WHERE { ?x <http://ex.org/?x> '?x' . ?x ?p \"?x\" . "
        "?x ?q '''?x\n''' . ?x ?r \"\"\"?x\"\"\" } # ?x\n"
    )
    expected = sparql.replace("{ ?x <", "{ <urn:x> <").replace(". ?x ", ". <urn:x> ")
    assert substitute(sparql, {"x": NamedNode("urn:x")}) == expected


def test_substitute_only_replaces_whole_names() -> None:
    assert substitute("?x ?xy ?y", {"x": Literal(1)}) == (
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer> ?xy ?y'
    )


def test_substitute_escapes_literals() -> None:
    assert substitute("?v", {"v": Literal('a"b\n\\')}) == r'"a\"b\n\\"'


def test_substitute_without_bindings_returns_the_text() -> None:
    assert substitute("SELECT ?x {}", None) == "SELECT ?x {}"
    assert substitute("SELECT ?x {}", {}) == "SELECT ?x {}"


def test_substitute_refuses_blank_nodes() -> None:
    with pytest.raises(StoreError, match="blank node"):
        substitute("?b", {"b": BlankNode()})
