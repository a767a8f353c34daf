"""Results per segment: ranking, roll-up, access, the API, the pages and the search sort."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import csrf_token
from search_helpers import inline_scripts, put_asset, search_query

from app.domain.people.access import ANONYMOUS, Reader, scope_for
from app.domain.results.observations import Observation
from app.domain.results.performance import SEGMENTS, ResultFilter, wilson_lower_bounds

MEMBER = Reader.signed_in_as("m", ["marketing"], admin=False)
OUTSIDER = Reader.signed_in_as("o", ["hr"], admin=False)


def record(atrium, asset_id: str, segment: str = "consumers", **figures) -> Observation:  # noqa: ANN001
    values = {"impressions": 1000, "clicks": 100, "conversions": 10, "channel": "email"} | figures
    observation = Observation(
        asset=atrium.iris.asset(asset_id),
        segment=atrium.iris.concept(f"audiences/{segment}"),
        channel=atrium.iris.concept(f"channels/{values.pop('channel')}"),
        campaign=atrium.iris.concept("campaigns/spring-launch"),
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        **values,
    )
    atrium.observations.write([observation])
    return observation


def ranked(atrium, reader: Reader, segment: str = "customers", **want) -> list:  # noqa: ANN001
    performance = atrium.performance
    wanted = ResultFilter(segment=atrium.iris.concept(f"audiences/{segment}"), **want)
    return performance.ranking(wanted, scope_for(reader, atrium.iris, atrium.store)).rows


def test_the_wilson_lower_bound_follows_the_formula() -> None:
    bounds = wilson_lower_bounds(np.array([0, 1, 500]), np.array([0, 1, 10_000]))
    assert bounds[0] == 0.0
    assert bounds[1:] == pytest.approx([0.2065, 0.0459], abs=1e-4)


def test_a_tiny_sample_does_not_beat_a_large_good_one(atrium) -> None:
    tiny = put_asset(atrium, "Lucky banner")
    large = put_asset(atrium, "Proven banner")
    record(atrium, tiny, impressions=1, clicks=1, conversions=1)
    record(atrium, large, impressions=2000, clicks=900, conversions=600)
    rows = ranked(atrium, MEMBER, "consumers")
    assert [r.title for r in rows] == ["Proven banner", "Lucky banner"]
    assert rows[1].conversion_rate == 1.0 > rows[0].conversion_rate
    assert rows[0].click_rate == pytest.approx(0.45)


def test_a_lucky_single_conversion_does_not_beat_a_typical_large_sample(atrium) -> None:
    tiny = put_asset(atrium, "Lucky banner")
    large = put_asset(atrium, "Steady banner")
    record(atrium, tiny, impressions=1, clicks=1, conversions=1)
    record(atrium, large, impressions=10_000, clicks=800, conversions=500)  # a 5 % rate
    rows = ranked(atrium, MEMBER, "consumers")
    assert [r.title for r in rows] == ["Steady banner", "Lucky banner"]


def test_results_in_a_narrower_segment_count_for_the_broader_one(atrium) -> None:
    asset_id = put_asset(atrium, "Poster")
    record(atrium, asset_id, "consumers", impressions=1000, conversions=10)
    record(atrium, asset_id, "small-businesses", impressions=500, conversions=5)
    record(atrium, asset_id, "partners", impressions=7000, conversions=70)
    (row,) = ranked(atrium, MEMBER, "customers")
    assert (row.impressions, row.conversions) == (1500, 15)
    assert [r.impressions for r in ranked(atrium, MEMBER, "consumers")] == [1000]
    assert [r.impressions for r in ranked(atrium, MEMBER, "partners")] == [7000]
    performance = atrium.performance
    tree = performance.tree(ResultFilter(), scope_for(MEMBER, atrium.iris, atrium.store), "en")
    customers = next(n for n in tree if n.iri.endswith("/customers"))
    assert (customers.impressions, customers.conversions) == (1500, 15)
    email = ResultFilter(channel=atrium.iris.concept("channels/web"))
    tree = performance.tree(email, scope_for(MEMBER, atrium.iris, atrium.store), "en")
    assert next(n for n in tree if n.iri.endswith("/customers")).impressions == 0


def test_the_segments_are_read_again_after_a_vocabulary_edit_not_after_an_asset(atrium) -> None:
    performance = atrium.performance
    before = performance.concepts(SEGMENTS, scope_for(MEMBER, atrium.iris, atrium.store), "en")
    put_asset(atrium, "Poster")  # a new asset graph: the reader's scope is a new one
    scope = scope_for(MEMBER, atrium.iris, atrium.store)
    assert performance.concepts(SEGMENTS, scope, "en") is before
    consumers = atrium.iris.concept(f"{SEGMENTS}/consumers")
    atrium.store.update(
        'PREFIX skos: <http://www.w3.org/2004/02/skos/core#> DELETE { GRAPH ?g { ?c skos:prefLabel ?old } } INSERT { GRAPH ?g { ?c skos:prefLabel "Households"@en } } WHERE { GRAPH ?g { ?c skos:prefLabel ?old } }',  # noqa: E501
        bindings={"g": atrium.iris.vocab_graph(SEGMENTS), "c": consumers},
    )
    after = performance.concepts(SEGMENTS, scope, "en")
    assert after is not before and after[consumers.value][0] == "Households"


def test_channel_and_period_filters_apply(atrium) -> None:
    asset_id = put_asset(atrium, "Poster")
    record(atrium, asset_id, channel="email", impressions=1000)
    record(atrium, asset_id, channel="web", impressions=300)
    web = atrium.iris.concept("channels/web")
    assert [r.impressions for r in ranked(atrium, MEMBER)] == [1300]
    assert [r.impressions for r in ranked(atrium, MEMBER, channel=web)] == [300]
    assert ranked(atrium, MEMBER, start=dt.date(2026, 3, 2)) == []
    assert len(ranked(atrium, MEMBER, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))) == 1


def test_a_restricted_assets_results_show_to_members_only(atrium) -> None:
    open_id = put_asset(atrium, "Open poster", access="internal")
    secret = put_asset(atrium, "Secret poster", access="restricted")
    record(atrium, open_id, conversions=5)
    record(atrium, secret, conversions=50)
    assert [r.title for r in ranked(atrium, OUTSIDER)] == ["Open poster"]
    assert [r.title for r in ranked(atrium, MEMBER)] == ["Secret poster", "Open poster"]
    assert ranked(atrium, ANONYMOUS) == []


def test_pages_of_a_ranking_with_ties_follow_the_whole_ranking(atrium) -> None:
    """A page is ranked from the candidates at or above its last score: ties at that score
    must neither be lost nor repeated from one page to the next."""
    figures = [(1000, 10), (1000, 10), (500, 5), (1000, 10), (2000, 40), (500, 5), (1000, 10)]
    for number, (impressions, conversions) in enumerate(figures):
        asset_id = put_asset(atrium, f"Poster {number}")
        record(atrium, asset_id, impressions=impressions, conversions=conversions)
    whole = ranked(atrium, MEMBER)
    keys = [(-r.score, -r.conversions, -r.impressions) for r in whole]
    assert keys == sorted(keys) and len({r.asset for r in whole}) == len(figures)
    wanted = ResultFilter(segment=atrium.iris.concept("audiences/customers"))
    scope = scope_for(MEMBER, atrium.iris, atrium.store)
    for per_page in (1, 2, 3):
        pages = range(1, len(figures) // per_page + 2)
        paged = [
            row.asset
            for page in pages
            for row in atrium.performance.ranking(wanted, scope, page, per_page).rows
        ]
        assert paged == [r.asset for r in whole]


def test_the_api_needs_a_signed_in_reader_and_valid_iris(client, sign_in, atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="restricted")
    record(atrium, asset_id)
    segment = atrium.iris.concept("audiences/customers").value
    anonymous = client.get("/api/performance", query_string={"segment": segment})
    assert anonymous.status_code == 401 and "never public" in anonymous.json["error"]
    sign_in(client, "viewer", ("hr",))
    assert client.get("/api/performance", query_string={"segment": segment}).json["total"] == 0
    for bad, reason in [
        ({}, "segment is required"),
        ({"segment": "not an iri"}, "absolute http(s) IRI"),
        ({"segment": "http://x/<oops>"}, "not a valid IRI"),
        ({"segment": atrium.iris.concept("channels/web").value}, "not a segment"),
        ({"segment": segment, "from": "March"}, "not a date"),
        ({"segment": segment, "page": "0"}, "whole number"),
    ]:
        response = client.get("/api/performance", query_string=bad)
        assert response.status_code == 400 and reason in response.json["error"], bad


def test_the_api_ranks_and_pages_for_a_member(client, sign_in, atrium) -> None:
    for n in range(3):
        record(atrium, put_asset(atrium, f"Poster {n}"), conversions=10 * (n + 1))
    sign_in(client, "viewer", ("marketing",))
    segment = atrium.iris.concept("audiences/customers").value
    found = client.get(
        "/api/performance", query_string={"segment": segment, "per_page": 2, "page": 1}
    ).json
    assert found["total"] == 3 and found["per_page"] == 2
    assert [r["title"] for r in found["results"]] == ["Poster 2", "Poster 1"]
    assert found["results"][0]["conversions"] == 30 and found["results"][0]["url"]
    assert segment in found["segments"] and len(found["segments"]) > 1
    capped = client.get("/api/performance", query_string={"segment": segment, "per_page": 999})
    assert capped.json["per_page"] == 100


def test_the_performance_page(client, sign_in, atrium) -> None:
    record(atrium, put_asset(atrium, "Poster <b>bold</b>"))
    assert client.get("/performance").status_code == 302  # to the sign-in page
    sign_in(client, "viewer", ("marketing",))
    assert "Performance" in client.get("/").get_data(as_text=True)
    segment = atrium.iris.concept("audiences/customers").value
    page = client.get("/performance", query_string={"segment": segment})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Consumers" in html and "<svg" in html
    assert "Poster &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html
    assert inline_scripts(html) == []
    bad = client.get("/performance", query_string={"segment": "nope"})
    assert bad.status_code == 400 and "absolute http(s) IRI" in bad.get_data(as_text=True)


def test_the_asset_page_shows_results_to_signed_in_readers_only(client, sign_in, atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="public")
    record(atrium, asset_id, impressions=4321)
    anonymous = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Results" not in anonymous and "4,321" not in anonymous
    sign_in(client, "viewer", ("hr",))
    html = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Results" in html and "4,321" in html and "Record results" not in html


def entry(atrium, **changes: str) -> dict[str, str]:  # noqa: ANN001
    return {
        "segment": atrium.iris.concept("audiences/consumers").value,
        "channel": atrium.iris.concept("channels/email").value,
        "campaign": atrium.iris.concept("campaigns/spring-launch").value,
        "start": "2026-04-01",
        "end": "2026-04-30",
        "impressions": "800",
        "clicks": "80",
        "conversions": "8",
    } | changes


def test_the_entry_form_records_an_observation(client, sign_in, atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="internal")
    sign_in(client, "contributor", ("marketing",))
    assert "Record results" in client.get(f"/assets/{asset_id}").get_data(as_text=True)
    form = entry(atrium, csrf_token=csrf_token(client))
    response = client.post(f"/assets/{asset_id}/results", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("#results")
    assert [r.impressions for r in ranked(atrium, MEMBER, "consumers")] == [800]
    assert client.post(f"/assets/{asset_id}/results", data=entry(atrium)).status_code == 400


def test_the_entry_form_finds_a_campaign_by_name(client, sign_in, atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="internal")
    sign_in(client, "contributor", ("marketing",))
    form = entry(atrium, campaign="spring collection 2019", csrf_token=csrf_token(client))
    assert client.post(f"/assets/{asset_id}/results", data=form).status_code == 302
    wanted = atrium.campaigns.find("Spring collection 2019")
    assert wanted is not None
    assert [r.impressions for r in ranked(atrium, MEMBER, campaign=wanted)] == [800]


def test_the_entry_form_refuses_clicks_above_impressions(client, sign_in, atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="internal")
    sign_in(client, "contributor", ("marketing",))
    form = entry(atrium, clicks="900", csrf_token=csrf_token(client))
    response = client.post(f"/assets/{asset_id}/results", data=form)
    assert response.status_code == 400
    assert "clicks cannot be more than impressions" in response.get_data(as_text=True)
    assert ranked(atrium, MEMBER, "consumers") == []
    wrong = entry(atrium, segment=atrium.iris.concept("channels/web").value)
    response = client.post(
        f"/assets/{asset_id}/results", data={**wrong, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 400
    assert "audiences vocabulary" in response.get_data(as_text=True)
    unknown = entry(atrium, campaign="No such campaign", csrf_token=csrf_token(client))
    response = client.post(f"/assets/{asset_id}/results", data=unknown)
    assert "no campaign named" in response.get_data(as_text=True)


def test_only_contributors_of_the_department_may_record(client, sign_in, atrium) -> None:
    asset_id = put_asset(atrium, "Poster", access="internal")
    sign_in(client, "contributor", ("hr",))
    form = entry(atrium, csrf_token=csrf_token(client))
    assert client.post(f"/assets/{asset_id}/results", data=form).status_code == 403


def test_search_sorts_by_best_for_a_segment(atrium) -> None:
    good = put_asset(atrium, "Harbour good", submitted="2026-01-01T00:00:00")
    fair = put_asset(atrium, "Harbour fair", submitted="2026-01-02T00:00:00")
    put_asset(atrium, "Harbour none", submitted="2026-01-03T00:00:00")
    secret = put_asset(atrium, "Harbour secret", access="restricted")
    record(atrium, good, impressions=2000, conversions=600)
    record(atrium, fair, impressions=2000, conversions=60)
    record(atrium, secret, impressions=2000, conversions=1900)
    segment = atrium.iris.concept("audiences/customers").value
    query = search_query(atrium, {"q": "harbour", "sort": f"best:{segment}"})
    scope = scope_for(OUTSIDER, atrium.iris, atrium.store)
    titles = [card.title for card in atrium.search.search(query, scope).cards]
    assert titles == ["Harbour good", "Harbour fair", "Harbour none"]
    anonymous = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    titles = [card.title for card in atrium.search.search(query, anonymous).cards]
    assert titles == ["Harbour none", "Harbour fair", "Harbour good"]  # no results: newest
    with pytest.raises(ValueError, match="unknown sort"):
        search_query(atrium, {"sort": "best:not an iri"})


def test_the_segments_read_for_a_page_follow_the_vocabulary_at_once(atrium) -> None:
    """The segments and their labels are kept until the store's next write (an asset page
    asks for them twice): a segment a taxonomist adds shows on the next read."""
    scope = scope_for(MEMBER, atrium.iris, atrium.store)
    before = atrium.performance.concepts(SEGMENTS, scope, "en")
    new = atrium.iris.concept("audiences/night-owls")
    assert new.value not in before
    graph = atrium.iris.vocab_graph(SEGMENTS)
    scheme = atrium.iris.concept(SEGMENTS)
    atrium.store.update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> INSERT DATA { GRAPH "
        f'{graph} {{ {new} skos:inScheme {scheme} ; skos:prefLabel "Night owls"@en }} }}'
    )
    after = atrium.performance.concepts(SEGMENTS, scope, "en")
    assert after[new.value] == ("Night owls", frozenset())
    assert after.keys() - before.keys() == {new.value}
