"""Hardening M5: lost updates on assets.

Two editors saved one asset and the second silently overwrote the first. Now every asset
record has a version (a hash of its triples), shown as the ``ETag`` of its representations and
carried by the edit and access forms; a save from a stale version gets a conflict that keeps
the person's input (409, the form again), or 412 for a script whose ``If-Match`` is stale. The
version is checked holding the asset's lock, so two saves racing from one version cannot both
land. The embedded store's write counter no longer loses counts when threads write at once.
A vocabulary change that re-tags assets (a merge, its revert) takes the same locks: it and an
edit of a re-tagged asset never overwrite each other, and an editor who opened the asset before
the re-tag gets the usual conflict.
"""

from __future__ import annotations

import html
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib
import requests
from conftest import add_user, http_sign_in, make_atrium, serving
from pyoxigraph import Literal, NamedNode, Quad, Triple
from search_helpers import put_asset

from app.domain.assets.records import AssetConflict, record_version
from app.namespaces import DAM, DCT
from app.service import Atrium
from app.storage.embedded import EmbeddedStore
from app.storage.graphstore import Scope

WAIT_SECONDS = 30  # only ever reached when the code under test is broken


def editor(
    atrium: Atrium, base_url: str, department: str = "marketing"
) -> tuple[str, requests.Session]:
    name = add_user(atrium, "contributor", (department,))
    return name, http_sign_in(base_url, name)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no hidden {name} in the page"
    return found.group(1)


def stored_title(atrium: Atrium, asset_id: str) -> str:
    record = atrium.assets.record(asset_id, Scope.everything())
    return next(t.object.value for t in record if t.predicate == DCT.title)


def edit_form(client: requests.Session, base_url: str, asset_id: str) -> dict[str, str]:
    """What a browser would send back from the edit form: its CSRF token and version."""
    page = client.get(f"{base_url}/assets/{asset_id}/edit").text
    return {"csrf_token": hidden(page, "csrf_token"), "version": hidden(page, "version")}


def access_form(client: requests.Session, base_url: str, asset_id: str) -> dict[str, str]:
    page = client.get(f"{base_url}/assets/{asset_id}").text
    form = page.split('id="access"')[1]
    return {"csrf_token": hidden(form, "csrf_token"), "version": hidden(form, "version")}


def test_m5_the_second_of_two_editors_gets_a_conflict_with_their_input_kept(site) -> None:
    atrium, base_url = site
    asset = put_asset(atrium, "Harbour at dawn", access="internal")
    first_name, first = editor(atrium, base_url)
    _, second = editor(atrium, base_url)
    first_form = edit_form(first, base_url, asset)
    second_form = edit_form(second, base_url, asset)
    url = f"{base_url}/assets/{asset}/edit"

    saved = first.post(
        url, data={**first_form, "title": "Harbour, first light"}, allow_redirects=False
    )
    assert saved.status_code == 302
    typed = {"title": "Harbour at sunrise", "keywords": "boats\nmist", "description": "Mine"}
    stale = second.post(url, data={**second_form, **typed}, allow_redirects=False)

    assert stale.status_code == 409
    page = html.unescape(stale.text)
    assert "Not saved: someone else changed this asset" in page
    assert f"changed by {first_name} at " in page  # who, from the audit trail
    assert 'value="Harbour at sunrise"' in page and "boats\nmist" in page and ">Mine<" in page
    assert f'href="/assets/{asset}"' in page  # to see the current record
    current = page.split('class="current"')[1].split("</dl>")[0]
    assert "Harbour, first light" in current  # what is stored now, beside their input
    assert stored_title(atrium, asset) == "Harbour, first light"

    # The form that came back holds the current version: saving it again is a deliberate choice.
    assert (
        hidden(page, "version") == atrium.assets.version(asset) == stale.headers["ETag"].strip('"')
    )
    again = second.post(
        url,
        data={**second_form, **typed, "version": hidden(page, "version")},
        allow_redirects=False,
    )
    assert again.status_code == 302
    assert stored_title(atrium, asset) == "Harbour at sunrise"


