"""The taxonomist's editor: validated changes, merges, deprecation, history, locking, the web."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import atrium_on, csrf_token, make_atrium
from PIL import Image
from pyoxigraph import NamedNode
from virtuoso_server import SparqlService, known_limitation
from vocab_helpers import VOCAB_DATA, import_file, post_new_concept

from app.domain.concepts import ConceptIndex, UnknownConcept
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.access import Reader, scope_for
from app.domain.people.audit import Actor as AuditActor
from app.domain.search import SearchQuery
from app.domain.vocab.drafts import ConceptDraft, SchemeDraft
from app.domain.vocab.editor import Conflict, Editor, Refused
from app.domain.vocab.history import Actor
from app.namespaces import DCT, OWL, SKOS
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

EX = "http://example.test/colours/"
RED, BLUE, COLOUR = (NamedNode(EX + name) for name in ("red", "blue", "colour"))


@pytest.fixture
def colours(atrium: Atrium) -> Atrium:
    assert import_file(atrium, VOCAB_DATA / "clean.ttl").stored
    return atrium


def alice(atrium: Atrium) -> Actor:
    return Actor("alice", atrium.iris.user("alice"))


def editor(atrium: Atrium) -> Editor:
    return atrium.vocab.editor


def tag(atrium: Atrium, tmp_path: Path, name: str, access: str, *subjects: str) -> str:
    path = tmp_path / f"{name}.png"
    shade = sum(name.encode()) % 256
    Image.new("RGB", (32, 24), (shade, 255 - shade, len(name) * 20 % 256)).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", access, subjects=list(subjects)))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def subjects_of(atrium: Atrium, asset_id: str) -> set[str]:
    rows = atrium.store.select(
        "SELECT ?s WHERE { ?a <http://purl.org/dc/terms/subject> ?s }",
        scope=Scope.everything(),
        bindings={"a": atrium.iris.asset(asset_id)},
    )
    return {row["s"].value for row in rows}


# --- editing a concept ---------------------------------------------------------------------------


def test_labels_notes_and_links_are_saved_and_recorded(colours: Atrium) -> None:
    draft = editor(colours).draft(RED)
    draft.labels.append(("prefLabel", "fr", "Rouge"))
    draft.notes.append(("scopeNote", "en", "Any shade of red."))
    draft.mappings.append(("closeMatch", "http://www.wikidata.org/entity/Q3142"))
    version = editor(colours).version(RED)
    editor(colours).save(RED, draft, version, alice(colours))
    saved = editor(colours).draft(RED)
    assert ("prefLabel", "fr", "Rouge") in saved.labels
    assert ("scopeNote", "en", "Any shade of red.") in saved.notes
    assert ("closeMatch", "http://www.wikidata.org/entity/Q3142") in saved.mappings
    record = colours.vocab.history.of(RED)[0]
    assert record.agent == "alice" and record.action == "edited" and "“Red”" in record.summary
    added = {(q.predicate.value, q.object.value) for q in record.added}
    assert (
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        "Rouge",
    ) in added and not record.removed


def test_a_move_keeps_both_directions_of_the_hierarchy(colours: Atrium) -> None:
    draft = editor(colours).draft(BLUE)
    draft.broader = ["Red"]  # by label
    draft.related = []
    editor(colours).save(BLUE, draft, editor(colours).version(BLUE), alice(colours))
    red = colours.vocab.browser.concept(RED.value, _prefs())
    assert [link.iri for link in red.narrower] == [BLUE.value]
    assert BLUE.value not in {link.iri for link in red.related}  # both sides of related went
    colour = colours.vocab.browser.concept(COLOUR.value, _prefs())
    assert [link.iri for link in colour.narrower] == [RED.value]


def test_a_concept_without_broader_becomes_a_top_concept(colours: Atrium) -> None:
    draft = editor(colours).draft(RED)
    draft.broader = []
    editor(colours).save(RED, draft, editor(colours).version(RED), alice(colours))
    view = colours.vocab.browser.scheme(colours.vocab.get("colours"), _prefs())
    assert {node.iri for node in view.roots} == {COLOUR.value, RED.value}
    assert colours.vocab.check(colours.vocab.get("colours")).issues == []


def _prefs():  # noqa: ANN202
    from app.domain.vocab.languages import LanguagePreference

    return LanguagePreference.of(["en"])


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: setattr(d, "broader", [EX + "red"]), "broader", "own broader"),
        (lambda d: d.labels.append(("prefLabel", "en", "Blue")), "labels", "like"),
        (lambda d: d.labels.append(("altLabel", "en", "Red")), "labels", "altLabel"),
        (lambda d: d.related.append(EX + "colour"), "related", "also one of its broader"),
        (lambda d: d.labels.append(("altLabel", "", "Rubin")), "labels", "language tag"),
        (
            lambda d: setattr(d, "labels", [("altLabel", "en", "Rubin")]),
            "labels",
            "needs a prefLabel",
        ),
        (lambda d: d.broader.append("Purple"), "broader", "labelled"),
        (lambda d: d.mappings.append(("exactMatch", "not an iri")), "mappings", "not an IRI"),
    ],
)
def test_a_change_that_breaks_a_gate_is_refused_and_stores_nothing(
    colours: Atrium,
    change,
    field: str,
    words: str,  # noqa: ANN001
) -> None:
    draft = editor(colours).draft(RED)
    change(draft)
    before = set(colours.vocab.triples(colours.vocab.get("colours")))
    with pytest.raises(Refused) as refused:
        editor(colours).save(RED, draft, editor(colours).version(RED), alice(colours))
    assert any(words in message for message in refused.value.fields[field]), refused.value.fields
    assert set(colours.vocab.triples(colours.vocab.get("colours"))) == before
    assert not colours.vocab.history.of(RED)


def test_a_cycle_through_a_grandchild_is_refused(colours: Atrium) -> None:
    draft = editor(colours).draft(COLOUR)
    draft.broader = [EX + "blue"]
    with pytest.raises(Refused) as refused:
        editor(colours).save(COLOUR, draft, editor(colours).version(COLOUR), alice(colours))
    assert "no cycle in broader" in " ".join(refused.value.fields["broader"])


def test_problems_that_were_there_before_do_not_block_an_edit(atrium: Atrium) -> None:
    import_file(atrium, VOCAB_DATA / "two-preflabels.ttl")
    draft = editor(atrium).draft(RED)
    draft.notes.append(("definition", "en", "A warm colour."))
    editor(atrium).save(RED, draft, editor(atrium).version(RED), alice(atrium))
    assert ("definition", "en", "A warm colour.") in editor(atrium).draft(RED).notes


def test_the_second_of_two_saves_gets_a_conflict_and_loses_nothing(colours: Atrium) -> None:
    version = editor(colours).version(RED)
    first, second = editor(colours).draft(RED), editor(colours).draft(RED)
    first.labels.append(("altLabel", "en", "Ruby"))
    second.labels.append(("altLabel", "en", "Cherry"))
    editor(colours).save(RED, first, version, alice(colours))
    with pytest.raises(Conflict) as conflict:
        editor(colours).save(RED, second, version, Actor("bob", colours.iris.user("bob")))
    assert "alice" in str(conflict.value) and conflict.value.current_version != version
    assert ("altLabel", "en", "Cherry") in second.labels  # the caller still holds bob's edits
    editor(colours).save(RED, second, conflict.value.current_version, alice(colours))
    labels = {text for _, _, text in editor(colours).draft(RED).labels}
    assert "Cherry" in labels and "Ruby" not in labels


def test_create_mints_an_iri_under_atriums_base(colours: Atrium) -> None:
    draft = ConceptDraft(labels=[("prefLabel", "en", "Dark red")], broader=[EX + "red"])
    concept = editor(colours).create("colours", draft, alice(colours))
    assert concept.value == f"{colours.iris.vocab_base}colours/dark-red"
    again = editor(colours).create(
        "subjects", ConceptDraft(labels=[("prefLabel", "en", "Drones")]), alice(colours)
    )
    assert again.value == f"{colours.iris.vocab_base}subjects/drones"
    red = colours.vocab.browser.concept(RED.value, _prefs())
    assert concept.value in {link.iri for link in red.narrower}


# --- merge, deprecate, delete, revert ------------------------------------------------------------


def test_merge_retags_assets_deprecates_and_search_still_finds_them(
    atrium: Atrium, tmp_path: Path
) -> None:
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    public = tag(atrium, tmp_path, "public", "public", "Team")
    both = tag(atrium, tmp_path, "both", "restricted", "Team", "People")
    editor(atrium).merge(team, people, editor(atrium).version(team), alice(atrium))
    assert subjects_of(atrium, public) == {people.value}
    assert subjects_of(atrium, both) == {people.value}
    triples = editor(atrium)._statements(team, atrium.vocab.catalogue.home_graph(team))[0]  # noqa: SLF001
    assert any(t.predicate == OWL.deprecated and t.object.value == "true" for t in triples)
    assert any(t.predicate == DCT.isReplacedBy and t.object == people for t in triples)
    assert ("prefLabel", "en", "Team") in editor(atrium).draft(team).labels  # keeps its labels
    assert atrium.concepts().resolve("Team") == people  # tagging by the old label
    found = atrium.search.search(SearchQuery(text="Mannschaft"), Scope.everything())
    assert found.total == 2  # an altLabel of Team, the merged concept
    assert atrium.vocab.catalogue.home_graph(team) is not None
    page = create_app(atrium).test_client().get("/vocab/subjects/team").get_data(as_text=True)
    assert "Deprecated." in page and "People</a>" in page


def test_the_concept_index_is_read_again_after_an_update_that_may_reach_it(atrium: Atrium) -> None:
    first = atrium.concepts()
    assert atrium.concepts() is first, "nothing written since: the index already read"
    with pytest.raises(UnknownConcept):
        first.resolve("Crew")
    team = atrium.iris.concept("subjects/team")
    graph = atrium.vocab.catalogue.home_graph(team)
    atrium.store.update(f'INSERT DATA {{ GRAPH {graph} {{ {team} {SKOS.altLabel} "Crew"@en }} }}')
    assert atrium.concepts().resolve("Crew") == team, "a bare SPARQL update: it may write anywhere"


def test_the_concept_index_outlives_a_new_asset_and_its_edit(
    atrium: Atrium, tmp_path: Path
) -> None:
    """An upload or an edit writes asset graphs; reading every concept again (half a second
    on a store with GEMET) would be for nothing."""
    first = atrium.concepts()
    asset_id = tag(atrium, tmp_path, "new", "internal", "Team")
    assert atrium.concepts() is first
    draft = atrium.assets.stored_draft(asset_id)
    draft.access = "restricted"  # the record moves to another graph
    atrium.assets.save(draft, actor=AuditActor.user("alice"))
    assert atrium.concepts() is first, "nor an edit of one"
    admin = Reader(signed_in=True, admin=True, name="alice")
    album = atrium.collections.create(admin, "Album")
    everything = scope_for(admin, atrium.iris, atrium.store)
    atrium.collections.add(album, admin, everything, [atrium.iris.asset(asset_id)])
    assert atrium.concepts() is first, "nor a collection and its members"
    atrium.assets.delete(asset_id, actor=AuditActor.user("alice"))
    assert atrium.concepts() is first, "nor a deletion"


def test_atriums_over_one_remote_store_keep_the_concept_index_until_a_vocabulary_is_written(
    remote_service: SparqlService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several processes behind a load balancer: another's upload leaves the index that this
    one read; another's change to a vocabulary has it read again at once."""
    reads = []
    read = ConceptIndex.load
    monkeypatch.setattr(ConceptIndex, "load", lambda *args: reads.append(1) or read(*args))
    with atrium_on(remote_service, tmp_path / "one") as one:
        two = make_atrium(tmp_path / "two", store=remote_service.store())
        try:
            one.concepts()
            tag(two, tmp_path, "new", "internal", "Team")
            reads.clear()
            one.concepts()
            assert not reads, "read again after the other's upload"
            team = one.iris.concept("subjects/team")
            graph = one.vocab.catalogue.home_graph(team)
            two.store.update(
                f'INSERT DATA {{ GRAPH {graph} {{ {team} {SKOS.altLabel} "Crew"@en }} }}'
            )
            assert one.concepts().resolve("Crew") == team
        finally:
            two.close()


