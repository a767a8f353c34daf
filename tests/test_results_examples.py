"""The results examples of the query page count what they say: each measure summed on its own,
credited to the segment reached and rolled up through skos:broader*, per channel."""

from __future__ import annotations

import datetime as dt

import pytest
from search_helpers import put_asset

from app.domain.results.observations import Observation
from app.domain.sparql.examples import EXAMPLES, example_query
from app.namespaces import SCHEMA
from app.service import Atrium
from app.storage.graphstore import Scope

# (asset, segment reached, channel, impressions, clicks, conversions)
FIGURES = [
    ("poster", "students", "web", 1000, 100, 10),
    ("poster", "families", "web", 500, 50, 5),
    ("poster", "students", "email", 200, 20, 2),
    ("flyer", "sole-traders", "web", 300, 30, 3),
    ("banner", "consumers", "web", 100, 10, 1),
]
MADE_FOR = {"poster": "students", "flyer": "sole-traders", "banner": None}


@pytest.fixture
def results(atrium: Atrium) -> Atrium:
    ids = {}
    for name, audience in MADE_FOR.items():
        extra = (
            [(SCHEMA.audience, atrium.iris.concept(f"audiences/{audience}"))] if audience else []
        )
        ids[name] = put_asset(atrium, name, extra=extra)
    observations = [
        Observation(
            asset=atrium.iris.asset(ids[asset]),
            segment=atrium.iris.concept(f"audiences/{segment}"),
            channel=atrium.iris.concept(f"channels/{channel}"),
            campaign=atrium.iris.concept("campaigns/eurobike-2024"),
            start=dt.date(2024, 6, 1),
            end=dt.date(2024, 6, 30),
            impressions=impressions,
            clicks=clicks,
            conversions=conversions,
        )
        for asset, segment, channel, impressions, clicks, conversions in FIGURES
    ]
    assert atrium.observations.write(observations) == (len(FIGURES), 0)
    return atrium


def run(atrium: Atrium, name: str) -> list[dict[str, str]]:
    example = next(e for e in EXAMPLES if e.name == name)
    rows = atrium.store.select(example_query(example, atrium.iris), scope=Scope.everything())
    return [{key: term.value for key, term in row.items()} for row in rows]


def test_results_roll_up_to_broader_segments_per_channel(results: Atrium) -> None:
    rows = run(results, "results-per-segment")
    found = {
        (row["segmentLabel"], row["channelLabel"]): (
            int(row["impressions"]),
            int(row["clicks"]),
            int(row["conversions"]),
        )
        for row in rows
    }
    assert found == {
        ("Students", "Web"): (1000, 100, 10),
        ("Students", "Email"): (200, 20, 2),
        ("Families", "Web"): (500, 50, 5),
        ("Consumers", "Web"): (1600, 160, 16),
        ("Consumers", "Email"): (200, 20, 2),
        ("Sole traders", "Web"): (300, 30, 3),
        ("Small businesses", "Web"): (300, 30, 3),
        ("Customers", "Web"): (1900, 190, 19),
        ("Customers", "Email"): (200, 20, 2),
    }
    assert len(rows) == len(found)  # one row per segment and channel: nothing counted twice


def test_made_for_and_observed_in_are_told_apart(results: Atrium) -> None:
    rows = run(results, "made-for-versus-reached")
    found = {
        (row["segmentLabel"], row["madeForIt"] == "true"): (
            int(row["assets"]),
            int(row["impressions"]),
            int(row["conversions"]),
        )
        for row in rows
    }
    assert found == {
        ("Students", True): (1, 1200, 12),
        ("Families", False): (1, 500, 5),  # the poster was made for students, not families
        ("Consumers", True): (1, 1700, 17),
        ("Consumers", False): (1, 100, 1),  # the banner was made for no segment
        ("Sole traders", True): (1, 300, 3),
        ("Small businesses", True): (1, 300, 3),
        ("Customers", True): (2, 2000, 20),
        ("Customers", False): (1, 100, 1),
    }