def test_m5_a_stale_access_change_gets_a_conflict_with_the_choice_kept(site) -> None:
    atrium, base_url = site
    asset = put_asset(atrium, "Quarterly poster", access="internal")
    _, first = editor(atrium, base_url)
    _, second = editor(atrium, base_url)
    first_form = access_form(first, base_url, asset)
    second_form = access_form(second, base_url, asset)
    url = f"{base_url}/assets/{asset}/access"

    assert (
        first.post(url, data={**first_form, "access": "public"}, allow_redirects=False).status_code
        == 302
    )
    stale = second.post(url, data={**second_form, "access": "restricted"}, allow_redirects=False)

    assert stale.status_code == 409
    section = html.unescape(stale.text).split('id="access"')[1].split("</section>")[0]
    assert "someone else changed this asset since you opened it" in section
    assert "it is public" in section  # as stored now
    assert '<option value="restricted" selected>' in section  # their choice, kept
    assert atrium.assets.access_of(asset) == ("public", "marketing")

    again = second.post(
        url,
        data={**second_form, "access": "restricted", "version": hidden(section, "version")},
        allow_redirects=False,
    )
    assert again.status_code == 302
    assert atrium.assets.access_of(asset) == ("restricted", "marketing")


def test_m5_an_access_change_after_someone_edited_the_description_is_a_conflict(site) -> None:
    atrium, base_url = site
    asset = put_asset(atrium, "Annual report", access="internal")
    _, describer = editor(atrium, base_url)
    _, mover = editor(atrium, base_url)
    stale_access = access_form(mover, base_url, asset)
    url = f"{base_url}/assets/{asset}/edit"
    assert (
        describer.post(
            url,
            data={**edit_form(describer, base_url, asset), "title": "Annual report 2026"},
            allow_redirects=False,
        ).status_code
        == 302
    )
    moved = mover.post(
        f"{base_url}/assets/{asset}/access",
        data={**stale_access, "access": "public"},
        allow_redirects=False,
    )
    assert moved.status_code == 409
    assert atrium.assets.access_of(asset) == ("internal", "marketing")


def script_client(atrium: Atrium, api_token) -> requests.Session:  # noqa: ANN001
    script = requests.Session()
    script.headers["Authorization"] = f"Bearer {api_token(atrium, 'contributor', ('marketing',))}"
    return script


@pytest.mark.parametrize(
    ("path", "form"), [("access", {"access": "public"}), ("edit", {"title": "Overwritten"})]
)
def test_m5_api_callers_with_a_stale_if_match_get_412(site, api_token, path, form) -> None:  # noqa: ANN001
    atrium, base_url = site
    asset = put_asset(atrium, "Fleet photo", access="internal")
    script = script_client(atrium, api_token)
    turtle = script.get(f"{base_url}/assets/{asset}", headers={"Accept": "text/turtle"})
    etag = turtle.headers["ETag"]
    assert etag == f'"{atrium.assets.version(asset)}"'
    assert script.get(f"{base_url}/assets/{asset}").headers["ETag"] == etag  # the page's too

    moved = script.post(
        f"{base_url}/assets/{asset}/access",
        data={"access": "restricted"},
        headers={"If-Match": etag},
        allow_redirects=False,
    )
    assert moved.status_code == 302
    stale = script.post(
        f"{base_url}/assets/{asset}/{path}",
        data=form,
        headers={"If-Match": etag},
        allow_redirects=False,
    )
    assert stale.status_code == 412
    assert "changed since you read it" in stale.json()["error"]
    assert atrium.assets.access_of(asset) == ("restricted", "marketing")
    assert stored_title(atrium, asset) == "Fleet photo"


def test_m5_api_callers_with_a_fresh_or_star_if_match_write(site, api_token) -> None:  # noqa: ANN001
    atrium, base_url = site
    asset = put_asset(atrium, "Fleet photo", access="internal")
    script = script_client(atrium, api_token)
    fresh = script.get(f"{base_url}/assets/{asset}/edit").headers["ETag"]
    edited = script.post(
        f"{base_url}/assets/{asset}/edit",
        data={"title": "Fleet, 2026"},
        headers={"If-Match": fresh},
        allow_redirects=False,
    )
    assert edited.status_code == 302 and stored_title(atrium, asset) == "Fleet, 2026"
    star = script.post(
        f"{base_url}/assets/{asset}/access",
        data={"access": "restricted"},
        headers={"If-Match": "*"},
        allow_redirects=False,
    )
    assert star.status_code == 302
    assert atrium.assets.access_of(asset) == ("restricted", "marketing")


def test_m5_two_saves_racing_from_one_version_cannot_both_land(site) -> None:
    """Both saves pass the early version check, then meet inside validation: only the asset's
    lock and the check made holding it stop the second from overwriting the first."""
    atrium, base_url = site
    asset = put_asset(atrium, "Shared draft", access="internal")
    clients = [editor(atrium, base_url)[1] for _ in range(2)]
    forms = [edit_form(client, base_url, asset) for client in clients]
    both_validating = threading.Barrier(2, timeout=WAIT_SECONDS)
    real_validate = atrium.assets.validate

    def validate(draft):  # noqa: ANN001, ANN202
        both_validating.wait()
        return real_validate(draft)

    atrium.assets.validate = validate
    url = f"{base_url}/assets/{asset}/edit"

    def save(index: int) -> int:
        form = {**forms[index], "title": f"Saved by editor {index}"}
        return clients[index].post(url, data=form, allow_redirects=False).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(save, range(2)))
    assert sorted(codes) == [302, 409]
    winner = codes.index(302)
    assert stored_title(atrium, asset) == f"Saved by editor {winner}"