def test_reverting_a_merge_restores_the_tags_exactly(atrium: Atrium, tmp_path: Path) -> None:
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    only_team = tag(atrium, tmp_path, "only", "internal", "Team")
    both = tag(atrium, tmp_path, "both", "internal", "Team", "People")
    editor(atrium).merge(team, people, editor(atrium).version(team), alice(atrium))
    merge = atrium.vocab.history.of(team)[0]
    editor(atrium).revert(NamedNode(merge.iri), alice(atrium))
    assert subjects_of(atrium, only_team) == {team.value}
    assert subjects_of(atrium, both) == {team.value, people.value}
    assert editor(atrium).draft(team).labels
    assert atrium.concepts().resolve("Team") == team
    latest = atrium.vocab.history.of(team)[0]
    assert latest.action == "reverted" and latest.reverts == merge.iri
    with pytest.raises(Refused):
        editor(atrium).revert(NamedNode(merge.iri), alice(atrium))  # reverted already


def test_a_department_cannot_be_merged(atrium: Atrium) -> None:
    hr, legal = atrium.iris.concept("departments/hr"), atrium.iris.concept("departments/legal")
    with pytest.raises(Refused) as refused:
        editor(atrium).merge(hr, legal, editor(atrium).version(hr), alice(atrium))
    assert "departments decide who may see assets" in refused.value.fields["target"][0]


