"""Importing results per segment: the CLI, the API for marketing tools, campaigns created on
the way, and results that never show to anonymous readers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import BASE_IRI, csrf_token, make_atrium
from search_helpers import put_asset

from app.cli.main import main
from app.domain.demo.loader import DEMO_RESULTS, load_demo_results
from app.domain.results.importer import FORBIDDEN, ResultsImporter
from app.namespaces import DAM, SCHEMA, SKOS
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

HEADER = "asset,segment,channel,campaign,start,end,impressions,clicks,conversions,spend,revenue"
TOTAL = "SELECT (SUM(?i) AS ?n) WHERE { ?o <https://w3id.org/atrium/ns#impressions> ?i }"


def row(asset: str, **values: str) -> str:
    fields = {
        "segment": "consumers",
        "channel": "email",
        "campaign": "Spring collection 2026",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "impressions": "12000",
        "clicks": "340",
        "conversions": "21",
        "spend": "310.50",
        "revenue": "1890",
    } | values
    return ",".join([asset, *fields.values()])


def write_csv(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def total(atrium: Atrium) -> int:
    rows = atrium.store.select(TOTAL, scope=Scope.everything())
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


@pytest.fixture
def cli_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """A data folder for the CLI with a marketing asset and an HR one."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ATRIUM_DATA", str(folder))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    with make_atrium(folder) as atrium:
        poster = put_asset(atrium, "Poster", access="public")
        badge = put_asset(atrium, "Badge", department="hr", access="restricted")
    return folder, poster, badge


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_the_cli_imports_good_rows_and_names_each_bad_one(cli_data, tmp_path, capsys) -> None:
    folder, poster, badge = cli_data
    path = write_csv(
        tmp_path / "results.csv",
        row(poster),
        row(badge, segment="small-businesses"),
        row("0123456789abcdef"),
        row(poster, segment="martians"),
        row(poster, channel="carrier pigeon"),
        row(poster, clicks="-3"),
        row(poster, clicks="20000"),
        row(poster, end="2026-02-01"),
        row(poster, impressions="lots"),
        row(poster, start="March"),
        row(poster, spend="a lot"),
    )
    status, out = run(capsys, "results", "import", str(path))
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == "11 rows: 2 added, 0 replaced, 9 refused"
    assert "row 3: unknown asset '0123456789abcdef'" in lines
    assert "row 4: unknown segment 'martians'" in lines
    assert "row 5: unknown channel 'carrier pigeon'" in lines
    assert "row 6: clicks must not be negative" in lines
    assert "row 7: clicks cannot be more than impressions" in lines
    assert "row 8: the period ends before it starts" in lines
    assert "row 9: impressions is not a whole number: 'lots'" in lines
    assert "row 10: start is not a date like 2026-03-01: 'March'" in lines
    assert "row 11: spend is not an amount like 1250.50: 'a lot'" in lines


def test_a_missing_column_refuses_every_row(cli_data, tmp_path, capsys) -> None:
    _, poster, _ = cli_data
    header = HEADER.replace(",conversions", "")
    path = write_csv(tmp_path / "r.csv", row(poster).replace(",21,", ","), header=header)
    status, out = run(capsys, "results", "import", str(path))
    assert status == 1
    assert "row 1: missing column conversions" in out.splitlines()


def test_re_importing_replaces_instead_of_doubling(cli_data, tmp_path, capsys) -> None:
    folder, poster, _ = cli_data
    new = {"campaign": "Winter clearance 2026"}
    path = write_csv(tmp_path / "r.csv", row(poster, **new), row(poster, channel="web"))
    status, out = run(capsys, "results", "import", str(path))
    iri = f"{BASE_IRI}vocab/campaigns/winter-clearance-2026"
    assert (status, out.splitlines()) == (
        0,
        [
            "2 rows: 2 added, 0 replaced, 0 refused",
            f"created campaign Winter clearance 2026 <{iri}>",
        ],
    )
    write_csv(path, row(poster, impressions="15000", **new), row(poster, channel="web"))
    status, out = run(capsys, "results", "import", str(path))
    assert (status, out) == (0, "2 rows: 0 added, 2 replaced, 0 refused\n")
    with make_atrium(folder) as atrium:
        assert total(atrium) == 27000