def test_m5_a_stale_draft_is_refused_by_the_repository(tmp_path: Path) -> None:
    """The domain rule every write path shares: a draft read from the record is stored only
    while the record is still at the version it was read at."""
    atrium = make_atrium(tmp_path / "data")
    try:
        asset = put_asset(atrium, "Original", access="internal")
        version = atrium.assets.version(asset)
        early, late = atrium.assets.stored_draft(asset), atrium.assets.stored_draft(asset)
        assert (
            early.version
            == version
            == record_version(atrium.assets.record(asset, Scope.everything()))
        )
        late.triples = [t for t in late.triples if t.predicate != DCT.title]
        late.triples.append(Triple(late.iri, DCT.title, Literal("Changed first")))
        atrium.assets.save(late)
        assert atrium.assets.version(asset) != version
        early.triples.append(Triple(early.iri, DCT.description, Literal("Stale")))
        with pytest.raises(AssetConflict) as raised:
            atrium.assets.save(early)
        assert raised.value.current_version == atrium.assets.version(asset)
        with pytest.raises(AssetConflict):
            atrium.assets.set_access(asset, "public", expected_version=version)
        assert stored_title(atrium, asset) == "Changed first"
        assert atrium.assets.access_of(asset) == ("internal", "marketing")
    finally:
        atrium.close()


class YieldingCount(int):
    """A count whose addition lets other threads run between reading and storing it, as a
    preemptive thread switch (or a free-threaded Python) may: an unlocked ``+= 1`` loses
    counts then."""

    def __add__(self, other: int) -> YieldingCount:
        time.sleep(0)
        return YieldingCount(int(self) + other)


def test_m5_the_write_counter_counts_every_write_from_many_threads(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.generation = YieldingCount(0)
    graph = NamedNode("http://atrium.test/graphs/hammer")
    threads, rounds = 8, 150
    quad = Quad(graph, graph, Literal("x"), graph)

    def hammer(index: int) -> None:
        for _ in range(rounds):
            store.insert([quad])
            store.update(
                "INSERT DATA { GRAPH <http://atrium.test/graphs/hammer> { <urn:a> <urn:b> 1 } }"
            )
            store.replace_graph(graph, [Triple(graph, graph, Literal(index))])

    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(hammer, range(threads)))
        assert store.generation == threads * rounds * 3
        assert store.publish_for_readers() == threads * rounds * 3
    finally:
        store.close()


def test_m5_a_profile_import_and_an_edit_of_the_same_asset_lose_nothing(tmp_path: Path) -> None:
    """The batch edit of existing assets (a profile import re-flags them) reads
    and saves each record holding its lock: an edit that lands in between waits, then gets a
    conflict (the person keeps their draft); the import neither fails nor overwrites it."""
    from test_department_profiles import DATA, add_archive, image, ingest

    atrium = make_atrium(tmp_path / "data")
    try:
        add_archive(atrium)
        asset = ingest(atrium, image(tmp_path / "a.jpg"), "internal", "shelfMark=ARC-0001")
        stricter = atrium.profiles.read(DATA / "archive.ttl")
        condition = atrium.iris.vocab_base + "shapes/profiles/archive#condition-value"
        stricter.add((rdflib.URIRef(condition), rdflib.SH.minCount, rdflib.Literal(1)))

        importer = threading.current_thread()
        import_has_read, editor_is_waiting = threading.Event(), threading.Event()
        real_stored_draft = atrium.assets.stored_draft

        def stored_draft(asset_id: str):  # noqa: ANN202
            draft = real_stored_draft(asset_id)
            if threading.current_thread() is importer:
                import_has_read.set()
                editor_is_waiting.wait(WAIT_SECONDS)  # were there no lock: the edit lands now
            return draft

        atrium.assets.stored_draft = stored_draft
        atrium.assets.locks.on_contention = lambda key: editor_is_waiting.set()

        def edit() -> str:
            import_has_read.wait(WAIT_SECONDS)
            draft = real_stored_draft(asset)
            draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
            draft.triples.append(Triple(draft.iri, DCT.title, Literal("Edited meanwhile")))
            try:
                atrium.assets.save(draft)
            except AssetConflict:
                return "conflict"
            return "saved"

        with ThreadPoolExecutor(1) as pool:
            edited = pool.submit(edit)
            impact = atrium.profiles.import_profile(stricter, "archive")
            assert edited.result(WAIT_SECONDS) == "conflict"
        assert impact.become_incomplete == [atrium.iris.asset(asset).value]
        record = atrium.assets.record(asset, Scope.everything())
        assert any(t.predicate == DAM.incomplete for t in record)  # the import's re-flag
        assert stored_title(atrium, asset) != "Edited meanwhile"
    finally:
        atrium.close()