def test_deprecate_keeps_the_tags_and_marks_the_concept(atrium: Atrium, tmp_path: Path) -> None:
    team = atrium.iris.concept("subjects/team")
    asset = tag(atrium, tmp_path, "kept", "public", "Team")
    editor(atrium).deprecate(team, editor(atrium).version(team), alice(atrium))
    assert subjects_of(atrium, asset) == {team.value}
    client = create_app(atrium).test_client()
    assert "Deprecated." in client.get("/vocab/subjects/team").get_data(as_text=True)
    tree = client.get(
        f"/vocab/children?vocabulary=subjects&iri={atrium.iris.concept('subjects/people').value}"
    )
    assert "deprecated" in tree.get_data(as_text=True)
    editor(atrium).deprecate(team, editor(atrium).version(team), alice(atrium), undo=True)
    assert "Deprecated." not in client.get("/vocab/subjects/team").get_data(as_text=True)


def test_delete_is_refused_while_assets_use_the_concept(atrium: Atrium, tmp_path: Path) -> None:
    team = atrium.iris.concept("subjects/team")
    tag(atrium, tmp_path, "used", "restricted", "Team")
    impact = editor(atrium).impact(team)
    assert impact.assets == 1 and impact.narrower == 0
    with pytest.raises(Refused) as refused:
        editor(atrium).delete(team, editor(atrium).version(team), alice(atrium))
    assert "1 asset is tagged" in str(refused.value.fields["delete"][0])


