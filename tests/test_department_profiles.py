"""A department that exists only in the tests (tests/profile-data/): its profile, imported as
data, drives every surface with no Python change: ``--set``, the forms, the asset page, facets,
text search, the subject field, the SPARQL examples, re-validation and other processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from conftest import csrf_token, make_atrium
from PIL import Image

from app.cli.main import main
from app.domain.concepts import UnknownConcept
from app.domain.people.access import ANONYMOUS, scope_for
from app.domain.search import SearchQuery
from app.domain.shapes.catalogue import ShapeCatalogue
from app.domain.shapes.profiles import ProfileRefused
from app.domain.vocab.history import CLI_ACTOR
from app.domain.vocab.importer import ImportOptions
from app.namespaces import DAM, SH
from app.service import Atrium
from app.web import create_app

DATA = Path(__file__).parent / "profile-data"
BASE_IRI = "http://atrium.test/"


def image(path: Path, colour: str = "navy") -> Path:
    Image.new("RGB", (80, 60), colour).save(path, format="JPEG")
    return path


def add_archive(atrium: Atrium, profile: str = "archive.ttl") -> None:
    """Steps 1–3 and 6 of the README's walk-through, through the domain API."""
    atrium.vocab.import_file(DATA / "archive-department.ttl", ImportOptions(merge=True), CLI_ACTOR)
    atrium.vocab.import_file(DATA / "carriers.ttl", ImportOptions(), CLI_ACTOR)
    atrium.profiles.import_profile(atrium.profiles.read(DATA / profile), "archive")


@pytest.fixture
def archive(tmp_path: Path):  # noqa: ANN201
    service = make_atrium(tmp_path / "data")
    add_archive(service)
    yield service
    service.close()


def ingest(atrium: Atrium, path: Path, access: str = "public", *settings: str) -> str:
    from app.domain.media.ingest import Ingester, IngestOptions

    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("archive", access, settings=list(settings)))
    report = ingester.run([path], options)
    (outcome,) = report.outcomes
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


# --- the command line -----------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_readme_walk_through_on_the_command_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    profile = str(DATA / "archive.ttl")
    assert run(capsys, "vocab", "import", str(DATA / "archive-department.ttl"), "--merge")[0] == 0
    status, _, err = run(capsys, "profile", "check", profile)
    assert status == 1 and "carriers> is not stored" in err  # its scheme comes first
    assert run(capsys, "vocab", "import", str(DATA / "carriers.ttl"))[0] == 0
    status, out, _ = run(capsys, "profile", "check", profile)
    assert status == 0 and "a valid profile for archive, with 4 fields" in out
    status, out, _ = run(
        capsys, "profile", "import", profile, "--department", "archive", "--dry-run"
    )
    assert status == 0 and "Would store (dry run)" in out
    assert "archive" not in run(capsys, "profile", "list")[1]
    status, out, _ = run(capsys, "profile", "import", profile, "--department", "archive")
    assert status == 0 and "Stored: the archive profile" in out
    assert "shelfMark, carrier, condition, cataloguerNote" in run(capsys, "profile", "list")[1]

    scan = image(tmp_path / "scan.jpg")
    status, out, _ = run(
        capsys, "ingest", str(scan), "--department", "archive", "--access", "public", "--quiet",
        "--set", "shelfMark=ARC-0042", "--set", "carrier=Glasplatte", "--set", "condition=fragile",
    )  # fmt: skip
    assert status == 0 and "1 ingested" in out and "incomplete" not in out
    status, _, err = run(
        capsys, "ingest", str(scan), "--department", "archive", "--set", "shelfMrk=ARC-1"
    )
    assert status == 2 and "unknown field 'shelfMrk' for the archive department" in err
    assert "shelfMark, carrier, condition, cataloguerNote" in err
    status, _, err = run(
        capsys, "ingest", str(scan), "--department", "archive", "--set", "condition=lost"
    )
    assert status == 2 and "'lost' is not one of good, fragile, damaged" in err

    status, out, _ = run(capsys, "sparql", "--format", "json", _shelf_marks_query())
    assert [b["mark"]["value"] for b in json.loads(out)["results"]["bindings"]] == ["ARC-0042"]

    status, exported, _ = run(capsys, "profile", "export", "archive")
    assert status == 0
    (tmp_path / "again.ttl").write_text(exported)
    status, out, _ = run(
        capsys, "profile", "import", str(tmp_path / "again.ttl"), "--department", "archive"
    )
    assert status == 0 and "0 become incomplete, 0 become complete" in out