def test_an_unreadable_file_exits_2(cli_data, tmp_path, capsys) -> None:
    assert main(["results", "import", str(tmp_path / "missing.csv")]) == 2
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x81")
    assert main(["results", "import", str(binary)]) == 2


def test_a_new_campaign_spans_its_rows_and_belongs_to_the_assets_department(atrium) -> None:
    poster = put_asset(atrium, "Poster", access="public")
    rows = [
        dict(zip(HEADER.split(","), row(poster, **values).split(","), strict=True))
        for values in (
            {"campaign": "Autumn service weeks", "channel": "email"},
            {"campaign": "autumn service weeks", "channel": "web", "start": "2026-04-01",
             "end": "2026-04-30"},
        )
    ]  # fmt: skip
    summary = ResultsImporter(atrium).run(rows)
    iri = f"{BASE_IRI}vocab/campaigns/autumn-service-weeks"
    assert summary.campaigns_created == [(iri, "Autumn service weeks")]
    assert (summary.added, summary.refused) == (2, [])
    found = atrium.campaigns.find("AUTUMN SERVICE WEEKS")
    assert found is not None and found.value == iri

    def values(predicate) -> set[str]:  # noqa: ANN001
        query = "SELECT ?v WHERE { GRAPH ?g { ?c ?p ?v } }"
        bindings = {"c": found, "p": predicate, "g": atrium.iris.vocab_graph("campaigns")}
        return {
            r["v"].value
            for r in atrium.store.select(query, scope=Scope.everything(), bindings=bindings)
        }

    assert values(SCHEMA.startDate) == {"2026-03-01"}
    assert values(SCHEMA.endDate) == {"2026-04-30"}
    assert values(DAM.department) == {f"{BASE_IRI}vocab/departments/marketing"}
    assert values(DAM.channel) == {f"{BASE_IRI}vocab/channels/{c}" for c in ("email", "web")}
    assert values(SKOS.notation) == {"autumn-service-weeks"}


def test_a_known_campaign_is_found_by_label_in_any_language(atrium) -> None:
    poster = put_asset(atrium, "Poster", access="public")
    campaigns = atrium.campaigns
    made = campaigns.create("Sommerfest", "marketing", None, None, ["events"])
    line = dict(zip(HEADER.split(","), row(poster, campaign="sommerfest").split(","), strict=True))
    summary = ResultsImporter(atrium).run([line])
    assert (summary.added, summary.campaigns_created) == (1, [])
    assert campaigns.find(made.value) == made


# POST /api/results ---------------------------------------------------------------------------


@pytest.fixture
def web(atrium: Atrium):
    poster = put_asset(atrium, "Poster", access="public")
    secret = put_asset(atrium, "Secret plan", department="hr", access="restricted")
    return atrium, create_app(atrium).test_client(), poster, secret


def post(client, body, token: str | None = None, **headers: str):  # noqa: ANN001, ANN201
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, str):
        return client.post("/api/results", data=body, headers=headers, content_type="text/csv")
    return client.post("/api/results", json=body, headers=headers)


def json_row(asset: str, **values: str) -> dict[str, str]:
    return dict(zip(HEADER.split(","), row(asset, **values).split(","), strict=True))


