"""The interface in English, German and French, over real HTTP (issue 13).

The English strings a German page must not show are the catalogue's own message ids (those
whose German differs), not a hand-written list: a template string added without a German
translation fails here."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from babel.messages.pofile import read_po
from conftest import http_sign_in, make_atrium, serving
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.results.observations import Observation
from app.service import Atrium
from app.web.i18n import LANGUAGE_COOKIE, TRANSLATIONS, interface_languages

GERMAN = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"


def ingest_one(atrium: Atrium, path: Path, access: str, *settings: str) -> str:
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", access, settings=list(settings)))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def public_team_asset_with_results(atrium: Atrium, folder: Path) -> str:
    """An olive picture, public and tagged Team, with a month of email results for consumers
    from the spring launch: what the pages of the i18n tests show their numbers and labels on."""
    picture = folder / "team.png"
    Image.new("RGB", (320, 200), "olive").save(picture)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public", subjects=["Team"]))
    asset_id = ingester.run([picture], options).outcomes[0].asset_id
    concept = atrium.iris.concept
    observation = Observation(
        atrium.iris.asset(asset_id),
        concept("audiences/consumers"),
        concept("channels/email"),
        concept("campaigns/spring-launch"),
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
        impressions=1200,
        clicks=90,
        conversions=12,
    )
    atrium.observations.write([observation])
    return asset_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A served Atrium with a public asset, an admin and a collection holding the asset."""
    folder = tmp_path_factory.mktemp("i18n")
    atrium = make_atrium(folder / "data")
    picture = folder / "harbour.png"
    Image.new("RGB", (320, 200), "teal").save(picture)
    asset_id = ingest_one(atrium, picture, "public", "title=Harbour at dawn")
    atrium.users.add("admin1", "admin", [], "a-long-enough-password")
    try:
        with serving(atrium) as base_url:
            yield atrium, base_url, asset_id
    finally:
        atrium.close()


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def test_the_languages_are_english_and_those_with_a_catalogue() -> None:
    codes = {po.parent.parent.name for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert interface_languages() == ("en", *sorted(codes))
    assert {"de", "fr"} <= codes


def test_lang_in_the_query_sticks_through_a_cookie(site) -> None:
    _, base_url, _ = site
    browser = requests.Session()
    first = browser.get(f"{base_url}/?lang=de")
    assert first.status_code == 200
    assert html_lang(first.text) == "de" and "Suchen" in first.text
    assert browser.cookies.get(LANGUAGE_COOKIE) == "de"
    again = browser.get(f"{base_url}/login", headers={"Accept-Language": "en"})
    assert html_lang(again.text) == "de"
    assert "<h1>Anmelden</h1>" in again.text
    back = browser.get(f"{base_url}/login?lang=en")
    assert "<h1>Sign in</h1>" in back.text and browser.cookies.get(LANGUAGE_COOKIE) == "en"


def test_accept_language_picks_the_best_interface_language(site) -> None:
    _, base_url, _ = site
    page = requests.get(f"{base_url}/", headers={"Accept-Language": "it, fr-CH;q=0.9, en;q=0.5"})
    assert html_lang(page.text) == "fr"
    assert ">Chercher</button>" in page.text and "Vocabulaires" in page.text
    assert "Accept-Language" in page.headers.get("Vary", "")


def test_an_unknown_language_falls_back_to_english(site) -> None:
    _, base_url, _ = site
    browser = requests.Session()
    page = browser.get(f"{base_url}/?lang=xx", headers={"Accept-Language": "xx"})
    assert page.status_code == 200
    assert html_lang(page.text) == "en" and ">Search</button>" in page.text
    assert LANGUAGE_COOKIE not in browser.cookies
    cookie = {LANGUAGE_COOKIE: "klingon"}
    assert html_lang(requests.get(f"{base_url}/", cookies=cookie).text) == "en"


def test_the_language_switch_keeps_the_page_and_its_query(site) -> None:
    _, base_url, _ = site
    page_url = f"{base_url}/search?q=harbour&view=list"
    page = requests.get(page_url).text
    switch = re.search(r'<nav class="languages"[^>]*>(.*?)</nav>', page, re.S).group(1)
    links = dict(re.findall(r'href="([^"]+)" hreflang="(\w+)"', switch))
    assert set(links.values()) == {"de", "fr"}
    german = next(url for url, code in links.items() if code == "de").replace("&amp;", "&")
    assert urljoin(page_url, german) == f"{base_url}/search?q=harbour&view=list&lang=de"
    assert 'aria-current="true" lang="en">English<' in switch


def test_numbers_and_dates_follow_the_locale(site) -> None:
    atrium, base_url, asset_id = site
    admin = http_sign_in(base_url, "admin1", "a-long-enough-password")
    english = admin.get(f"{base_url}/assets/{asset_id}?lang=en").text
    german = admin.get(f"{base_url}/assets/{asset_id}?lang=de").text
    assert "Änderungsprotokoll" in german and "Audit trail" in english
    event_time = atrium.audit.history(atrium.iris.asset(asset_id))[0].time
    year = event_time[:4]
    # English: "Dec 2, 2026, 10:28:50 AM"; German: "02.12.2026, 10:28:50"
    assert re.search(rf"<dt>\d\d\.\d\d\.{year}, \d\d:\d\d:\d\d</dt>", german), german
    assert re.search(rf"<dt>\w{{3}} \d{{1,2}}, {year}, ", english)
    # the byte count in the download's title: 1,234 bytes / 1.234 Byte
    size = re.search(r'title="([\d.,]+) Byte"', german).group(1)
    assert re.search(rf'title="{size.replace(".", ",")} bytes"', english)


def test_the_asset_page_labels_follow_lang(site) -> None:
    """The asset page's concept labels honour ?lang= and Accept-Language (issue 13)."""
    _, base_url, asset_id = site
    german = requests.get(f"{base_url}/assets/{asset_id}", headers={"Accept-Language": "de"})
    french = requests.get(f"{base_url}/assets/{asset_id}?lang=fr")
    english = requests.get(f"{base_url}/assets/{asset_id}", headers={"Accept-Language": "en"})
    assert "<h2>Fichier</h2>" in french.text and "<h2>Datei</h2>" in german.text
    # field labels (sh:name) and concept labels (skos:prefLabel) in the reader's language
    assert "<dt>Titel</dt>" in german.text and "<dt>titre</dt>" in french.text
    assert "<dt>title</dt>" in english.text
    assert ">Bild</a>" in german.text and ">Image</a>" in english.text


# The German pages contain none of the English UI strings -------------------------------------


class _Texts(HTMLParser):
    """The interface text a reader sees or hears: text nodes and the labelling attributes,
    without the data shown as data (a record's values in ``dd``, the shapes' field help in
    ``.help``, which are in the languages the graph has them in) and without code."""

    ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
    NOT_INTERFACE = ("script", "style", "code", "dd")

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip: list[str] = []  # the open elements whose text is not interface text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in self.NOT_INTERFACE or "help" in classes:
            self._skip.append(tag)
        if not self._skip:
            self.chunks += [
                value.strip() for name, value in attrs if name in self.ATTRIBUTES and value
            ]

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(" ".join(data.split()))


def english_ui_strings() -> list[str]:
    """The English msgids (singular and plural) whose German is something else, and that have
    words of their own (not ``“%(label)s”``, which is only the language's quotes)."""
    with GERMAN.open("rb") as po_file:
        catalogue = read_po(po_file)
    strings = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        german = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(german), f"untranslated: {message.id!r}"
        strings += [text for text in ids if text not in german and _has_words(text)]
    return strings


def _has_words(msgid: str) -> bool:
    return re.search(r"[A-Za-z]", re.sub(r"%\(\w+\)s|<[^>]+>", "", msgid)) is not None


def _pattern(msgid: str) -> re.Pattern[str]:
    """The msgid as it shows in a page: tags dropped, each placeholder a few words."""
    visible = " ".join(re.sub(r"<[^>]+>", "", msgid).split())
    parts = re.split(r"%\(\w+\)s", visible)
    return re.compile(r"\S+(?: \S+){0,3}?".join(re.escape(part) for part in parts))


def english_left(page: str, strings: list[str]) -> list[str]:
    """The English strings the page shows: a short one (one or two words) as a whole text or
    label, a longer one anywhere in the text."""
    texts = _Texts()
    texts.feed(page)
    whole = " ".join(texts.chunks)
    left = []
    for msgid in strings:
        pattern = _pattern(msgid)
        if len(re.sub(r"%\(\w+\)s", "", msgid).split()) > 2:
            found = pattern.search(whole)
        else:
            found = any(pattern.fullmatch(chunk) for chunk in texts.chunks)
        if found:
            left.append(msgid)
    return left


def test_the_english_strings_come_from_the_catalogue() -> None:
    strings = english_ui_strings()
    assert len(strings) > 150
    assert "Skip to content" in strings and "Search the assets" in strings
    assert "Format" not in strings  # the same word in German


def test_the_german_main_pages_have_no_english_left(site) -> None:
    atrium, base_url, asset_id = site
    admin = http_sign_in(base_url, "admin1", "a-long-enough-password")
    admin.get(f"{base_url}/?lang=de")
    assert admin.cookies.get(LANGUAGE_COOKIE) == "de"
    admin.headers["Accept-Language"] = "de"  # a German reader's browser: data labels too
    created = admin.post(
        f"{base_url}/collections",
        data={"title": "Häfen", "visibility": "public", "csrf_token": _csrf(admin, base_url)},
    )
    assert created.status_code == 200, created.status_code
    collection_path = urlpath(created.url)
    assert collection_path.startswith("/collections/")
    pages = {
        "search": "/",
        "search with text": "/search?q=harbour&view=list",
        "no results": "/search?q=zzzqqq",
        "asset": f"/assets/{asset_id}",
        "collections": "/collections",
        "collection": collection_path,
        "upload": "/upload",
        "edit": f"/assets/{asset_id}/edit",
        "not found": "/nothing-here",
    }
    strings = english_ui_strings()
    for name, path in pages.items():
        response = admin.get(f"{base_url}{path}")
        assert response.status_code in (200, 404), (name, response.status_code)
        assert html_lang(response.text) == "de", name
        assert english_left(response.text, strings) == [], name
    signed_out = requests.get(f"{base_url}/login", headers={"Accept-Language": "de"})
    assert english_left(signed_out.text, strings) == []
    refused = requests.post(
        f"{base_url}/login?lang=de", data={"name": "x", "password": "y", "csrf_token": "z"}
    )
    assert refused.status_code in (400, 403)
    assert english_left(refused.text, strings) == []


def test_the_check_finds_english_in_an_english_page(site) -> None:
    """The check can fail: the same pages in English are full of the catalogue's strings."""
    _, base_url, _ = site
    page = requests.get(f"{base_url}/?lang=en").text
    left = english_left(page, english_ui_strings())
    assert {"Skip to content", "Search", "Vocabularies"} <= set(left)


def _csrf(session: requests.Session, base_url: str) -> str:
    form = session.get(f"{base_url}/collections").text
    return re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
