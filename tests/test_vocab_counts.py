"""Counts on the vocabulary pages say what they count, and agree with the search they link to
(issue 13, part 7): a concept's page counts the assets its link finds, narrower concepts
included, and says how many carry the concept itself."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.web import create_app

TAGS = [  # (subject, access): Vehicle once, its narrower Bicycle twice, E-bike (below) once
    ("Vehicle", "public"),
    ("Bicycle", "public"),
    ("Bicycle", "public"),
    ("E-bike", "public"),
    ("E-bike", "restricted"),
    ("Team", "public"),
]


@pytest.fixture
def tagged(atrium: Atrium, tmp_path: Path) -> Atrium:
    ingester = Ingester(atrium)
    for number, (subject, access) in enumerate(TAGS):
        path = tmp_path / f"asset-{number}.png"
        Image.new("RGB", (30 + number, 20), (40 * number, 90, 200)).save(path)
        options = ingester.resolve(IngestOptions("marketing", access, subjects=[subject]))
        assert ingester.run([path], options).outcomes[0].status == "ingested"
    return atrium


def usage_of(page: str) -> tuple[str, str, int | None]:
    """(the count's sentence, the search it links to, the number in its link)."""
    sentence = re.search(r'<p class="usage">(.*?)</p>', page, re.S).group(1)
    link = re.search(r'<a href="([^"]+)">([\d,]+) assets?</a>', sentence)
    text = " ".join(re.sub(r"<[^>]+>", "", sentence).split())
    if link is None:
        return text, "", None
    return text, html.unescape(link.group(1)), int(link.group(2).replace(",", ""))


def search_total(client, url: str) -> int:  # noqa: ANN001 - a Flask test client
    page = client.get(url).get_data(as_text=True)
    return int(re.search(r'<p class="count" role="status">([\d,]+) asset', page).group(1))


def test_a_broader_concept_counts_what_its_link_finds(tagged: Atrium) -> None:
    client = create_app(tagged).test_client()
    text, url, number = usage_of(client.get("/vocab/subjects/vehicle").get_data(as_text=True))
    assert number == 4  # public: Vehicle, Bicycle ×2, E-bike
    assert "tagged with this concept or its narrower concepts" in text
    assert "(1 with this concept directly)" in text
    assert search_total(client, url) == number


def test_the_count_follows_the_readers_access(tagged: Atrium, sign_in) -> None:
    client = create_app(tagged).test_client()
    sign_in(client, role="viewer", departments=("marketing",))
    text, url, number = usage_of(client.get("/vocab/subjects/bicycle").get_data(as_text=True))
    assert number == 4 and "(2 with this concept directly)" in text  # the restricted E-bike too
    assert search_total(client, url) == number


def test_a_concept_without_narrower_ones_says_it_uses_it(tagged: Atrium) -> None:
    client = create_app(tagged).test_client()
    text, url, number = usage_of(client.get("/vocab/subjects/team").get_data(as_text=True))
    assert number == 1 and text.endswith("uses this concept.")
    assert search_total(client, url) == number


def test_an_unused_concept_says_so(tagged: Atrium) -> None:
    client = create_app(tagged).test_client()
    text, url, number = usage_of(client.get("/vocab/subjects/truck").get_data(as_text=True))
    assert number is None and text == "No asset you may see is tagged with this concept."
    text, _, _ = usage_of(client.get("/vocab/subjects/logistics").get_data(as_text=True))
    assert text == ("No asset you may see is tagged with this concept or its narrower concepts.")


def test_every_concept_page_agrees_with_its_search(tagged: Atrium) -> None:
    client = create_app(tagged).test_client()
    for concept in ("transport", "vehicle", "bicycle", "e-bike", "people", "team"):
        _, url, number = usage_of(client.get(f"/vocab/subjects/{concept}").get_data(as_text=True))
        assert number is not None, concept
        assert search_total(client, url) == number, concept


def test_tree_counts_say_they_count_narrower_concepts(tagged: Atrium) -> None:
    page = create_app(tagged).test_client().get("/vocab/subjects").get_data(as_text=True)
    counts = re.findall(r'</a> <span class="n">([^<]*)</span>', page)  # the tree's nodes
    assert counts and all(c.endswith(" narrower") for c in counts)
    assert "top-level concepts" in page