def test_m5_a_sparql_update_waits_for_an_edit_in_progress_and_keeps_it(
    tmp_path: Path, api_token
) -> None:  # noqa: ANN001
    """An update of an asset that an editor is saving waits for the save, then is evaluated
    on the saved record: the editor's title stays, and the update's description lands."""
    atrium = make_atrium(tmp_path / "data")
    try:
        asset = put_asset(atrium, "Original", access="internal")
        token = api_token(atrium, "admin")
        iri = atrium.iris.asset(asset)
        update = (
            f"PREFIX dct: <http://purl.org/dc/terms/> INSERT {{ GRAPH ?g {{ {iri} "
            f'dct:description "Added by SPARQL" }} }} WHERE {{ GRAPH ?g {{ {iri} dct:title ?t }} }}'
        )
        answers: list[requests.Response] = []
        with serving(atrium) as base_url:
            send = threading.Thread(
                target=lambda: answers.append(
                    requests.post(
                        f"{base_url}/sparql/update",
                        data={"update": update},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=60,
                    )
                )
            )
            with atrium.assets.editing(asset):  # an editor's save in progress
                send.start()
                send.join(1.0)
                assert not answers, "the update wrote while the record was being saved"
                draft = atrium.assets.stored_draft(asset)
                draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
                draft.triples.append(Triple(draft.iri, DCT.title, Literal("Saved meanwhile")))
                atrium.assets.save(draft)
            send.join(60)
        assert answers and answers[0].status_code == 200, answers[0].text if answers else ""
        assert stored_title(atrium, asset) == "Saved meanwhile"
        record = atrium.assets.record(asset, Scope.everything())
        assert [t.object.value for t in record if t.predicate == DCT.description] == [
            "Added by SPARQL"
        ]
    finally:
        atrium.close()


# --- vocabulary changes that re-tag assets ---------------------------------------------------


def subjects_of(atrium: Atrium, asset_id: str) -> set[str]:
    record = atrium.assets.record(asset_id, Scope.everything())
    return {t.object.value for t in record if t.predicate == DCT.subject}


def taxonomist(atrium: Atrium, base_url: str) -> requests.Session:
    return http_sign_in(base_url, add_user(atrium, "taxonomist"))


def merge_over_http(
    client: requests.Session, base_url: str, source: NamedNode, target: NamedNode
) -> requests.Response:
    """Confirm the merge page's form, as a taxonomist's browser would."""
    page = client.get(f"{base_url}/vocab/merge", params={"iri": source.value}).text
    form = {"csrf_token": hidden(page, "csrf_token"), "version": hidden(page, "version")}
    return client.post(
        f"{base_url}/vocab/merge",
        data={**form, "iri": source.value, "target": target.value},
        allow_redirects=False,
    )


def revert_over_http(client: requests.Session, base_url: str, change: str) -> requests.Response:
    page = client.get(f"{base_url}/vocab").text
    return client.post(
        f"{base_url}/vocab/revert",
        data={"csrf_token": hidden(page, "csrf_token"), "change": change},
        allow_redirects=False,
    )


def test_m5_an_editor_who_opened_the_asset_before_a_merge_gets_a_conflict_and_the_retag_stays(
    site,  # noqa: ANN001
) -> None:
    atrium, base_url = site
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    asset = put_asset(atrium, "Crew photo", access="internal", subjects=["Team"])
    _, contributor = editor(atrium, base_url)
    form = edit_form(contributor, base_url, asset)  # the form shows the subject "Team"

    assert merge_over_http(taxonomist(atrium, base_url), base_url, team, people).status_code == 303
    assert subjects_of(atrium, asset) == {people.value}
    assert atrium.assets.version(asset) != form["version"]  # the re-tag is a new version

    typed = {"title": "Crew on deck", "subject": "Team"}
    url = f"{base_url}/assets/{asset}/edit"
    stale = contributor.post(url, data={**form, **typed}, allow_redirects=False)

    assert stale.status_code == 409
    page = html.unescape(stale.text)
    assert "Not saved: someone else changed this asset" in page
    assert 'value="Crew on deck"' in page and 'value="Team"' in page  # their input, kept
    assert "People" in page.split('class="current"')[1].split("</dl>")[0]  # the re-tag, shown
    assert subjects_of(atrium, asset) == {people.value}
    assert stored_title(atrium, asset) == "Crew photo"

    again = contributor.post(
        url, data={**form, **typed, "version": hidden(page, "version")}, allow_redirects=False
    )
    assert again.status_code == 302
    assert stored_title(atrium, asset) == "Crew on deck"
    assert subjects_of(atrium, asset) == {people.value}  # "Team" now names its replacement


