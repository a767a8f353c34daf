"""H1: a reader's SPARQL cannot bring the server down.

A viewer who saved a query of ``SELECT * WHERE`` and 2,500 nested ``{ }`` killed the server:
pyoxigraph's parser overflowed the stack of the web thread. Now nothing parses a reader's SPARQL
in the server process (saved queries are parsed by the query workers), and a query's nesting and
size are bounded before any parser sees it, with a 400 that says the limit.
"""

from __future__ import annotations

import re

import pyoxigraph
import pytest
import requests
from conftest import add_user, http_sign_in

from app.domain.sparql import saved_queries
from app.domain.sparql import text as sparql_text
from app.domain.sparql.saved_queries import SavedQuery, SavedQueryError
from app.domain.sparql.text import MAX_NESTING, MAX_TEXT_BYTES, QueryRefused, nesting_depth
from app.service import Atrium
from app.storage.graphstore import QuerySyntaxError
from app.storage.query_jobs import ParseJob

TIMEOUT = 60  # seconds, for one HTTP request
CRASH_DEPTH = 20_000  # far past the ~3,000 levels of { } at which pyoxigraph's parser crashes


def nested(depth: int) -> str:
    """The query of the report: ``SELECT * WHERE`` and ``depth`` nested ``{ }``."""
    return "SELECT * WHERE " + "{ " * depth + "}" * depth


def deepest_valid(parameter: str = "?department") -> str:
    """A valid query nested exactly MAX_NESTING deep: groups, a FILTER, brackets in it."""
    groups = MAX_NESTING - 2  # FILTER( and BOUND( add two levels
    return (
        "PREFIX dam: <https://w3id.org/atrium/ns#>\n"
        "SELECT ?asset WHERE "
        + "{ " * groups
        + f"?asset a dam:Asset ; dam:department {parameter} FILTER(BOUND(?asset)) "
        + "}" * groups
    )


def viewer(atrium: Atrium, base: str) -> requests.Session:
    return http_sign_in(base, add_user(atrium, "viewer"))


def save_form(session: requests.Session, base: str, name: str, sparql: str) -> requests.Response:
    form = session.get(f"{base}/queries/new", timeout=TIMEOUT).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    fields = {"csrf_token": token, "name": name, "title": name, "sparql": sparql}
    return session.post(f"{base}/queries", data=fields, allow_redirects=False, timeout=TIMEOUT)


def still_answers(base: str) -> None:
    assert requests.get(f"{base}/queries", timeout=TIMEOUT).status_code == 200
    answer = requests.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.json()["boolean"] is True


# Over HTTP ----------------------------------------------------------------------------------


def test_h1_a_viewer_saving_a_deeply_nested_query_gets_a_400(site) -> None:
    atrium, base = site
    session = viewer(atrium, base)
    response = save_form(session, base, "deep", nested(2500))
    assert response.status_code == 400
    assert "2,500 levels deep" in response.text and f"at most {MAX_NESTING}" in response.text
    still_answers(base)
    assert atrium.saved_queries.all() == []


