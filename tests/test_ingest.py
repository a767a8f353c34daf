"""Ingest: the whole corpus, duplicates, refusals that leave nothing behind, profiles."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS_IMAGES
from PIL import Image

from app.domain.assets.records import AssetRefused
from app.domain.media.ingest import Ingester, IngestOptions, IngestUsageError, find_files
from app.domain.media.prepare import SMALL_BATCH
from app.namespaces import DAM, DCT, SCHEMA, sparql_prefixes
from app.service import Atrium
from app.storage.graphstore import Scope

EVERYTHING = Scope.everything()


def corpus_scan() -> dict[str, str]:
    with (CORPUS_IMAGES / "METADATA-SCAN.csv").open() as handle:
        return {row["file"]: row["pillow"] for row in csv.DictReader(handle)}


def ingest(atrium: Atrium, paths: list[Path], **options: object):
    ingester = Ingester(atrium)
    return ingester.run(paths, ingester.resolve(IngestOptions(**options)))


@pytest.mark.slow
def test_every_decodable_corpus_image_becomes_an_asset(corpus_atrium) -> None:
    atrium, report = corpus_atrium
    by_name = {o.path.name: o for o in report.outcomes}
    scan = corpus_scan()
    assert set(by_name) == {p.name for p in CORPUS_IMAGES.iterdir() if p.is_file()}
    for name, result in scan.items():
        outcome = by_name[name]
        if result == "ok":
            assert outcome.status in ("ingested", "duplicate"), (name, outcome.reason)
        else:
            assert outcome.status == "failed", name
            assert outcome.reason and "\n" not in outcome.reason
    ingested = report.with_status("ingested")
    assets = atrium.store.select(
        sparql_prefixes() + "SELECT (COUNT(?a) AS ?n) WHERE { ?a a dam:Asset }", scope=EVERYTHING
    )
    assert int(assets[0]["n"].value) == len(ingested)


@pytest.mark.slow
def test_the_csv_file_of_the_corpus_is_kept_as_a_document(corpus_atrium) -> None:
    atrium, report = corpus_atrium
    outcome = next(o for o in report.outcomes if o.path.name == "METADATA-SCAN.csv")
    assert outcome.status == "ingested"
    record = atrium.assets.record(outcome.asset_id, EVERYTHING)
    formats = {t.object.value for t in record if t.predicate == DCT.format}
    assert formats == {"text/csv"}


@pytest.mark.slow
def test_broken_files_are_named_with_a_reason(corpus_atrium) -> None:
    _, report = corpus_atrium
    failed = {o.path.name: o.reason for o in report.with_status("failed")}
    assert "truncated" in failed["pillow__truncated_jpeg.jpg"]
    assert "65535" in failed["pillow__decompression_bomb.gif"]
    assert "pillow__broken.png" in failed


@pytest.mark.slow
def test_embedded_metadata_lands_as_rdf(corpus_atrium) -> None:
    atrium, report = corpus_atrium
    outcome = next(o for o in report.outcomes if o.path.name == "pillow__iptc.jpg")
    record = atrium.assets.record(outcome.asset_id, EVERYTHING)
    keywords = {t.object.value for t in record if t.predicate == SCHEMA.keywords}
    assert "HvK" in keywords
    nikon = next(o for o in report.outcomes if o.path.name == "exif-samples__87_OSError.jpg")
    predicates = {t.predicate.value for t in atrium.assets.record(nikon.asset_id, EVERYTHING)}
    assert {
        "http://www.w3.org/2003/12/exif/ns#make",
        "http://www.w3.org/2003/01/geo/wgs84_pos#lat",
    } <= predicates


@pytest.mark.corpus("images")
def test_the_same_bytes_twice_make_one_asset(atrium: Atrium, tmp_path: Path) -> None:
    first = tmp_path / "a.jpg"
    shutil.copyfile(CORPUS_IMAGES / "pillow__flower.jpg", first)
    second = tmp_path / "copy-of-a.jpg"
    shutil.copyfile(first, second)
    report = ingest(atrium, [first, second], department="marketing", access="public")
    assert [o.status for o in report.outcomes] == ["ingested", "duplicate"]
    again = ingest(atrium, [first], department="marketing", access="public")
    assert again.with_status("duplicate")
    originals = [h for h in atrium.media.iter_hashes()]
    assert len(originals) == 3  # the original, its preview and its thumbnail


def test_keywords_that_name_a_concept_become_subjects(atrium: Atrium, tmp_path: Path) -> None:
    from app.domain.demo.images import generate_demo_collection

    item = generate_demo_collection(tmp_path, count=1)[0]
    report = ingest(atrium, [item.path], department=item.department, access="internal")
    record = atrium.assets.record(report.outcomes[0].asset_id, EVERYTHING)
    subjects = {t.object.value for t in record if t.predicate == DCT.subject}
    assert subjects and all(s.startswith(atrium.iris.vocab_base + "subjects/") for s in subjects)


@pytest.mark.corpus("images")
def test_an_hr_photo_without_consent_goes_in_incomplete_and_not_public(
    atrium: Atrium, tmp_path: Path
) -> None:
    photo = tmp_path / "portrait.jpg"
    shutil.copyfile(CORPUS_IMAGES / "pillow__flower.jpg", photo)
    report = ingest(atrium, [photo], department="hr", access="public")
    outcome = report.outcomes[0]
    assert outcome.status == "ingested"
    assert outcome.missing_fields() == ["consent expires", "consent given"]
    assert "kept restricted until" in str(outcome.notes[0])
    assert atrium.assets.access_of(outcome.asset_id) == ("restricted", "hr")
    record = atrium.assets.record(outcome.asset_id, EVERYTHING)
    assert any(t.predicate == DAM.incomplete for t in record)


@pytest.mark.corpus("images")
def test_set_fills_the_profile_for_a_batch(atrium: Atrium, tmp_path: Path) -> None:
    photo = tmp_path / "portrait.jpg"
    shutil.copyfile(CORPUS_IMAGES / "pillow__flower.jpg", photo)
    settings = ["consentGiven=true", "consentExpires=2028-06-30"]
    report = ingest(atrium, [photo], department="hr", access="public", settings=settings)
    outcome = report.outcomes[0]
    assert outcome.notes == []
    assert atrium.assets.access_of(outcome.asset_id) == ("public", "hr")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"department": "sales"}, "no concept named 'sales'"),
        ({"department": "hr", "access": "secret"}, "unknown access level"),
        ({"department": "hr", "settings": ["consentExpires=soon"]}, "not a date"),
        ({"department": "hr", "settings": ["colour=red"]}, "unknown field"),
        ({"department": "hr", "subjects": ["no such subject"]}, "no subject named"),
    ],
)
def test_bad_options_are_refused_before_any_file_is_read(
    atrium: Atrium, options: dict, message: str
) -> None:
    with pytest.raises(IngestUsageError, match=message):
        Ingester(atrium).resolve(IngestOptions(**options))


def test_a_refused_record_leaves_no_triples_and_no_media(atrium: Atrium, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), "teal").save(photo)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public"))
    describe = ingester.describe

    def describe_without_title(*args):  # the core shape requires a title
        draft = describe(*args)
        draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
        return draft

    ingester.describe = describe_without_title
    before = atrium.store.triple_count()
    report = ingester.run([photo], options)
    outcome = report.outcomes[0]
    assert outcome.status == "failed"
    assert "title" in outcome.reason
    assert atrium.store.triple_count() == before
    assert list(atrium.media.iter_hashes()) == []


def test_a_failed_store_write_removes_the_new_media_files(
    atrium: Atrium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), "olive").save(photo)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public"))

    def broken_insert(quads):
        raise OSError("disk full")

    monkeypatch.setattr(atrium.store, "insert", broken_insert)
    with pytest.raises(OSError, match="disk full"):
        ingester.run([photo], options)
    assert list(atrium.media.iter_hashes()) == []


def test_identical_files_in_one_batch_make_one_asset(atrium: Atrium, tmp_path: Path) -> None:
    paths = []
    for number in range(SMALL_BATCH + 2):  # enough to go through the worker processes
        path = tmp_path / f"same-{number}.png"
        Image.new("RGB", (32, 32), "navy").save(path)
        paths.append(path)
    report = ingest(atrium, paths, department="marketing")
    statuses = [o.status for o in report.outcomes]
    assert statuses[0] == "ingested" and set(statuses[1:]) == {"duplicate"}
    assert [o.path for o in report.outcomes] == paths


def test_a_direct_save_of_an_invalid_draft_raises_with_the_field(
    atrium: Atrium, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), "teal").save(photo)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public"))
    from app.domain.media.prepare import prepare

    prepared = prepare(photo, atrium.config.max_image_pixels)
    draft = ingester.describe(prepared, prepared.sha256[:16], options)
    draft.triples = [t for t in draft.triples if t.predicate != DAM.department]
    with pytest.raises(AssetRefused, match="department"):
        atrium.assets.save(draft)
    assert not atrium.assets.exists(draft.asset_id)


def test_find_files_walks_folders_and_refuses_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".hidden").write_text("x")
    assert [p.name for p in find_files([tmp_path])] == ["a.txt", "b.txt"]
    with pytest.raises(IngestUsageError, match="no such file"):
        find_files([tmp_path / "missing"])


@pytest.mark.corpus("images")
def test_ingest_works_on_the_remote_store(remote_atrium: Atrium, tmp_path: Path) -> None:
    photo = tmp_path / "flower.jpg"
    shutil.copyfile(CORPUS_IMAGES / "pillow__flower.jpg", photo)
    report = ingest(remote_atrium, [photo], department="marketing", access="public")
    outcome = report.outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    assert remote_atrium.assets.access_of(outcome.asset_id) == ("public", "marketing")
    assert remote_atrium.assets.delete(outcome.asset_id)
    assert not remote_atrium.assets.exists(outcome.asset_id)


def test_a_label_shared_with_a_structural_scheme_names_the_subject(atrium: Atrium) -> None:
    options = Ingester(atrium).resolve(
        IngestOptions("marketing", subjects=["Events"], settings=["subject=events"])
    )
    expected = atrium.iris.concept("subjects/events")
    assert options.subjects == [expected]
    assert options.values[0][1] == expected


@pytest.mark.slow
def test_the_demo_collection_loads_completely(atrium: Atrium, tmp_path: Path) -> None:
    from app.domain.demo.loader import load_demo
    from app.domain.operations.stats import store_stats

    report = load_demo(atrium, tmp_path / "demo")
    assert report.ok, [o.reason for o in report.with_status("failed")]
    stats = store_stats(atrium.store)
    assert stats["assets"] >= 60
    assert len(stats["by_department"]) >= 5
    assert stats["incomplete"] == 2
    assert stats["by_access"]["restricted"] >= 2


@pytest.mark.corpus("images")
def test_an_incomplete_asset_cannot_be_made_public_until_filled(
    atrium: Atrium, tmp_path: Path
) -> None:
    photo = tmp_path / "portrait.jpg"
    shutil.copyfile(CORPUS_IMAGES / "pillow__flower.jpg", photo)
    outcome = ingest(atrium, [photo], department="hr", access="internal").outcomes[0]
    missing = {p.field for p in atrium.assets.missing_fields(outcome.asset_id)}
    assert missing == {"consent given", "consent expires"}
    with pytest.raises(AssetRefused, match="cannot be public"):
        atrium.assets.set_access(outcome.asset_id, "public")
    assert atrium.assets.access_of(outcome.asset_id) == ("internal", "hr")

    draft = atrium.assets.stored_draft(outcome.asset_id)
    iri = draft.iri
    from pyoxigraph import Literal, Triple

    from app.namespaces import XSD

    draft.triples += [
        Triple(iri, DAM.consentGiven, Literal("true", datatype=XSD.boolean)),
        Triple(iri, DAM.consentExpires, Literal("2029-01-31", datatype=XSD.date)),
    ]
    assert not atrium.assets.save(draft).incomplete
    atrium.assets.set_access(outcome.asset_id, "public")
    assert atrium.assets.access_of(outcome.asset_id) == ("public", "hr")
    record = atrium.assets.record(outcome.asset_id, Scope.everything())
    assert not any(t.predicate == DAM.incomplete for t in record)
    assert atrium.assets.record(
        outcome.asset_id, Scope.of([atrium.iris.asset_graph("public", "").value])
    )


def test_records_with_context_hold_only_the_assets_asked_for(
    atrium: Atrium, tmp_path: Path
) -> None:
    paths = []
    for colour in ("red", "blue"):
        path = tmp_path / f"{colour}.png"
        Image.new("RGB", (20, 20), colour).save(path)
        paths.append(path)
    first, second = (o.asset_id for o in ingest(atrium, paths, department="hr").outcomes)
    triples = atrium.assets.records_with_context([atrium.iris.asset(first)])
    subjects = {t.subject.value for t in triples}
    assert atrium.iris.asset(first).value in subjects
    assert not any(second in s for s in subjects)
    assert len(atrium.assets.missing_fields(first)) == 2  # consent given, consent expires


def test_a_refusal_in_a_batch_refuses_only_that_file(atrium: Atrium, tmp_path: Path) -> None:
    paths = []
    for number in range(SMALL_BATCH + 4):
        path = tmp_path / f"poster-{number}.png"
        Image.new("RGB", (24, 24), (number * 10, 80, 120)).save(path)
        paths.append(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("hr", "internal"))
    describe = ingester.describe

    def untitled_third(prepared, *args):
        draft = describe(prepared, *args)
        if prepared.path == paths[2]:
            draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
        return draft

    ingester.describe = untitled_third
    report = ingester.run(paths, options)
    statuses = [o.status for o in report.outcomes]
    assert statuses[2] == "failed" and "title" in report.outcomes[2].reason
    assert statuses.count("ingested") == len(paths) - 1
    # every other file is an incomplete HR image: each lists its own two missing fields
    for outcome in report.with_status("ingested"):
        assert outcome.missing_fields() == ["consent expires", "consent given"]
        assert outcome.notes == []