def test_delete_moves_the_narrower_concepts_up(colours: Atrium) -> None:
    impact = editor(colours).impact(COLOUR)
    assert (impact.narrower, impact.descendants, impact.subtree_assets) == (2, 2, 0)
    editor(colours).delete(COLOUR, editor(colours).version(COLOUR), alice(colours))
    assert colours.vocab.catalogue.home_graph(COLOUR) is None
    view = colours.vocab.browser.scheme(colours.vocab.get("colours"), _prefs())
    assert {node.iri for node in view.roots} == {RED.value, BLUE.value}
    assert colours.vocab.check(colours.vocab.get("colours")).issues == []
    editor(colours).revert(NamedNode(colours.vocab.history.of(COLOUR)[0].iri), alice(colours))
    assert colours.vocab.catalogue.home_graph(COLOUR) is not None


def test_a_revert_is_refused_when_later_changes_touched_the_same_statements(
    colours: Atrium,
) -> None:
    first = editor(colours).draft(RED)
    first.labels.append(("altLabel", "en", "Ruby"))
    editor(colours).save(RED, first, editor(colours).version(RED), alice(colours))
    second = editor(colours).draft(RED)
    second.labels = [row for row in second.labels if row[2] != "Ruby"]
    editor(colours).save(RED, second, editor(colours).version(RED), alice(colours))
    oldest = colours.vocab.history.of(RED)[-1]
    with pytest.raises(Refused) as refused:
        editor(colours).revert(NamedNode(oldest.iri), alice(colours))
    assert "later changes" in str(refused.value.fields["revert"][0])


