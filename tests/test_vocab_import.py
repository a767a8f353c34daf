"""``atrium vocab import|export|check|list``: every corpus vocabulary, versions, formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import rdflib
from conftest import BASE_IRI
from pyoxigraph import NamedNode, RdfFormat, parse
from vocab_helpers import (
    MUST_FAIL,
    NEEDS_CLEANING,
    VOCAB_DATA,
    corpus_file_params,
    corpus_files,
    import_file,
)

from app.cli.main import main
from app.domain.vocab.importer import ImportReport
from app.service import Atrium

EX = "http://example.test/colours/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


# --- the corpus ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", corpus_file_params(), ids=lambda p: p.name)
@pytest.mark.slow
def test_every_corpus_vocabulary_imports_or_is_stopped_for_a_reason(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]], path: Path
) -> None:
    _, reports = corpus_vocabularies
    report = reports[path.name]
    assert report.concepts > 0 and report.languages
    if path.name in MUST_FAIL:
        assert not report.stored and report.quality.errors
    else:
        assert report.stored, [str(i) for i in report.quality.errors]


@pytest.mark.slow
def test_gemet_in_german_and_french_makes_one_multilingual_scheme(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    atrium, reports = corpus_vocabularies
    gemet = atrium.vocab.get("gemet")
    assert gemet.concepts == 5570
    assert gemet.languages["de"] >= 5300 and gemet.languages["fr"] >= 5300
    french = reports["gemet-4.1.2__gemet-fr.rdf"]
    assert french.replaced and french.diff.relabelled and not french.diff.removed


@pytest.mark.slow
def test_gemet_cycles_are_broken_by_skosify_and_reported(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    _, reports = corpus_vocabularies
    cleaning = reports["gemet-4.1.2__gemet-de.rdf"].cleaning
    assert any("Hierarchy cycle removed" in line for line in cleaning.actions)
    assert any("skos:inScheme" in change for change in cleaning.changes)
    assert cleaning.unfixed  # skosify's warnings it did not act on


@pytest.mark.slow
def test_a_plain_gemet_import_is_stopped_by_its_cycles(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    """Checked on the stored GEMET with a cycle put back: the gate names both concepts."""
    atrium, _ = corpus_vocabularies
    gemet = atrium.vocab.get("gemet")
    graph = rdflib.Graph()
    for t in atrium.vocab.triples(gemet):
        graph.add(
            (rdflib.URIRef(t.subject.value), rdflib.URIRef(t.predicate.value), _term(t.object))
        )
    a, b = (rdflib.URIRef(f"http://www.eionet.europa.eu/gemet/concept/{n}") for n in (625, 2663))
    graph.add((a, rdflib.URIRef(SKOS + "broader"), b))
    graph.add((b, rdflib.URIRef(SKOS + "broader"), a))
    errors = atrium.vocab.gate.check(graph, gemet.graph.value).errors
    assert {i.concept for i in errors} >= {str(a), str(b)}


def _term(term):  # noqa: ANN001, ANN202
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    return rdflib.Literal(term.value, lang=term.language or None)


@pytest.mark.slow
def test_the_problem_files_are_caught_naming_the_concept_and_the_rule(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    _, reports = corpus_vocabularies
    expected = {
        "skosmos__cycle.ttl": ("no-cycle", "http://www.skosmos.skos/cycle/ta2"),
        "skosmos__dup.ttl": ("unique-preflabel-in-scheme", "http://www.skosmos.skos/dup/d1"),
        "skosmos__nolang.ttl": ("label-language", "http://www.skosmos.skos/nolang/no1"),
        "skosmos__subtag.ttl": ("in-scheme", "http://www.skosmos.skos/subtag/p1"),
        "skosmos__test.ttl": ("one-preflabel-per-language", "http://www.skosmos.skos/test/ta127"),
        "skosmos__test-hierarchy-without-top-concepts.ttl": (
            "scheme-has-top-concept",
            "http://www.skosmos.skos/test-hierarchy/conceptscheme",
        ),
        "skosmos__multiple-schemes.ttl": (
            "links-inside-vocabulary",
            "http://www.skosmos.skos/multiple-schemes/cs1",
        ),
        "skosify__milk.in.ttl": ("in-scheme", "http://example.org/milk"),
    }
    for name, (rule, concept) in expected.items():
        issues = [i for i in reports[name].quality.issues if i.rule == rule]
        assert any(i.concept == concept for i in issues), (name, [str(i) for i in issues])
        assert all(i.rule_label in i.describe() for i in issues)
    invalid_date = reports["skosmos__test.ttl"].quality.issues
    assert any(i.rule == "well-formed-literals" and "1986-21-00" in i.message for i in invalid_date)


@pytest.mark.slow
def test_files_with_several_schemes_or_none_say_what_they_did(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    _, reports = corpus_vocabularies
    several = reports["skosmos__multiple-schemes.ttl"]
    assert several.scheme.endswith("/cs1") and "3 concept schemes" in several.notes[0]
    yso = reports["yso-subset__skosmos-yso.ttl"]
    assert yso.scheme == "http://www.yso.fi/onto/yso/" and yso.slug == "yso"
    none = reports["skosmos__dup.ttl"]
    assert none.scheme == f"{BASE_IRI}vocab/skosmos-dup" and "no concept scheme" in none.notes[0]


@pytest.mark.slow
def test_foreign_iris_are_kept(corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]]) -> None:
    atrium, _ = corpus_vocabularies
    concept = NamedNode("http://www.eionet.europa.eu/gemet/concept/100")
    assert atrium.vocab.catalogue.home_graph(concept) == atrium.iris.vocab_graph("gemet")


@pytest.mark.corpus("vocabularies")
def test_cleaning_is_needed_only_where_said() -> None:
    assert {p.name for p in corpus_files()} >= NEEDS_CLEANING


# --- versions ------------------------------------------------------------------------------------


def test_a_new_version_replaces_the_old_and_reports_the_difference(atrium: Atrium) -> None:
    first = import_file(atrium, VOCAB_DATA / "clean.ttl")
    assert first.stored and not first.replaced and first.slug == "colours"
    second = import_file(atrium, VOCAB_DATA / "colours-v2.ttl")
    diff = second.diff
    assert second.replaced and second.slug == "colours"
    assert diff.added == [EX + "green", EX + "warm"]
    assert diff.removed == [EX + "blue"]
    assert diff.relabelled == [EX + "red"] and diff.moved == [EX + "red"]
    triples = atrium.vocab.triples(atrium.vocab.get("colours"))
    assert not any(t.subject.value == EX + "blue" for t in triples)


def test_a_refused_version_leaves_the_stored_one_untouched(atrium: Atrium, tmp_path: Path) -> None:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    before = set(atrium.vocab.triples(atrium.vocab.get("colours")))
    broken = tmp_path / "colours.ttl"
    broken.write_text(
        (VOCAB_DATA / "clean.ttl").read_text() + f"\n<{EX}colour> <{SKOS}broader> <{EX}red> .\n"
    )
    report = import_file(atrium, broken)
    assert not report.stored and report.quality.errors
    assert set(atrium.vocab.triples(atrium.vocab.get("colours"))) == before


def test_removed_concepts_still_in_use_are_reported(atrium: Atrium) -> None:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    asset = atrium.iris.asset("0123456789abcdef")
    atrium.store.update(
        f"INSERT DATA {{ GRAPH {atrium.iris.asset_graph('public', '')} {{ "
        f"{asset} a <https://w3id.org/atrium/ns#Asset> ; "
        f"<http://purl.org/dc/terms/subject> <{EX}blue> }} }}"
    )
    report = import_file(atrium, VOCAB_DATA / "colours-v2.ttl")
    assert report.removed_in_use == {EX + "blue": 1}


def test_merge_adds_to_the_stored_version(atrium: Atrium, tmp_path: Path) -> None:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    french = tmp_path / "colours-fr.ttl"
    french.write_text(f'<{EX}red> <{SKOS}prefLabel> "Rouge"@fr .\n')
    report = import_file(atrium, french, scheme=f"{EX}scheme", merge=True)
    assert report.stored and report.diff.relabelled == [EX + "red"] and not report.diff.removed
    assert atrium.vocab.get("colours").languages == {"en": 3, "de": 3, "fr": 1}


def test_an_import_is_recorded_in_the_history(atrium: Atrium) -> None:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    records = atrium.vocab.history.of(NamedNode(EX + "scheme"))
    assert records[0].action == "imported" and "clean.ttl" in records[0].summary


@pytest.mark.remote
def test_import_and_reimport_on_the_remote_store(remote_atrium: Atrium) -> None:
    first = import_file(remote_atrium, VOCAB_DATA / "clean.ttl")
    second = import_file(remote_atrium, VOCAB_DATA / "colours-v2.ttl")
    assert first.stored and second.stored and second.diff.removed == [EX + "blue"]
    assert remote_atrium.vocab.get("colours").concepts == 4
    assert not import_file(remote_atrium, VOCAB_DATA / "cycle.ttl").stored


# --- formats -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "rdflib_format"), [(".rdf", "xml"), (".nt", "nt"), (".jsonld", "json-ld")]
)
def test_every_rdf_syntax_imports(
    atrium: Atrium, tmp_path: Path, suffix: str, rdflib_format: str
) -> None:
    graph = rdflib.Graph().parse(VOCAB_DATA / "clean.ttl", format="turtle")
    path = tmp_path / f"colours{suffix}"
    graph.serialize(path, format=rdflib_format)
    report = import_file(atrium, path)
    assert report.stored and report.concepts == 3 and report.quality.issues == []


@pytest.mark.parametrize(
    ("fmt", "rdf_format"),
    [
        ("ttl", RdfFormat.TURTLE),
        ("rdfxml", RdfFormat.RDF_XML),
        ("jsonld", RdfFormat.JSON_LD),
        ("nt", RdfFormat.N_TRIPLES),
    ],
)
def test_an_export_holds_what_was_imported(atrium: Atrium, fmt: str, rdf_format: RdfFormat) -> None:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    body, media_type, name = atrium.vocab.export("colours", fmt)
    exported = {q.triple for q in parse(body, format=rdf_format)}
    original = {
        q.triple for q in parse(path=str(VOCAB_DATA / "clean.ttl"), format=RdfFormat.TURTLE)
    }
    assert exported == original and name.startswith("colours.")


def test_blank_nodes_come_back_as_blank_nodes(atrium: Atrium, tmp_path: Path) -> None:
    path = tmp_path / "with-bnode.ttl"
    path.write_text(
        (VOCAB_DATA / "clean.ttl").read_text()
        + f"\n<{EX}scheme> <http://purl.org/dc/terms/creator> "
        + '[ <http://xmlns.com/foaf/0.1/name> "EEA" ] .\n'
    )
    import_file(atrium, path)
    stored = atrium.vocab.triples(atrium.vocab.get("colours"))
    assert any(
        ".well-known/genid/" in t.object.value for t in stored if isinstance(t.object, NamedNode)
    )
    body, _, _ = atrium.vocab.export("colours", "ttl")
    assert b".well-known/genid" not in body and b"EEA" in body


def test_the_csv_export_has_one_row_per_concept(atrium: Atrium) -> None:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    body, media_type, _ = atrium.vocab.export("colours", "csv")
    rows = {row["iri"]: row for row in csv.DictReader(io.StringIO(body.decode()))}
    assert media_type == "text/csv" and len(rows) == 3
    red = rows[EX + "red"]
    assert red["prefLabel@en"] == "Red" and red["prefLabel@de"] == "Rot"
    assert red["altLabel@en"] == "Crimson" and red["broader"] == EX + "colour"
    assert rows[EX + "blue"]["exactMatch"] == "http://www.wikidata.org/entity/Q1088"


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    return tmp_path


def test_cli_import_prints_counts_languages_and_warnings(cli_env: Path, capsys) -> None:  # noqa: ANN001
    assert main(["vocab", "import", str(VOCAB_DATA / "duplicate-preflabel.ttl")]) == 0
    out = capsys.readouterr().out
    assert "2 concepts" in out and "en (2)" in out
    assert f"<{EX}rouge>" in out and "[prefLabels unique within a scheme]" in out
    assert "Imported: stored as vocabulary 'colours'" in out


def test_cli_import_stops_on_errors_with_exit_1(cli_env: Path, capsys) -> None:  # noqa: ANN001
    assert main(["vocab", "import", str(VOCAB_DATA / "cycle.ttl")]) == 1
    out = capsys.readouterr().out
    assert "NOT IMPORTED" in out and f'"Red" <{EX}red>' in out and "[no cycle in broader]" in out
    assert main(["vocab", "list"]) == 0
    assert "colours" not in capsys.readouterr().out


def test_cli_clean_prints_what_skosify_changed(cli_env: Path, capsys) -> None:  # noqa: ANN001
    assert main(["vocab", "import", "--clean", str(VOCAB_DATA / "cycle.ttl")]) == 0
    out = capsys.readouterr().out
    assert "skosify changed:" in out and "Hierarchy cycle removed" in out


def test_cli_reimport_prints_the_difference(cli_env: Path, capsys) -> None:  # noqa: ANN001
    main(["vocab", "import", str(VOCAB_DATA / "clean.ttl")])
    capsys.readouterr()
    assert main(["vocab", "import", str(VOCAB_DATA / "colours-v2.ttl")]) == 0
    out = capsys.readouterr().out
    assert "2 concepts added, 1 removed, 1 relabelled, 1 moved" in out
    assert f'removed    "Blue" <{EX}blue>' in out


def test_cli_export_check_and_list(cli_env: Path, capsys) -> None:  # noqa: ANN001
    main(["vocab", "import", str(VOCAB_DATA / "two-preflabels.ttl")])
    capsys.readouterr()
    assert main(["vocab", "export", "colours", "--format", "nt"]) == 0
    assert f"<{EX}red>".encode() in capsys.readouterr().out.encode()
    output = cli_env / "colours.jsonld"
    assert main(["vocab", "export", f"{EX}scheme", "--format", "jsonld", "-o", str(output)]) == 0
    assert json.loads(output.read_text())
    assert main(["vocab", "check", "colours"]) == 0  # warnings only
    assert "2 prefLabels in one language" in capsys.readouterr().out
    assert main(["vocab", "list"]) == 0
    listing = capsys.readouterr().out
    assert "colours" in listing and "subjects" in listing and "82 concepts" in listing


def test_cli_usage_errors_exit_2(cli_env: Path, capsys) -> None:  # noqa: ANN001
    assert main(["vocab", "export", "nothing-here"]) == 2
    assert "no vocabulary named 'nothing-here'" in capsys.readouterr().err
    assert main(["vocab", "import", str(cli_env / "missing.ttl")]) == 2
    bad = cli_env / "bad.ttl"
    bad.write_text("this is not turtle")
    assert main(["vocab", "import", str(bad)]) == 2
    assert "bad.ttl is not valid turtle" in capsys.readouterr().err
