"""The vocabulary layer reads the fields from the shapes: the usage guard, merges and
autocompletion cover every concept field of every shape, profiles imported at runtime too."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from conftest import csrf_token
from PIL import Image
from pyoxigraph import NamedNode
from rdflib.namespace import SH, SKOS
from vocab_helpers import import_file

from app.domain.concepts import SHAPES_DIR
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.vocab.drafts import ConceptDraft
from app.domain.vocab.editor import Editor, Refused
from app.domain.vocab.history import Actor
from app.namespaces import DAM
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

PROFILE_DATA = Path(__file__).resolve().parent / "profile-data"
ARCHIVE_PROFILE = PROFILE_DATA / "archive-vocab-test.ttl"
ARCHIVE_BOXES = PROFILE_DATA / "archive-boxes-vocab-test.ttl"
STORAGE_BOX = NamedNode("http://example.test/archive#storageBox")
ASSET_CLASS = rdflib.URIRef(DAM.Asset.value)


def alice(atrium: Atrium) -> Actor:
    return Actor("alice", atrium.iris.user("alice"))


def editor(atrium: Atrium) -> Editor:
    return atrium.vocab.editor


def ingest(atrium: Atrium, tmp_path: Path, name: str, department: str, *settings: str) -> NamedNode:
    """One new image asset of ``department`` with ``settings`` (``field=value``, as --set)."""
    path = tmp_path / f"{name}.png"
    shade = sum(name.encode()) % 256
    Image.new("RGB", (32, 24), (shade, 255 - shade, len(name) * 20 % 256)).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions(department, "internal", settings=list(settings)))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return atrium.iris.asset(outcome.asset_id)


def values_of(atrium: Atrium, asset: NamedNode, path: NamedNode) -> set[str]:
    rows = atrium.store.select(
        "SELECT ?v WHERE { ?a ?p ?v }",
        scope=Scope.everything(),
        bindings={"a": asset, "p": path},
    )
    return {row["v"].value for row in rows}


def refused_delete(atrium: Atrium, concept: NamedNode) -> str:
    with pytest.raises(Refused) as refused:
        editor(atrium).delete(concept, editor(atrium).version(concept), alice(atrium))
    return str(refused.value.fields["delete"][0])


# --- the rights bug: dct:rights was a concept field, not a "tagging predicate" -------------------


def test_a_rights_statement_in_use_cannot_be_deleted(atrium: Atrium, tmp_path: Path) -> None:
    cc_by = atrium.iris.concept("rights/cc-by-4.0")
    asset = ingest(atrium, tmp_path, "licensed", "marketing", "rights=cc-by-4.0")
    assert values_of(atrium, asset, NamedNode("http://purl.org/dc/terms/rights")) == {cc_by.value}
    assert editor(atrium).impact(cc_by).assets == 1
    assert "1 asset is tagged" in refused_delete(atrium, cc_by)
    assert atrium.vocab.catalogue.home_graph(cc_by) is not None  # still there
    with pytest.raises(Refused) as whole:
        editor(atrium).delete_scheme(atrium.iris.concept("rights"), alice(atrium))
    assert "1 asset is tagged with its concepts" in str(whole.value.fields["delete"][0])


def test_a_rights_statement_in_use_is_reported_when_a_reimport_drops_it(
    atrium: Atrium, tmp_path: Path
) -> None:
    cc_by = atrium.iris.concept("rights/cc-by-4.0")
    ingest(atrium, tmp_path, "licensed", "marketing", "rights=cc-by-4.0")
    graph = rdflib.Graph().parse(
        Path(__file__).resolve().parents[1] / "vocabularies" / "rights.ttl",
        publicID=atrium.iris.vocab_base,
    )
    dropped = rdflib.URIRef(cc_by.value)
    for triple in [*graph.triples((dropped, None, None)), *graph.triples((None, None, dropped))]:
        graph.remove(triple)
    changed = tmp_path / "rights.ttl"
    graph.serialize(changed, format="turtle")
    report = import_file(atrium, changed)
    assert report.stored and report.removed_in_use == {cc_by.value: 1}


def test_the_web_editor_refuses_to_delete_a_rights_statement_in_use(
    atrium: Atrium, tmp_path: Path, sign_in
) -> None:  # noqa: ANN001
    cc_by = atrium.iris.concept("rights/cc-by-4.0")
    ingest(atrium, tmp_path, "licensed", "marketing", "rights=cc-by-4.0")
    client = create_app(atrium).test_client()
    sign_in(client, role="taxonomist")
    response = client.post(
        "/vocab/delete",
        data={
            "iri": cc_by.value,
            "version": editor(atrium).version(cc_by),
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 422
    assert "1 asset is tagged" in response.get_data(as_text=True)
    assert atrium.vocab.catalogue.home_graph(cc_by) is not None


# --- every concept field of every shape is guarded ------------------------------------------------


def concept_paths_in_shape_files() -> dict[str, str | None]:
    """Path → scheme (None: any concept) of each asset property shape in shapes/ whose values
    are concepts, read with rdflib alone: a check on the field registry, not a use of it."""
    found: dict[str, str | None] = {}
    for path in sorted(SHAPES_DIR.rglob("*.ttl")):
        graph = rdflib.Graph().parse(path, format="turtle", publicID="http://atrium.test/vocab/")
        if (None, SH.targetClass, ASSET_CLASS) not in graph:
            continue
        for shape, predicate in graph.subject_objects(SH.path):
            if predicate == SKOS.inScheme or not isinstance(predicate, rdflib.URIRef):
                continue
            for node in graph.objects(shape, SH.node):
                for member in graph.objects(node, SH.property):
                    if graph.value(member, SH.path) == SKOS.inScheme:
                        found[str(predicate)] = str(graph.value(member, SH.hasValue))
            if (shape, SH["class"], SKOS.Concept) in graph:
                found.setdefault(str(predicate), None)
    return found


def test_the_shape_files_declare_the_concept_fields_we_know_of() -> None:
    found = concept_paths_in_shape_files()
    assert found["http://purl.org/dc/terms/rights"] == "http://atrium.test/vocab/rights"
    assert found["http://purl.org/dc/terms/subject"] is None
    assert found["https://schema.org/jurisdiction"] == "http://atrium.test/vocab/jurisdictions"


def test_every_concept_field_of_every_shape_is_guarded(atrium: Atrium) -> None:
    registry = atrium.fields
    from_files = concept_paths_in_shape_files()
    assert set(from_files) <= {p.value for p in registry.concept_paths}, "the registry misses one"
    schemes = dict(from_files)
    for field in registry.all_fields:
        if field.kind == "concept":
            schemes.setdefault(field.path.value, field.scheme)
    assert len(schemes) >= 10
    for number, (path, scheme) in enumerate(sorted(schemes.items()), start=1):
        concept = a_concept_of(atrium, scheme)
        before = editor(atrium).impact(concept).assets
        asset = atrium.iris.asset(f"{number:016x}")
        graph = atrium.iris.asset_graph("internal", "")
        atrium.store.update(
            f"INSERT DATA {{ GRAPH {graph} {{ {asset} a {DAM.Asset} ; <{path}> {concept} }} }}"
        )
        assert editor(atrium).impact(concept).assets == before + 1, path
        used = "1 asset is" if before == 0 else f"{before + 1:,} assets are"
        assert f"{used} tagged" in refused_delete(atrium, concept), path
        assert atrium.vocab.browser.usage(concept, Scope.everything()) == before + 1, path


def a_concept_of(atrium: Atrium, scheme: str | None) -> NamedNode:
    """The first concept of ``scheme`` (None: a subject)."""
    if scheme is None:
        return atrium.iris.concept("subjects/team")
    rows = atrium.store.select(
        "SELECT ?c WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?s } "
        "ORDER BY ?c LIMIT 1",
        scope=Scope.everything(),
        bindings={"s": NamedNode(scheme)},
    )
    assert rows, f"no concept of <{scheme}> is stored"
    return rows[0]["c"]


# --- a profile imported at runtime, with a scheme of its own ------------------------------------


@pytest.fixture
def archive(atrium: Atrium) -> Atrium:
    """The archive department (a test profile), with a storage box field of <archive-boxes>."""
    assert import_file(atrium, ARCHIVE_BOXES).stored
    editor(atrium).create(
        "departments",
        ConceptDraft(labels=[("prefLabel", "en", "Archive")], notations=["archive"]),
        alice(atrium),
    )
    shapes = rdflib.Graph().parse(ARCHIVE_PROFILE, format="turtle", publicID=atrium.iris.vocab_base)
    atrium.shapes.store_shapes("archive", shapes, "archive")
    assert STORAGE_BOX in atrium.fields.concept_paths
    return atrium


def box(atrium: Atrium, name: str) -> NamedNode:
    return atrium.iris.concept(f"archive-boxes/{name}")


def test_a_profile_schemes_concept_in_use_cannot_be_deleted(
    archive: Atrium, tmp_path: Path
) -> None:
    filed = ingest(archive, tmp_path, "deed", "archive", "storageBox=Deed box")
    ingest(archive, tmp_path, "deed-2", "archive", "storageBox=deed-box")
    assert values_of(archive, filed, STORAGE_BOX) == {box(archive, "deed-box").value}
    assert editor(archive).impact(box(archive, "deed-box")).assets == 2
    assert "2 assets are tagged" in refused_delete(archive, box(archive, "deed-box"))
    editor(archive).delete(  # an unused box goes
        box(archive, "team-box"), editor(archive).version(box(archive, "team-box")), alice(archive)
    )
    assert archive.vocab.catalogue.home_graph(box(archive, "team-box")) is None


def test_a_merge_retags_assets_on_the_profiles_path(archive: Atrium, tmp_path: Path) -> None:
    deed, drawer = box(archive, "deed-box"), box(archive, "map-drawer")
    filed = ingest(archive, tmp_path, "deed", "archive", "storageBox=Deed box")
    editor(archive).merge(deed, drawer, editor(archive).version(deed), alice(archive))
    assert values_of(archive, filed, STORAGE_BOX) == {drawer.value}
    assert editor(archive).impact(drawer).assets == 1
    assert editor(archive).impact(deed).assets == 0


def test_a_profiles_concept_merges_only_within_its_scheme(archive: Atrium) -> None:
    deed, team = box(archive, "deed-box"), archive.iris.concept("subjects/team")
    with pytest.raises(Refused) as refused:
        editor(archive).merge(deed, team, editor(archive).version(deed), alice(archive))
    assert refused.value.fields["target"] == [
        "a concept of archive-boxes can only be merged into another of archive-boxes"
    ]
    with pytest.raises(Refused) as into_a_box:
        editor(archive).merge(team, deed, editor(archive).version(team), alice(archive))
    reason = into_a_box.value.fields["target"][0]
    assert reason.startswith("a subject can only be merged into another subject"), reason
    rights = archive.iris.concept("rights/cc-by-4.0")
    with pytest.raises(Refused) as across:
        editor(archive).merge(rights, deed, editor(archive).version(rights), alice(archive))
    assert across.value.fields["target"] == [
        "a concept of rights can only be merged into another of rights"
    ]


def test_the_access_scheme_comes_from_the_department_field(atrium: Atrium) -> None:
    department = atrium.fields.by_path(DAM.department.value)
    assert department is not None and department.scheme == atrium.iris.vocab_base + "departments"
    hr, legal = atrium.iris.concept("departments/hr"), atrium.iris.concept("departments/legal")
    with pytest.raises(Refused) as refused:
        editor(atrium).merge(hr, legal, editor(atrium).version(hr), alice(atrium))
    assert refused.value.fields["target"] == [
        "departments decide who may see assets; they cannot be merged"
    ]


# --- autocompletion per field ---------------------------------------------------------------------


def suggested(client, query: str) -> list[str]:  # noqa: ANN001
    response = client.get(f"/api/concepts?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [concept["iri"] for concept in response.get_json()["concepts"]]


def test_autocompletion_offers_each_field_its_own_concepts(atrium: Atrium) -> None:
    client = create_app(atrium).test_client()
    assert import_file(atrium, ARCHIVE_BOXES).stored
    team, team_box = atrium.iris.concept("subjects/team").value, box(atrium, "team-box").value
    # No field claims <archive-boxes> yet: its concepts are subjects.
    assert {team, team_box} <= set(suggested(client, "q=team&field=subject"))
    shapes = rdflib.Graph().parse(ARCHIVE_PROFILE, format="turtle", publicID=atrium.iris.vocab_base)
    atrium.shapes.store_shapes("archive", shapes, "archive")  # picked up without a restart
    assert suggested(client, "q=team&field=storageBox") == [team_box]
    assert suggested(client, "q=team&field=storageBox&department=archive") == [team_box]
    subjects = suggested(client, "q=team&field=subject")
    assert team in subjects and team_box not in subjects
    assert not any("archive-boxes/" in iri for iri in suggested(client, "q=d&field=subject"))
    assert {team, team_box} <= set(suggested(client, "q=team"))  # no field: every vocabulary
    assert suggested(client, "q=team&scheme=archive-boxes") == [team_box]  # scheme= still works
    rights = suggested(client, "q=cc&field=rights")
    assert rights and all(iri.startswith(atrium.iris.vocab_base + "rights/") for iri in rights)
    assert not any("/rights/" in iri for iri in suggested(client, "q=cc&field=subject"))


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("field=nosuchfield", "unknown field 'nosuchfield'"),
        ("field=title", "not a concept field"),
        ("field=storageBox&department=marketing", "unknown field 'storageBox'"),
    ],
)
def test_an_unknown_or_non_concept_field_is_a_400(atrium: Atrium, query: str, words: str) -> None:
    response = create_app(atrium).test_client().get(f"/api/concepts?q=te&{query}")
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_the_concept_boxes_send_their_field_name() -> None:
    script = (Path(__file__).resolve().parents[1] / "app/web/static/concepts.js").read_text()
    assert 'params.set("field", input.name)' in script
