"""Access to assets out of their rights dates, for every kind of reader, over real HTTP.

Every case is an HR asset ingested as public (tests/access_matrix.py's readers and consent):
one whose rights expired but no rights check ran yet, one the rights check withdrew, one under
an embargo not yet checked, one whose embargo ended and one within its dates. An asset out of
its dates is seen by no one who may see public assets only, on its page and its files; whoever
may see internal assets still sees it, as the rights check makes it internal.
"""

from __future__ import annotations

import datetime as dt

import pytest
from access_matrix import CONSENT, READERS, add_readers, matrix_atrium, served_to
from conftest import TODAY
from PIL import Image

from app.domain.assets.rights_check import RightsCheck
from app.domain.media.ingest import Ingester, IngestOptions

pytestmark = pytest.mark.usefixtures("rights_clock_on_today")

YESTERDAY = (TODAY - dt.timedelta(days=1)).isoformat()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()
NEXT_YEAR = (TODAY + dt.timedelta(days=365)).isoformat()
CASES = {
    # case: its rights dates, and whether public-only readers see it
    "expired, not yet checked": ([f"expires={YESTERDAY}"], False),
    "withdrawn by the check": ([f"expires={YESTERDAY}"], False),
    "embargoed, not yet checked": ([f"available={TOMORROW}"], False),
    "embargo over": ([f"available={YESTERDAY}"], True),
    "within its dates": ([f"available={YESTERDAY}", f"expires={NEXT_YEAR}"], True),
}
PATHS = ("", "/file", "/thumbnail", "/preview")


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(base URL, asset id by case, session by reader)."""
    folder = tmp_path_factory.mktemp("access-rights")
    with matrix_atrium(folder) as atrium:
        ingester = Ingester(atrium)

        def ingest(number: int, dates: list[str]) -> str:
            path = folder / f"case-{number}.png"
            Image.new("RGB", (160, 90), (40 * number, 200, 80)).save(path)
            options = ingester.resolve(IngestOptions("hr", "public", settings=[*CONSENT, *dates]))
            outcome = ingester.run([path], options).outcomes[0]
            assert outcome.status == "ingested", outcome.reason
            return outcome.asset_id

        withdrawn = ingest(0, CASES["withdrawn by the check"][0])
        assert RightsCheck(atrium).run().withdrawn == {withdrawn: f"expired on {YESTERDAY}"}
        assets = {"withdrawn by the check": withdrawn}
        for number, (case, (dates, _)) in enumerate(CASES.items(), start=1):
            if case not in assets:  # ingested after the check: "not yet checked"
                assets[case] = ingest(number, dates)
        with served_to(atrium, add_readers(atrium, READERS)) as (base_url, clients):
            yield base_url, assets, clients


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("reader", READERS)
def test_assets_out_of_their_dates_are_hidden_from_public_only_readers(
    dated: tuple[str, dict, dict], reader: str, case: str
) -> None:
    base_url, assets, clients = dated
    public_only_sees_it = CASES[case][1]
    expected = 200 if reader != "anonymous" or public_only_sees_it else 404
    for path in PATHS:
        response = clients[reader].get(f"{base_url}/assets/{assets[case]}{path}")
        assert response.status_code == expected, (reader, case, path)


@pytest.mark.parametrize("reader", [r for r in READERS if r != "anonymous"])
def test_readers_who_see_a_withdrawn_asset_are_told_why(
    dated: tuple[str, dict, dict], reader: str
) -> None:
    base_url, assets, clients = dated
    page = clients[reader].get(f"{base_url}/assets/{assets['withdrawn by the check']}").text
    assert f"expired on {YESTERDAY}" in page
    other = clients[reader].get(f"{base_url}/assets/{assets['within its dates']}").text
    assert "Withdrawn from public view" not in other