def test_a_member_records_results_for_their_departments_assets(web, api_token) -> None:
    atrium, client, poster, secret = web
    token = api_token(atrium, role="contributor", departments=("marketing",))
    body = [
        json_row(poster),
        json_row(secret),
        json_row("0123456789abcdef"),
        json_row(poster, clicks="99999"),
    ]
    response = post(client, body, token)  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["rows"], answer["added"], answer["replaced"]) == (4, 1, 0)
    assert answer["refused"] == [
        {"row": 2, "reason": FORBIDDEN},
        {"row": 3, "reason": FORBIDDEN},
        {"row": 4, "reason": "clicks cannot be more than impressions"},
    ]
    again = post(client, f"{HEADER}\n{row(poster)}\n", token)
    assert again.status_code == 200
    assert (again.get_json()["added"], again.get_json()["replaced"]) == (0, 1)


def test_a_non_member_may_record_nothing_and_learns_nothing(web, api_token) -> None:
    atrium, client, poster, secret = web
    token = api_token(atrium, role="contributor", departments=("hr",))
    answer = post(client, [json_row(poster)], token).get_json()
    assert answer["refused"] == [{"row": 1, "reason": FORBIDDEN}]
    viewer = api_token(atrium, role="viewer", departments=("marketing",))
    assert post(client, [json_row(poster)], viewer).status_code == 403
    assert total(atrium) == 0


def test_anonymous_callers_get_401_and_bad_bodies_400(web, api_token) -> None:
    atrium, client, poster, _ = web
    assert post(client, [json_row(poster)]).status_code == 401
    token = api_token(atrium, role="admin")
    assert post(client, {"rows": []}, token).status_code == 400
    response = client.post(
        "/api/results", data=b"[{", headers={"Authorization": f"Bearer {token}"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400


def test_a_session_post_needs_the_csrf_token(web, sign_in) -> None:
    _, client, poster, _ = web
    sign_in(client, role="contributor", departments=("marketing",))
    assert post(client, [json_row(poster)]).status_code == 400
    response = post(client, [json_row(poster)], **{"X-CSRF-Token": csrf_token(client)})
    assert response.status_code == 200
    assert response.get_json()["added"] == 1


def test_a_body_over_the_limit_is_413(web, api_token, monkeypatch) -> None:
    atrium, client, _, _ = web
    monkeypatch.setattr("app.web.api.RESULTS_MAX_BYTES", 100)
    token = api_token(atrium, role="admin")
    assert post(client, HEADER + "\n" + "x" * 200, token).status_code == 413


def test_no_result_is_visible_to_anonymous_sparql(web, api_token) -> None:
    atrium, client, poster, _ = web
    token = api_token(atrium, role="contributor", departments=("marketing",))
    assert post(client, [json_row(poster)], token).get_json()["added"] == 1
    query = (
        "SELECT ?o ?p ?v WHERE { GRAPH ?g { "
        "?o a <http://purl.org/linked-data/cube#Observation> ; ?p ?v } }"
    )
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    assert response.status_code == 200
    assert json.loads(response.data)["results"]["bindings"] == []
    signed_in = client.get("/sparql", query_string={"query": query},
                           headers={"Accept": "application/sparql-results+json",
                                    "Authorization": f"Bearer {token}"})  # fmt: skip
    assert json.loads(signed_in.data)["results"]["bindings"]


# Demo data ----------------------------------------------------------------------------------


def test_the_shipped_demo_results_land_whole_and_vary(atrium) -> None:
    with DEMO_RESULTS.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {r["campaign"] for r in rows} == {
        "Spring collection 2025", "Ride the city 2025", "Eurobike 2025"
    }  # fmt: skip
    assert {"consumers", "small-businesses", "enterprise-customers"} <= {r["segment"] for r in rows}
    files = sorted({r["asset"] for r in rows})
    ids = {name: put_asset(atrium, name, access="public") for name in files}
    summary = load_demo_results(atrium, ids)
    assert summary.refused == []
    assert summary.added == len(rows)
    fewer = load_demo_results(atrium, {files[0]: ids[files[0]]})  # a smaller demo
    assert fewer.rows == sum(r["asset"] == files[0] for r in rows) and fewer.added == 0
