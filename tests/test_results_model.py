"""Result observations: one per asset × segment × channel × campaign × period, never public,
following their asset's access (W3C RDF Data Cube)."""

from __future__ import annotations

import datetime as dt

import pytest
from search_helpers import put_asset

from app.domain.people.access import ANONYMOUS, Reader, scope_for
from app.domain.results.observations import Observation, problems

_COUNT = "SELECT (SUM(?i) AS ?n) WHERE { ?o <https://w3id.org/atrium/ns#impressions> ?i }"


def observation(atrium, asset_id: str, **figures) -> Observation:  # noqa: ANN001
    values = {"impressions": 12000, "clicks": 340, "conversions": 21} | figures
    return Observation(
        asset=atrium.iris.asset(asset_id),
        segment=atrium.iris.concept("audiences/consumers"),
        channel=atrium.iris.concept("channels/email"),
        campaign=atrium.iris.concept("campaigns/spring-launch"),
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        **values,
    )


def impressions(atrium, reader: Reader) -> int:  # noqa: ANN001
    rows = atrium.store.select(_COUNT, scope=scope_for(reader, atrium.iris, atrium.store))
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


MEMBER = Reader.signed_in_as("m", ["marketing"], admin=False)
OUTSIDER = Reader.signed_in_as("o", ["hr"], admin=False)


def test_results_of_a_public_asset_are_never_public(atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="public")
    assert atrium.observations.write([observation(atrium, asset_id)]) == (1, 0)
    assert impressions(atrium, ANONYMOUS) == 0
    assert impressions(atrium, OUTSIDER) == 12000


def test_the_same_dimensions_replace_the_earlier_figures(atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="public")
    atrium.observations.write([observation(atrium, asset_id)])
    again = observation(atrium, asset_id, impressions=15000)
    assert atrium.observations.write([again]) == (0, 1)
    assert impressions(atrium, MEMBER) == 15000


def test_results_follow_their_asset_into_restricted_and_out_with_it(atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="public")
    atrium.observations.write([observation(atrium, asset_id)])
    atrium.assets.set_access(asset_id, "restricted")
    assert impressions(atrium, OUTSIDER) == 0
    assert impressions(atrium, MEMBER) == 12000
    graphs = {g.value for g in atrium.store.graphs()}
    assert atrium.iris.results_graph("restricted", "marketing").value in graphs
    atrium.assets.delete(asset_id)
    assert impressions(atrium, Reader(signed_in=True, admin=True)) == 0


@pytest.mark.parametrize(
    ("figures", "reason"),
    [
        ({"clicks": -1}, "clicks must not be negative"),
        ({"clicks": 20000}, "clicks cannot be more than impressions"),
        ({"end": dt.date(2026, 2, 1)}, "the period ends before it starts"),
    ],
)
def test_bad_figures_are_named(atrium, figures, reason) -> None:
    bad = observation(atrium, "0" * 16)
    values = {**bad.__dict__, **figures}
    assert reason in [str(problem) for problem in problems(Observation(**values))]


def test_the_shape_refuses_a_segment_from_another_scheme(atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="public")
    wrong = observation(atrium, asset_id)
    wrong = Observation(**{**wrong.__dict__, "segment": atrium.iris.concept("channels/web")})
    context = atrium.concepts().context_triples([wrong.segment, wrong.channel])
    found = atrium.observations.shape_problems([wrong], context)
    said = [p.field_and_message_in("en") for p in found[wrong.iri(atrium.iris).value]]
    assert any("segment" in p for p in said), said