def _shelf_marks_query() -> str:
    return f"SELECT ?mark WHERE {{ ?a <{DAM.shelfMark.value}> ?mark }}"


# --- refusals ---------------------------------------------------------------------------------

PREFIXES = """@prefix dam: <https://w3id.org/atrium/ns#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<shapes/profiles/archive#Asset> a sh:NodeShape ; sh:targetClass dam:Asset ;
    sh:property <shapes/profiles/archive#field> .
"""


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ('sh:path dam:box ; sh:minCount "one"', "#field> (sh:minCount)"),
        ("sh:path dam:box ; sh:datatype xsd:gYear", "sh:datatype xsd:gYear is not a kind"),
        ("sh:path dct:title ; sh:datatype xsd:string", "is a core field"),
        ("sh:path dam:title ; sh:datatype xsd:string", "the name is taken by the core field"),
        ("sh:path dam:page ; sh:datatype xsd:string", "a parameter of the search page"),
        ("sh:path dam:site ; sh:datatype xsd:string", None),  # operations' own path: shared
        ("sh:path dct:site ; sh:datatype xsd:string", "the operations profile uses this name"),
        ('sh:path dam:box ; sh:sparql [ sh:select "SELECT $this {}" ]', "uses SHACL-SPARQL"),
    ],
)
def test_a_bad_profile_is_refused_with_the_shape_named(archive, shape, reason) -> None:
    text = PREFIXES + f"<shapes/profiles/archive#field> a sh:PropertyShape ; {shape} ."
    shapes = rdflib.Graph().parse(data=text, format="turtle", publicID=archive.iris.vocab_base)
    before = archive.shapes.export("archive")
    if reason is None:
        archive.profiles.check(shapes, "archive")
        return
    with pytest.raises(ProfileRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        archive.profiles.import_profile(shapes, "archive")
    assert archive.shapes.export("archive") == before


def test_a_profile_for_an_unknown_department_is_refused(archive) -> None:
    shapes = archive.profiles.read(DATA / "archive.ttl")
    with pytest.raises(ProfileRefused, match="no department 'museum'"):
        archive.profiles.check(shapes, "museum")


# --- forms and the asset page -----------------------------------------------------------------


@pytest.fixture
def client(archive: Atrium):  # noqa: ANN201
    return create_app(archive).test_client()


def test_the_edit_form_offers_the_profile_fields_and_saves_them(
    archive, client, sign_in, tmp_path
) -> None:
    asset_id = ingest(archive, image(tmp_path / "a.jpg"), "internal")  # lacks its shelf mark
    assert archive.assets.missing_fields(asset_id)
    sign_in(client, "contributor", ("archive",))
    form = client.get(f"/assets/{asset_id}/edit").get_data(as_text=True)
    assert 'name="shelfMark"' in form and "required by the archive profile" in form
    assert "Glass plate" in form and "Paper" in form  # the carrier menu: its scheme only
    assert "Head office Berlin" not in form
    assert '<option value="fragile"' in form  # sh:in choices
    answer = client.post(
        f"/assets/{asset_id}/edit",
        data={
            "csrf_token": csrf_token(client),
            "title": "Harbour, 1910",
            "shelfMark": "ARC-0007",
            "carrier": archive.iris.concept("carriers/glass-plate").value,
            "condition": "good",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert not archive.assets.missing_fields(asset_id)
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "archive record" in page and "shelf mark" in page and "ARC-0007" in page
    assert "Glass plate" in page
    german = client.get(f"/assets/{asset_id}", headers={"Accept-Language": "de"})
    assert "Signatur" in german.get_data(as_text=True)


def test_a_bad_value_is_explained_next_to_its_field(archive, client, sign_in, tmp_path) -> None:
    asset_id = ingest(archive, image(tmp_path / "a.jpg"), "internal")
    sign_in(client, "contributor", ("archive",))
    answer = client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": csrf_token(client), "title": "x", "shelfMark": "shelf 7"},
    )
    assert answer.status_code == 422
    assert "must be one shelf mark like ARC-0042" in answer.get_data(as_text=True)


def test_a_profile_that_claims_a_scheme_takes_it_out_of_the_subjects_read_before(
    atrium: Atrium,
) -> None:
    atrium.vocab.import_file(DATA / "archive-department.ttl", ImportOptions(merge=True), CLI_ACTOR)
    atrium.vocab.import_file(DATA / "carriers.ttl", ImportOptions(), CLI_ACTOR)
    plate = atrium.iris.concept("carriers/glass-plate")
    assert atrium.concepts().resolve_subject("Glass plate") == plate, "no field claims it yet"
    atrium.profiles.import_profile(atrium.profiles.read(DATA / "archive.ttl"), "archive")
    with pytest.raises(UnknownConcept):  # the index read before, the fields of now
        atrium.concepts().resolve_subject("Glass plate")


def test_the_upload_form_shows_the_department_fields(archive, client, sign_in) -> None:
    sign_in(client, "contributor", ("archive",))
    form = client.get("/upload").get_data(as_text=True)
    assert 'name="shelfMark"' in form and 'name="carrier"' in form


def test_the_new_scheme_stays_out_of_the_subject_field(archive) -> None:
    concepts = archive.concepts()
    subject = archive.fields.field("subject")
    with pytest.raises(UnknownConcept):
        concepts.resolve_for(subject, "Glass plate")
    with pytest.raises(UnknownConcept):
        concepts.resolve_for(subject, archive.iris.concept("carriers/paper").value)
    carrier = archive.fields.field("carrier", "archive")
    assert concepts.resolve_for(carrier, "glass plate") == archive.iris.concept(
        "carriers/glass-plate"
    )


# --- search -----------------------------------------------------------------------------------


def test_text_search_and_facets_follow_the_profile(archive, tmp_path) -> None:
    ingest(
        archive, image(tmp_path / "a.jpg"), "public",
        "shelfMark=ARC-0042", "carrier=glass-plate", "cataloguerNote=zeppelinhangar",
    )  # fmt: skip
    scope = scope_for(ANONYMOUS, archive.iris, archive.store)
    found = archive.search.search(SearchQuery(text="ARC-0042"), scope)
    assert len(found.cards) == 1
    assert not archive.search.search(SearchQuery(text="zeppelinhangar"), scope).cards
    by_label = archive.search.search(SearchQuery(text="Glasplatte"), scope)
    assert len(by_label.cards) == 1  # a concept field's labels, in any language
    facets = {f.name: f for f in archive.search.search(SearchQuery(), scope).facets}
    (photographic,) = [v for v in facets["carrier"].values]
    assert photographic.label == "Photographic carrier" and photographic.count == 1
    assert {v.value for v in facets["condition"].values} == set()  # none recorded
    subjects = json.dumps([v.value for v in facets["subject"].values])
    assert "carriers" not in subjects


# --- re-validation --------------------------------------------------------------------------


def test_a_stricter_profile_reflags_and_withdraws_public_assets(archive, tmp_path) -> None:
    asset_id = ingest(archive, image(tmp_path / "a.jpg"), "public", "shelfMark=ARC-0001")
    assert archive.assets.access_of(asset_id) == ("public", "archive")
    stricter = archive.profiles.read(DATA / "archive.ttl")
    condition = rdflib.URIRef(archive.iris.vocab_base + "shapes/profiles/archive#condition-value")
    stricter.add((condition, rdflib.SH.minCount, rdflib.Literal(1)))
    preview = archive.profiles.import_profile(stricter, "archive", dry_run=True)
    assert preview.become_incomplete == [archive.iris.asset(asset_id).value]
    assert archive.assets.access_of(asset_id) == ("public", "archive")  # a dry run changes nothing
    impact = archive.profiles.import_profile(stricter, "archive")
    assert impact.withdrawn == [archive.iris.asset(asset_id).value]
    assert archive.assets.access_of(asset_id) == ("restricted", "archive")
    assert "changed" in [e.action for e in archive.audit.history(archive.iris.asset(asset_id))]
    assert [p.field for p in archive.assets.missing_fields(asset_id)] == ["condition"]
    anonymous = create_app(archive).test_client()
    assert anonymous.get(f"/assets/{asset_id}").status_code == 404
    back = archive.profiles.import_profile(archive.profiles.read(DATA / "archive.ttl"), "archive")
    assert back.become_complete == [archive.iris.asset(asset_id).value]
    assert not archive.assets.missing_fields(asset_id)


def test_the_sparql_example_of_the_profile_runs(archive, tmp_path) -> None:
    from app.domain.sparql.examples import example_query, examples
    from app.domain.sparql.service import QueryRequest
    from app.storage.graphstore import Scope

    ingest(archive, image(tmp_path / "a.jpg"), "public", "shelfMark=ARC-0042", "carrier=paper")
    (example,) = [e for e in examples(archive.fields) if e.name == "profile-archive"]
    stream = archive.sparql.run(
        QueryRequest(example_query(example, archive.iris)), Scope.everything()
    )
    (row,) = json.loads(stream.read())["results"]["bindings"]
    assert row["shelfMark"]["value"] == "ARC-0042" and row["carrier"]["value"] == "Paper"


# --- other processes --------------------------------------------------------------------------


@pytest.mark.remote
def test_another_process_picks_up_an_imported_profile(remote_atrium, tmp_path) -> None:
    now = [0.0]
    other = ShapeCatalogue(remote_atrium.store, remote_atrium.iris, clock=lambda: now[0])
    assert "archive" not in other.registry.departments
    add_archive(remote_atrium)
    assert "archive" not in other.registry.departments  # polled every few seconds, not yet
    now[0] += other.poll_seconds
    assert [f.name for f in other.registry.profiles["archive"]][:2] == ["shelfMark", "carrier"]


def test_a_sparql_update_of_a_profile_is_picked_up_though_it_leaves_the_date(graph_store) -> None:
    """What a catalogue looks at is the store's write count, not the profile's dct:modified,
    which an update through the SPARQL endpoint does not touch."""
    from app.domain.iris import Iris

    iris = Iris(BASE_IRI)
    writer = ShapeCatalogue(graph_store, iris)
    writer.install_shipped()
    profile = rdflib.Graph().parse(DATA / "archive.ttl", publicID=iris.vocab_base)
    writer.store_shapes("archive", profile, "archive")
    now = [0.0]
    other = ShapeCatalogue(graph_store, iris, clock=lambda: now[0])
    assert "shelfMark" in [f.name for f in other.registry.profiles["archive"]]
    dated = other.departments()

    graph_store.update(
        f"""DELETE {{ GRAPH ?g {{ ?owner ?link ?shape . ?shape ?p ?o }} }}
        WHERE {{ GRAPH ?g {{ ?owner ?link ?shape . ?shape {SH.path} {DAM.shelfMark} ;
                 ?p ?o }} }}"""
    )
    now[0] += other.poll_seconds
    assert "shelfMark" not in [f.name for f in other.registry.profiles["archive"]]
    assert other.departments() == dated


def test_profiles_are_readable_with_sparql_and_kept_in_backups(archive, tmp_path) -> None:
    graph = archive.iris.shapes_graph("archive")
    assert graph in archive.store.graphs()
    target = tmp_path / "backup"
    from app.domain.operations.backup import export_all, restore_all

    export_all(archive.store, archive.media, target)
    restored = make_atrium(tmp_path / "restored-data")
    try:
        restored.store.clear()
        restore_all(restored.store, restored.media, target)
        restored.shapes.changed()
        assert [f.name for f in restored.fields.profiles["archive"]][0] == "shelfMark"
    finally:
        restored.close()


def test_catalogues_over_the_same_shapes_share_one_parse(tmp_path) -> None:
    first, second = make_atrium(tmp_path / "first"), make_atrium(tmp_path / "second")
    try:
        assert first.shapes.validator is second.shapes.validator
        assert first.fields is second.fields
        add_archive(second)
        assert "archive" in second.fields.departments
        assert "archive" not in first.fields.departments
        assert first.shapes.validator is not second.shapes.validator
    finally:
        first.close()
        second.close()


def test_shapes_changed_in_the_store_alone_are_read_as_stored(atrium: Atrium) -> None:
    """A stamp says when a shapes graph was written, not what it holds: a catalogue that
    reads the shapes anew parses what is stored, even where a write left the stamp alone."""
    title = atrium.fields.field("title")
    assert title.label("en") != "Heading"
    atrium.store.update(
        """PREFIX sh: <http://www.w3.org/ns/shacl#>
        DELETE { GRAPH ?g { ?shape sh:name ?name } }
        INSERT { GRAPH ?g { ?shape sh:name "Heading"@en } }
        WHERE { GRAPH ?g { ?shape sh:path ?path ; sh:name ?name
                           FILTER(LANGMATCHES(LANG(?name), "en")) } }""",
        bindings={"g": atrium.iris.shapes_graph("core"), "path": title.path},
    )
    fresh = ShapeCatalogue(atrium.store, atrium.iris)
    assert fresh.registry.field("title").label("en") == "Heading"
    assert atrium.fields.field("title").label("en") != "Heading"  # its stamp did not move