def test_schemes_are_created_edited_and_deleted(atrium: Atrium) -> None:
    scheme = editor(atrium).create_scheme(
        "projects", SchemeDraft([("en", "Projects")]), alice(atrium)
    )
    assert atrium.vocab.get("projects").scheme.iri == scheme.value
    draft = SchemeDraft([("en", "Projects"), ("de", "Projekte")], [("en", "Our projects.")])
    editor(atrium).save_scheme(scheme, draft, editor(atrium).version(scheme), alice(atrium))
    view = atrium.vocab.browser.scheme(atrium.vocab.get("projects"), _prefs())
    assert {row.text for row in view.titles} == {"Projects", "Projekte"}
    with pytest.raises(Refused):
        editor(atrium).create_scheme("projects", SchemeDraft([("en", "Again")]), alice(atrium))
    with pytest.raises(Refused):
        editor(atrium).create_scheme("edit", SchemeDraft([("en", "Reserved")]), alice(atrium))
    editor(atrium).delete_scheme(scheme, alice(atrium))
    assert atrium.vocab.catalogue.get("projects") is None


def test_a_vocabulary_in_use_cannot_be_deleted(atrium: Atrium, tmp_path: Path) -> None:
    tag(atrium, tmp_path, "in-use", "public", "Team")
    with pytest.raises(Refused) as refused:
        editor(atrium).delete_scheme(atrium.iris.concept("subjects"), alice(atrium))
    assert "1 asset is tagged with its concepts" in str(refused.value.fields["delete"][0])
    assert atrium.vocab.catalogue.get("subjects") is not None


@pytest.mark.remote
def test_merge_and_revert_on_the_remote_store(
    remote_atrium: Atrium, request: pytest.FixtureRequest
) -> None:
    known_limitation(
        request,
        "a * or + property path whose start is bound only by VALUES fails (TR...: transitive "
        "start not given); the vocabulary guard's neighbourhood query has that shape",
    )
    atrium = remote_atrium
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    asset = atrium.iris.asset("00000000000000aa")
    graph = atrium.iris.asset_graph("public", "")
    atrium.store.update(
        f"INSERT DATA {{ GRAPH {graph} {{ {asset} a <https://w3id.org/atrium/ns#Asset> ; "
        f"<http://purl.org/dc/terms/subject> {team} }} }}"
    )
    editor(atrium).merge(team, people, editor(atrium).version(team), alice(atrium))
    rows = atrium.store.select(
        "SELECT ?s WHERE { ?a <http://purl.org/dc/terms/subject> ?s }",
        scope=Scope.everything(),
        bindings={"a": asset},
    )
    assert [row["s"] for row in rows] == [people]
    editor(atrium).revert(NamedNode(atrium.vocab.history.of(team)[0].iri), alice(atrium))
    rows = atrium.store.select(
        "SELECT ?s WHERE { ?a <http://purl.org/dc/terms/subject> ?s }",
        scope=Scope.everything(),
        bindings={"a": asset},
    )
    assert [row["s"] for row in rows] == [team]


