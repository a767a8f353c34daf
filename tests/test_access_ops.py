"""Access control on the operators' paths, for every kind of caller, over real HTTP (issue 16).

/healthz: anyone, and it tells no asset; /metrics: the metrics token (ATRIUM_METRICS_TOKEN,
as a Bearer token) and administrators; anyone else is refused (401 unknown, 403 known), and a
refusal shows no metric.
"""

from __future__ import annotations

import pytest
import requests
from access_matrix import add_readers, matrix_atrium, served_to
from sparql_helpers import add_asset

METRICS_TOKEN = "ops-metrics-token"
ASSET_ID, TITLE = "00ff00ff00ff00ff", "Restricted merger memo"
PATHS = ("/healthz", "/metrics")
CALLERS = {
    # caller: the status of each path
    "anonymous": {"/healthz": 200, "/metrics": 401},
    "viewer": {"/healthz": 200, "/metrics": 403},
    "viewer-token": {"/healthz": 200, "/metrics": 403},
    "admin": {"/healthz": 200, "/metrics": 200},
    "admin-token": {"/healthz": 200, "/metrics": 200},
    "metrics-token": {"/healthz": 200, "/metrics": 200},
    "wrong-token": {"/healthz": 200, "/metrics": 401},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("access-ops")
    with matrix_atrium(folder, metrics_token=METRICS_TOKEN) as atrium:
        add_asset(atrium, ASSET_ID, TITLE, "restricted", "hr")
        names = add_readers(atrium, ("viewer", "admin"))
        with served_to(atrium, names) as (base_url, clients):
            for role, name in names.items():
                token = atrium.users.issue_token(name, "ops")[1]
                clients[f"{role}-token"] = _bearer_session(token)
            for caller, token in (("metrics-token", METRICS_TOKEN), ("wrong-token", "not-it")):
                clients[caller] = _bearer_session(token)
            yield atrium, base_url, clients


def _bearer_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", PATHS)
def test_operator_paths_follow_the_caller(site, caller: str, path: str) -> None:
    _, base_url, clients = site
    response = clients[caller].get(f"{base_url}{path}", allow_redirects=False)
    assert response.status_code == CALLERS[caller][path], (caller, path, response.text[:200])
    assert ASSET_ID not in response.text and TITLE not in response.text
    if path == "/metrics":
        assert ("atrium_http_requests_total" in response.text) == (response.status_code == 200)


def test_healthz_holds_no_count_of_assets(site) -> None:
    _, base_url, clients = site
    body = clients["anonymous"].get(f"{base_url}/healthz").json()
    details = " ".join(check["detail"] for check in body["checks"].values())
    assert "asset" not in details.lower()
    assert set(body) == {"status", "checks"}
