"""Saved queries: saved from a form or the CLI, pulled as CSV by pandas, parameters bound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import csrf_token, make_atrium, serving
from pyoxigraph import Literal, NamedNode, RdfFormat, parse
from sparql_helpers import add_sample_assets

from app.cli.main import main
from app.domain.sparql.saved_queries import SavedQuery, SavedQueryError, parse_value
from app.service import Atrium
from app.web import create_app

TITLES = """PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dam: <https://w3id.org/atrium/ns#>
SELECT ?asset ?title WHERE { ?asset a dam:Asset ; dct:title ?title ; dam:department ?department }
ORDER BY ?title"""


@pytest.fixture
def site(atrium: Atrium, client):  # noqa: ANN001, ANN201
    assets = add_sample_assets(atrium)
    atrium.saved_queries.save(SavedQuery("titles", "Asset titles", TITLES, "Every title."))
    return atrium, client, assets


def form(client, **fields: str) -> dict[str, str]:  # noqa: ANN001
    return {"csrf_token": csrf_token(client), **fields}


def test_a_signed_in_user_saves_a_query_from_the_form(atrium: Atrium, sign_in) -> None:
    client = create_app(atrium).test_client()
    sign_in(client, role="viewer")
    assert client.get("/queries/new").status_code == 200
    response = client.post(
        "/queries",
        data=form(client, name="my-titles", title="My titles", sparql=TITLES, description="d"),
    )
    assert response.status_code == 302 and response.location.endswith("/queries/my-titles")
    listing = client.get("/queries").get_data(as_text=True)
    assert "My titles" in listing and "/queries/my-titles.csv" in listing


def test_anonymous_visitors_cannot_save(atrium: Atrium) -> None:
    client = create_app(atrium).test_client()
    response = client.post("/queries", data=form(client, name="x", title="x", sparql=TITLES))
    assert response.status_code == 302 and "/login" in response.location
    assert atrium.saved_queries.all() == []


def test_the_form_refuses_bad_queries_in_words(atrium: Atrium, sign_in) -> None:
    client = create_app(atrium).test_client()
    sign_in(client)
    for fields, words in (
        ({"name": "Bad Name", "title": "t", "sparql": TITLES}, "lowercase"),
        ({"name": "ok", "title": "t", "sparql": "SELECT ?s WHERE { ?s }"}, "not valid SPARQL"),
        ({"name": "ok", "title": "t", "sparql": "CLEAR ALL"}, "read-only"),
        ({"name": "ok", "title": " ", "sparql": TITLES}, "title"),
    ):
        response = client.post("/queries", data=form(client, **fields))
        assert response.status_code == 400 and words in response.get_data(as_text=True)
    assert atrium.saved_queries.all() == []


def test_only_the_author_or_an_administrator_changes_a_query(atrium: Atrium, sign_in) -> None:
    author, other = create_app(atrium).test_client(), create_app(atrium).test_client()
    sign_in(author)
    author.post("/queries", data=form(author, name="mine", title="Mine", sparql=TITLES))
    sign_in(other)
    changed = form(other, title="Not yours", sparql=TITLES)
    assert other.post("/queries/mine", data=changed).status_code == 403
    assert other.post("/queries/mine/delete", data=form(other)).status_code == 403
    assert author.post("/queries/mine", data=form(author, title="Still mine", sparql=TITLES))
    assert atrium.saved_queries.get("mine").title == "Still mine"
    admin = create_app(atrium).test_client()
    sign_in(admin, role="admin")
    assert admin.post("/queries/mine/delete", data=form(admin)).status_code == 302
    assert atrium.saved_queries.get("mine") is None


def test_the_page_shows_the_results_the_reader_may_see(site, sign_in) -> None:
    _, client, _ = site
    page = client.get("/queries/titles").get_data(as_text=True)
    assert "Public poster" in page and "Internal memo" not in page
    sign_in(client, role="viewer")
    assert "Internal memo" in client.get("/queries/titles").get_data(as_text=True)


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        (".csv", "text/csv"),
        (".tsv", "text/tab-separated-values"),
        (".json", "application/sparql-results+json"),
        (".xml", "application/sparql-results+xml"),
    ],
)
def test_results_come_at_stable_urls(site, suffix: str, media_type: str) -> None:
    _, client, _ = site
    response = client.get(f"/queries/titles{suffix}")
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Public poster" in response.get_data(as_text=True)


def test_the_query_iri_dereferences_to_its_description(site) -> None:
    atrium, client, _ = site
    response = client.get("/queries/titles", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle" and response.headers["Vary"].startswith("Accept")
    triples = [q.triple for q in parse(response.data, format=RdfFormat.TURTLE)]
    subject = NamedNode(f"{atrium.iris.base}queries/titles")
    texts = [t.object.value for t in triples if t.subject == subject and "spin" in str(t)]
    assert texts == [TITLES]
    assert 'rel="alternate"' in response.headers["Link"]


def test_parameters_enter_the_query_as_bound_values(site) -> None:
    atrium, client, assets = site
    marketing = atrium.iris.concept("departments/marketing").value
    response = client.get("/queries/titles.json", query_string={"department": f"<{marketing}>"})
    rows = json.loads(response.data)["results"]["bindings"]
    assert [row["asset"]["value"] for row in rows] == [assets["public"]]
    hostile = '"x" } } ; CLEAR ALL ; SELECT * { { ?s ?p ?o'  # stays one string literal
    response = client.get("/queries/titles.json", query_string={"department": hostile})
    assert response.status_code == 200 and json.loads(response.data)["results"]["bindings"] == []
    assert atrium.saved_queries.get("titles") is not None


def test_an_unknown_parameter_is_a_bad_request(site) -> None:
    _, client, _ = site
    response = client.get("/queries/titles.csv", query_string={"departmnet": "x"})
    assert response.status_code == 400
    assert "parameters: department" in response.get_data(as_text=True)


def test_a_returned_variable_is_not_a_parameter(site) -> None:
    atrium, client, _ = site
    assert atrium.saved_queries.get("titles").parameters == ["department"]
    response = client.get("/queries/titles.csv", query_string={"title": "x"})
    assert response.status_code == 400
    assert "?title is returned by the query" in response.get_data(as_text=True)


def test_parameter_values_read_like_turtle_terms() -> None:
    assert parse_value("<http://x.example/a>") == NamedNode("http://x.example/a")
    assert parse_value("dam:Public") == NamedNode("https://w3id.org/atrium/ns#Public")
    assert parse_value("42").datatype.value.endswith("#integer")
    assert parse_value("2027-12-31").datatype.value.endswith("#date")
    assert parse_value('"Plakat"@de') == Literal("Plakat", language="de")
    assert parse_value("Ana Souza") == Literal("Ana Souza")
    with pytest.raises(SavedQueryError):
        parse_value("2027-02-31")


def test_pandas_pulls_a_saved_query_as_csv(tmp_path: Path) -> None:
    import pandas as pd

    atrium = make_atrium(tmp_path / "data")
    try:
        assets = add_sample_assets(atrium)
        atrium.saved_queries.save(SavedQuery("titles", "Asset titles", TITLES))
        with serving(atrium) as base:
            table = pd.read_csv(f"{base}/queries/titles.csv")
        assert table.to_dict("records") == [{"asset": assets["public"], "title": "Public poster"}]
    finally:
        atrium.close()


def test_the_cli_saves_lists_and_deletes(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    query_file = tmp_path / "titles.rq"
    query_file.write_text(TITLES)
    assert main(["query", "save", "titles", "-f", str(query_file), "--title", "Titles"]) == 0
    assert main(["query", "list"]) == 0
    assert "queries/titles.csv" in capsys.readouterr().out
    assert main(["query", "delete", "titles"]) == 0
    assert main(["query", "delete", "titles"]) == 2
    query_file.write_text("SELECT nothing")
    assert main(["query", "save", "bad", "-f", str(query_file), "--title", "Bad"]) == 2