# --- the web editor ------------------------------------------------------------------------------


@pytest.fixture
def web(colours: Atrium):  # noqa: ANN201
    return create_app(colours).test_client()


def edit_form(client, iri: str) -> dict[str, list[str]]:  # noqa: ANN001
    """The edit form's fields as a browser would post them."""
    html = client.get(f"/vocab/edit?iri={iri}").get_data(as_text=True)
    form: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input (?:type="hidden" )?name="(\w+)" value="([^"]*)"', html):
        form.setdefault(name, []).append(value.replace("&amp;", "&").replace("&#34;", '"'))
    for name, body in re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', html):
        form.setdefault(name, []).append(body)
    for name, chosen in re.findall(
        r'<select name="(\w+)">.*?<option value="(\w+)" selected>', html
    ):
        form.setdefault(name, []).append(chosen)
    return form


def test_only_taxonomists_and_admins_may_edit(web, sign_in) -> None:  # noqa: ANN001
    assert web.get(f"/vocab/edit?iri={EX}red").status_code == 302  # anonymous: sign in
    sign_in(web, role="contributor", departments=("marketing",))
    assert web.get(f"/vocab/edit?iri={EX}red").status_code == 403
    assert (
        web.post(
            "/vocab/deprecate", data={"iri": EX + "red", "csrf_token": csrf_token(web)}
        ).status_code
        == 403
    )
    sign_in(web, role="admin")
    assert web.get(f"/vocab/edit?iri={EX}red").status_code == 200


def test_an_edit_without_the_csrf_token_is_refused(web, sign_in) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    response = web.post("/vocab/deprecate", data={"iri": EX + "red"})
    assert response.status_code == 400


def test_the_edit_form_saves_a_new_label(web, sign_in, colours: Atrium) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    html = web.get(f"/vocab/edit?iri={EX}red").get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'name="version"' in html and "Crimson" in html
    data = {
        "iri": EX + "red",
        "version": re.search(r'name="version" value="(\w+)"', html).group(1),
        "csrf_token": csrf_token(web),
        "label_kind": ["prefLabel", "prefLabel", "altLabel", "hiddenLabel", "prefLabel"],
        "label_lang": ["en", "de", "en", "en", "fr"],
        "label_text": ["Red", "Rot", "Crimson", "Redd", "Rouge"],
        "note_kind": ["definition"],
        "note_lang": ["en"],
        "note_text": ["The colour of blood."],
        "broader": [EX + "colour"],
        "related": [EX + "blue"],
    }
    response = web.post("/vocab/edit", data=data)
    assert response.status_code == 303
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved." in page and "Rouge" in page and "History" in page