@pytest.mark.parametrize("change", ["merge", "revert of a merge"])
def test_m5_a_retagging_vocabulary_change_waits_for_an_edit_in_progress_and_keeps_it(
    site,  # noqa: ANN001
    change: str,
) -> None:
    """The change asks for the lock the editor's save holds (the repository is told of the
    contention) and does not answer before the save is done; it is then planned on the saved
    record, so both the edit and the re-tag stay."""
    atrium, base_url = site
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    asset = put_asset(atrium, "Crew photo", access="internal", subjects=["Team"])
    client = taxonomist(atrium, base_url)
    if change == "merge":
        send, retagged_to = (lambda: merge_over_http(client, base_url, team, people)), people
    else:
        assert merge_over_http(client, base_url, team, people).status_code == 303
        merge = atrium.vocab.history.of(team)[0].iri
        send, retagged_to = (lambda: revert_over_http(client, base_url, merge)), team

    waiting_or_done, contended = threading.Event(), threading.Event()
    answers: list[requests.Response] = []

    def contend(key: str) -> None:
        contended.set()
        waiting_or_done.set()

    def send_change() -> None:
        try:
            answers.append(send())
        finally:
            waiting_or_done.set()

    atrium.assets.locks.on_contention = contend
    sender = threading.Thread(target=send_change)
    with atrium.assets.editing(asset):  # an editor's save in progress
        sender.start()
        assert waiting_or_done.wait(WAIT_SECONDS)
        assert contended.is_set() and not answers, "the change did not wait for the asset's lock"
        draft = atrium.assets.stored_draft(asset)
        draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
        draft.triples.append(Triple(draft.iri, DCT.title, Literal("Saved meanwhile")))
        atrium.assets.save(draft)
    sender.join(WAIT_SECONDS)

    assert answers and answers[0].status_code == 303, answers[0].text if answers else ""
    assert stored_title(atrium, asset) == "Saved meanwhile"
    assert subjects_of(atrium, asset) == {retagged_to.value}


def test_m5_an_edit_that_arrives_while_a_merge_retags_waits_then_gets_a_conflict(site) -> None:  # noqa: ANN001
    """The editor's form is current when they send it, but the merge is already past its plan:
    the save waits for the merge's locks, then finds the re-tagged record and answers 409."""
    atrium, base_url = site
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    asset = put_asset(atrium, "Crew photo", access="internal", subjects=["Team"])
    _, contributor = editor(atrium, base_url)
    form = edit_form(contributor, base_url, asset)
    client = taxonomist(atrium, base_url)

    gates_running, edit_waiting_or_done = threading.Event(), threading.Event()
    guard = atrium.vocab.editor.guard
    real_new_problems = guard.new_problems

    def new_problems(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the merge's gates
        gates_running.set()
        edit_waiting_or_done.wait(WAIT_SECONDS)  # were there no lock: the edit lands now
        return real_new_problems(*args, **kwargs)

    guard.new_problems = new_problems
    atrium.assets.locks.on_contention = lambda key: edit_waiting_or_done.set()
    with ThreadPoolExecutor(1) as pool:
        merged = pool.submit(merge_over_http, client, base_url, team, people)
        assert gates_running.wait(WAIT_SECONDS)
        assert atrium.assets.version(asset) == form["version"]  # nothing written yet
        try:
            saved = contributor.post(
                f"{base_url}/assets/{asset}/edit",
                data={**form, "title": "Crew on deck", "subject": ""},
                allow_redirects=False,
            )
        finally:
            edit_waiting_or_done.set()
        assert merged.result(WAIT_SECONDS).status_code == 303

    assert saved.status_code == 409
    assert 'value="Crew on deck"' in html.unescape(saved.text)
    assert subjects_of(atrium, asset) == {people.value}  # neither untagged nor overwritten
    assert stored_title(atrium, asset) == "Crew photo"
