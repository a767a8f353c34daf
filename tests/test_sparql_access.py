"""The dataset a caller queries is what that caller may see, by every route into it.

Anonymous callers see public assets; signed-in callers (session or API token) also internal
ones, and the restricted assets of their departments; administrators everything. Dataset
parameters and FROM clauses narrow that, never widen it. Checked on the embedded store and,
for the access path, against a real ``oxigraph serve`` too.
"""

from __future__ import annotations

import json

import pytest
from sparql_helpers import add_sample_assets

from app.service import Atrium
from app.storage.write_stamps import STAMPS_GRAPH
from app.web import create_app

ASSETS = "PREFIX dam: <https://w3id.org/atrium/ns#> SELECT ?a WHERE { ?a a dam:Asset }"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def visible(client, query: str = ASSETS, headers: dict | None = None, **params: str) -> set:  # noqa: ANN001
    response = client.get("/sparql", query_string={"query": query, **params}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = json.loads(response.data)["results"]["bindings"]
    return {value["value"] for row in rows for value in row.values()}


@pytest.fixture
def site(atrium: Atrium, client):  # noqa: ANN001, ANN201
    return atrium, client, add_sample_assets(atrium)


def test_anonymous_callers_see_public_assets_only(site) -> None:
    _, client, assets = site
    assert visible(client) == {assets["public"]}


def test_a_signed_in_viewer_sees_internal_assets_too(site, sign_in) -> None:
    _, client, assets = site
    sign_in(client, role="viewer")
    assert visible(client) == {assets["public"], assets["internal"]}


def test_department_members_see_their_restricted_assets(site, sign_in) -> None:
    _, client, assets = site
    sign_in(client, role="contributor", departments=("marketing",))
    assert visible(client) == {assets["public"], assets["internal"], assets["marketing"]}


def test_an_api_token_gives_its_users_view(site, api_token) -> None:
    atrium, client, assets = site
    token = api_token(atrium, role="viewer", departments=("hr",))
    headers = {"Authorization": f"Bearer {token}"}
    assert visible(client, headers=headers) == {assets["public"], assets["internal"], assets["hr"]}


def test_an_unknown_token_is_refused(site) -> None:
    _, client, _ = site
    response = client.get(
        "/sparql", query_string={"query": ASSETS}, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401


def test_administrators_see_everything(site, sign_in) -> None:
    _, client, assets = site
    sign_in(client, role="admin")
    assert visible(client) == set(assets.values())


def test_graph_names_are_limited_to_visible_graphs(site) -> None:
    atrium, client, _ = site
    graphs = visible(client, GRAPHS)
    assert atrium.iris.asset_graph("public", "").value in graphs
    assert not any("/restricted/" in g or g.endswith("/internal") for g in graphs)


def test_dataset_parameters_never_widen_the_view(site) -> None:
    atrium, client, _ = site
    hidden = atrium.iris.asset_graph("restricted", "hr").value
    assert visible(client, **{"default-graph-uri": hidden}) == set()
    assert visible(client, GRAPHS, **{"named-graph-uri": hidden}) == set()


def test_from_clauses_never_widen_the_view(site) -> None:
    atrium, client, assets = site
    hidden = atrium.iris.asset_graph("restricted", "hr").value
    public = atrium.iris.asset_graph("public", "").value
    query = (
        f"PREFIX dam: <https://w3id.org/atrium/ns#> SELECT ?a FROM <{hidden}> FROM <{public}> "
        "WHERE { ?a a dam:Asset }"
    )
    assert visible(client, query) == {assets["public"]}
    named = f"SELECT ?a FROM NAMED <{hidden}> WHERE {{ GRAPH ?g {{ ?a ?p ?o }} }}"
    assert visible(client, named) == set()


def test_an_administrators_from_clause_is_honoured(site, sign_in) -> None:
    atrium, client, assets = site
    sign_in(client, role="admin")
    hidden = atrium.iris.asset_graph("restricted", "hr").value
    query = f"PREFIX dam: <https://w3id.org/atrium/ns#> SELECT ?a FROM <{hidden}> WHERE {{ ?a a dam:Asset }}"  # noqa: E501
    assert visible(client, query) == {assets["hr"]}


def test_the_service_description_lists_only_visible_graphs(site) -> None:
    atrium, client, _ = site
    description = client.get("/sparql", headers={"Accept": "application/n-triples"})
    text = description.get_data(as_text=True)
    assert atrium.iris.asset_graph("public", "").value in text
    assert atrium.iris.asset_graph("restricted", "hr").value not in text


@pytest.mark.remote
def test_access_holds_on_a_remote_store(remote_atrium: Atrium, sign_in) -> None:
    assets = add_sample_assets(remote_atrium)
    client = create_app(remote_atrium).test_client()
    assert visible(client) == {assets["public"]}
    hidden = remote_atrium.iris.asset_graph("restricted", "hr").value
    assert visible(client, **{"default-graph-uri": hidden}) == set()
    assert visible(client, GRAPHS) & {hidden} == set()
    stamps = f"SELECT ?g ?t WHERE {{ GRAPH {STAMPS_GRAPH} {{ ?g ?p ?t }} }}"
    assert visible(client, stamps) == set(), "the write stamps name the hidden graphs"
    sign_in(client, role="viewer", departments=("hr",))
    assert visible(client) == {assets["public"], assets["internal"], assets["hr"]}