@pytest.mark.parametrize("method", ["GET", "form POST", "direct POST"])
def test_h1_a_deeply_nested_query_on_the_endpoint_gets_a_400(site, method: str) -> None:
    atrium, base = site
    session, query = viewer(atrium, base), nested(2500)
    if method == "GET":
        response = session.get(f"{base}/sparql", params={"query": query}, timeout=TIMEOUT)
    elif method == "form POST":
        response = session.post(f"{base}/sparql", data={"query": query}, timeout=TIMEOUT)
    else:
        headers = {"Content-Type": "application/sparql-query"}
        response = session.post(f"{base}/sparql", data=query, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "2,500 levels deep" in response.text
    still_answers(base)


def test_h1_a_query_too_big_gets_a_400(site) -> None:
    atrium, base = site
    query = "SELECT * WHERE { }" + " " * MAX_TEXT_BYTES
    response = requests.post(f"{base}/sparql", data={"query": query}, timeout=TIMEOUT)
    assert response.status_code == 400 and f"at most {MAX_TEXT_BYTES:,} bytes" in response.text
    response = save_form(viewer(atrium, base), base, "big", query)
    assert response.status_code == 400 and "bytes long" in response.text


def test_h1_a_query_at_the_deepest_allowed_nesting_saves_and_runs(site) -> None:
    atrium, base = site
    assert nesting_depth(deepest_valid()) == MAX_NESTING
    session = viewer(atrium, base)
    response = save_form(session, base, "deepest", deepest_valid())
    assert response.status_code == 302, response.text
    assert atrium.saved_queries.get("deepest").parameters == ["department"]
    results = session.get(f"{base}/queries/deepest.csv", timeout=TIMEOUT)
    assert results.status_code == 200 and results.text.splitlines() == ["asset"]
    one_more = deepest_valid().replace("{ ", "{ { ", 1).replace("}", "}}", 1)
    response = save_form(session, base, "deeper", one_more)
    assert response.status_code == 400 and f"{MAX_NESTING + 1} levels deep" in response.text


def test_h1_rdflib_reads_from_clauses_at_the_deepest_allowed_nesting(site) -> None:
    """A viewer's FROM clauses are read with rdflib in the server; parentheses nest it most."""
    atrium, base = site
    graph = atrium.iris.graph("queries").value
    inner = MAX_NESTING - 2  # the group and FILTER( around them
    query = f"SELECT * FROM <{graph}> WHERE {{ FILTER(" + "(" * inner + "true" + ")" * inner + ") }"
    assert nesting_depth(query) == MAX_NESTING
    response = viewer(atrium, base).get(f"{base}/sparql", params={"query": query}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def test_h1_an_update_is_bounded_too(site, api_token) -> None:
    atrium, base = site
    headers = {
        "Authorization": f"Bearer {api_token(atrium, role='admin')}",
        "Content-Type": "application/sparql-update",
    }
    deep = "INSERT { <urn:x:s> <urn:x:p> 1 } WHERE " + "{ " * 2500 + "}" * 2500
    response = requests.post(f"{base}/sparql/update", data=deep, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 400 and "the update nests" in response.text
    inner = MAX_NESTING - 2  # WHERE { FILTER( ( … ) ) }
    graph = atrium.iris.graph("queries").value
    deepest = (
        f"INSERT {{ GRAPH <{graph}> {{ <urn:x:s> <urn:x:p> 1 }} }} WHERE {{ FILTER("
        + "(" * inner
        + "false"
        + ")" * inner
        + ") }"
    )
    assert nesting_depth(deepest) == MAX_NESTING
    response = requests.post(
        f"{base}/sparql/update", data=deepest, headers=headers, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text


# In the domain ------------------------------------------------------------------------------


def test_h1_saved_queries_never_parse_in_this_process(atrium: Atrium, monkeypatch) -> None:
    class NoStore:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("pyoxigraph parsed a reader's query in the server process")

    assert not hasattr(saved_queries, "Store")
    monkeypatch.setattr(pyoxigraph, "Store", NoStore)
    query = SavedQuery("titles", "Titles", deepest_valid())
    assert atrium.saved_queries.save(query).parameters == ["department"]
    assert atrium.saved_queries.get("titles").parameters == ["department"]
    with pytest.raises(SavedQueryError, match="not valid SPARQL"):
        atrium.saved_queries.save(SavedQuery("bad", "Bad", "SELECT ?s WHERE { ?s }"))


def test_h1_a_worker_crashed_by_the_parser_is_a_clear_400(site, monkeypatch) -> None:
    """Should a text pass the bounds and still crash pyoxigraph, only its worker dies."""
    atrium, base = site
    try:
        answer = atrium.sparql.workers.parse(ParseJob(nested(CRASH_DEPTH)), timeout=60)
    except QuerySyntaxError as error:
        assert "could not read this query" in str(error)
    else:
        pytest.skip(f"pyoxigraph parsed {CRASH_DEPTH:,} levels here ({answer}): no crash")
    monkeypatch.setattr(sparql_text, "MAX_NESTING", 10 * CRASH_DEPTH)
    monkeypatch.setattr(sparql_text, "MAX_TEXT_BYTES", 10 * len(nested(CRASH_DEPTH)))
    response = save_form(viewer(atrium, base), base, "deep", nested(CRASH_DEPTH))
    assert response.status_code == 400 and "could not read this query" in response.text
    still_answers(base)
    assert atrium.sparql.prepare("SELECT ?s WHERE { ?s ?p ?o }") == ["o", "p"]
    assert atrium.saved_queries.all() == []


def test_h1_nesting_is_counted_outside_strings_and_comments_only() -> None:
    assert nesting_depth('SELECT * WHERE { ?s ?p "{{{{" } # ((((') == 1
    assert nesting_depth("SELECT * WHERE { ?s <http://x.example/a_(b)> ?o }") == 2
    # ?a<(((?b)))>?c is two comparisons, not an IRI: its brackets count
    assert nesting_depth("SELECT * WHERE { FILTER(?a<(((?b)))>?c) }") == 5
    assert nesting_depth("SELECT * WHERE { \\u007B \\u007B } }") == 3  # escapes, as the parser
    with pytest.raises(QueryRefused, match="levels deep"):
        sparql_text.check_bounds(nested(MAX_NESTING + 1))
    sparql_text.check_bounds(nested(MAX_NESTING))


@pytest.mark.remote
def test_h1_saved_queries_are_parsed_by_the_workers_of_a_remote_store(remote_atrium) -> None:
    saved = remote_atrium.saved_queries.save(SavedQuery("deepest", "Deepest", deepest_valid()))
    assert saved.parameters == ["department"]
    with pytest.raises(SavedQueryError, match="levels deep"):
        remote_atrium.saved_queries.save(SavedQuery("deep", "Deep", nested(2500)))