def test_a_refused_edit_shows_the_reason_next_to_the_field(web, sign_in) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    html = web.get(f"/vocab/edit?iri={EX}colour").get_data(as_text=True)
    data = {
        "iri": EX + "colour",
        "version": re.search(r'name="version" value="(\w+)"', html).group(1),
        "csrf_token": csrf_token(web),
        "label_kind": ["prefLabel"],
        "label_lang": ["en"],
        "label_text": ["Colour"],
        "broader": [EX + "red"],
        "confirm_move": "1",
    }
    response = web.post("/vocab/edit", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page[page.index('id="field-broader"') :]
    field = field[: field.index("</fieldset>")]
    assert "no cycle in broader" in field and 'value="http://example.test/colours/red"' in field


def test_moving_a_concept_with_narrower_ones_asks_first(web, sign_in) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    html = web.get(f"/vocab/edit?iri={EX}colour").get_data(as_text=True)
    version = re.search(r'name="version" value="(\w+)"', html).group(1)
    data = {
        "iri": EX + "colour",
        "version": version,
        "csrf_token": csrf_token(web),
        "label_kind": ["prefLabel"],
        "label_lang": ["en"],
        "label_text": ["Colour"],
        "broader": ["http://atrium.test/vocab/subjects/nature"],
    }
    page = web.post("/vocab/edit", data=data).get_data(as_text=True)
    assert "Move this concept?" in page and "<strong>2</strong> narrower concepts" in page
    assert 'name="confirm_move" value="1"' in page and 'name="label_text" value="Colour"' in page


def test_a_conflicting_save_keeps_the_taxonomists_edits(web, sign_in, colours: Atrium) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    stale = editor(colours).version(RED)
    other = editor(colours).draft(RED)
    other.labels.append(("altLabel", "en", "Ruby"))
    editor(colours).save(RED, other, stale, Actor("bob", colours.iris.user("bob")))
    data = {
        "iri": EX + "red",
        "version": stale,
        "csrf_token": csrf_token(web),
        "label_kind": ["prefLabel"],
        "label_lang": ["en"],
        "label_text": ["Cherry red"],
        "broader": [EX + "colour"],
    }
    response = web.post("/vocab/edit", data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "someone else changed" in page and "bob" in page
    assert 'value="Cherry red"' in page and "Ruby" in page  # theirs kept, the stored one shown
    assert re.search(r'name="version" value="(\w+)"', page).group(1) == editor(colours).version(RED)


def test_the_impact_counts_agree_with_their_nouns_in_each_language(
    web, sign_in, colours: Atrium, tmp_path: Path
) -> None:  # noqa: ANN001
    tag(colours, tmp_path, "poster", "public", "Red")
    sign_in(web, role="taxonomist")

    def impact(path: str, language: str) -> str:
        page = web.get(path, headers={"Accept-Language": language}).get_data(as_text=True)
        return " ".join(re.findall(r"<li>(.*?)</li>", page, re.S))

    merge_red, delete_colour = f"/vocab/merge?iri={EX}red", f"/vocab/delete?iri={EX}colour"
    assert "<strong>1</strong> asset tagged with it is re-tagged" in impact(merge_red, "en")
    assert "<strong>2</strong> narrower concepts move up" in impact(delete_colour, "en")
    german = impact(merge_red, "de")
    assert "<strong>1</strong> damit verschlagwortetes Medium wird mit dem Begriff" in german
    assert "<strong>0</strong> Unterbegriffe wandern" in german  # 0 is plural in German
    french = impact(merge_red, "fr")
    assert "<strong>0</strong> concept spécifique passe sous ce concept" in french  # singular
    assert "<strong>2</strong> concepts spécifiques remontent" in impact(delete_colour, "fr")


def test_merge_and_delete_pages_show_the_impact_first(web, sign_in, colours: Atrium) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    page = web.get(f"/vocab/delete?iri={EX}colour").get_data(as_text=True)
    assert "<strong>2</strong> narrower concepts" in page
    merge = web.get(f"/vocab/merge?iri={EX}blue").get_data(as_text=True)
    assert "<strong>0</strong> assets tagged" in merge
    version = re.search(r'name="version" value="(\w+)"', merge).group(1)
    response = web.post(
        "/vocab/merge",
        data={
            "iri": EX + "blue",
            "version": version,
            "target": "Red",
            "csrf_token": csrf_token(web),
        },
    )
    assert response.status_code == 303
    assert "Deprecated." in web.get(f"/vocab/concept?iri={EX}blue").get_data(as_text=True)


def test_the_history_shows_changes_and_reverts_them(web, sign_in, colours: Atrium) -> None:  # noqa: ANN001
    draft = editor(colours).draft(RED)
    draft.labels.append(("altLabel", "en", "Ruby"))
    editor(colours).save(RED, draft, editor(colours).version(RED), alice(colours))
    assert "History" not in web.get(f"/vocab/concept?iri={EX}red").get_data(as_text=True)
    sign_in(web, role="taxonomist")
    page = web.get(f"/vocab/concept?iri={EX}red").get_data(as_text=True)
    assert "alice" in page and "Edited “Red”" in page and "Ruby" in page
    change = re.search(r'name="change" value="([^"]+)"', page).group(1)
    response = web.post(
        "/vocab/revert",
        data={
            "change": change,
            "back": f"/vocab/concept?iri={EX}red",
            "csrf_token": csrf_token(web),
        },
    )
    assert response.status_code == 303
    assert ("altLabel", "en", "Ruby") not in editor(colours).draft(RED).labels


def test_new_concept_and_scheme_forms(web, sign_in, colours: Atrium) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    form = web.get(f"/vocab/new?vocabulary=colours&broader={EX}colour").get_data(as_text=True)
    assert f'value="{EX}colour"' in form
    response = post_new_concept(web, "Green", broader=[EX + "colour"])
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/vocab/colours/green"
    )
    assert "Green" in web.get(response.headers["Location"]).get_data(as_text=True)
    refused = post_new_concept(web, "Red")
    assert refused.status_code == 422 and "prefLabels unique within a scheme" in refused.get_data(
        as_text=True
    )
    created = web.post(
        "/vocab/new-scheme",
        data={
            "slug": "projects",
            "csrf_token": csrf_token(web),
            "title_lang": ["en"],
            "title_text": ["Projects"],
            "description_lang": ["en"],
            "description_text": [""],
        },
    )
    assert created.status_code == 303
    assert "Projects" in web.get("/vocab/").get_data(as_text=True)


def test_taxonomists_see_how_many_asset_links_a_merge_rewrote(
    atrium: Atrium,
    tmp_path: Path,
    sign_in,  # noqa: ANN001
) -> None:
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    tag(atrium, tmp_path, "hidden", "restricted", "Team")
    editor(atrium).merge(team, people, editor(atrium).version(team), alice(atrium))
    client = create_app(atrium).test_client()
    sign_in(client, role="viewer")
    assert "asset links rewritten" not in client.get("/vocab/subjects/team").get_data(as_text=True)
    sign_in(client, role="taxonomist")
    page = client.get("/vocab/subjects/team").get_data(as_text=True)
    assert "(2 asset links rewritten)" in page  # one removed, one added: counts only, no IRIs
    assert atrium.iris.asset_graph("restricted", "marketing").value not in page


def test_a_merge_retags_an_asset_tagged_while_it_was_taking_the_locks(
    atrium: Atrium, tmp_path: Path
) -> None:
    """A merge learns which assets it re-tags from a first plan, then plans again holding their
    locks: an asset tagged in between is found then, and the merge takes its lock too."""
    team, people = atrium.iris.concept("subjects/team"), atrium.iris.concept("subjects/people")
    first = tag(atrium, tmp_path, "first", "internal", "Team")
    calls: list[set[str]] = []
    tagged: list[str] = []
    real_editing = atrium.assets.editing

    def editing(*asset_ids: str):  # noqa: ANN202
        calls.append(set(asset_ids))
        if len(calls) == 1:  # the merge's first round: someone tags another asset just before
            tagged.append(tag(atrium, tmp_path, "second", "internal", "Team"))
        return real_editing(*asset_ids)

    atrium.assets.editing = editing
    editor(atrium).merge(team, people, editor(atrium).version(team), alice(atrium))
    assert calls[0] == {first} and calls[-1] == {first, tagged[0]}
    assert subjects_of(atrium, first) == subjects_of(atrium, tagged[0]) == {people.value}
