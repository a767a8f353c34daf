"""One table of formats (app.storage.formats): one set of short names everywhere, and the old
spellings still accepted wherever people type them (?format=, --format)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse
from vocab_helpers import VOCAB_DATA, import_file

from app.cli.main import main as cli
from app.service import Atrium
from app.storage.formats import GRAPH_FORMATS, graph_format, graph_format_of_suffix, query_formats
from app.web import create_app

RDF_XML = "application/rdf+xml"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"


def test_the_short_names_are_one_set() -> None:
    assert [f.name for f in GRAPH_FORMATS] == ["ttl", "jsonld", "nt", "rdf"]
    assert [f.extension for f in GRAPH_FORMATS] == ["ttl", "jsonld", "nt", "rdf"]


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("turtle", "ttl"),
        ("TTL", "ttl"),
        ("json-ld", "jsonld"),
        ("ntriples", "nt"),
        ("rdfxml", "rdf"),
        ("xml", "rdf"),
    ],
)
def test_aliases_name_the_same_format(alias: str, name: str) -> None:
    assert graph_format(alias).name == name


def test_unknown_names_are_none_and_suffixes_are_read() -> None:
    assert graph_format("exe") is None and query_formats("exe") is None
    assert graph_format_of_suffix(".owl").name == "rdf"
    assert graph_format_of_suffix(".json").name == "jsonld"
    assert query_formats("xml") == ("application/sparql-results+xml", RDF_XML)
    assert query_formats("rdfxml") == (None, RDF_XML)


@pytest.fixture
def client(atrium: Atrium):  # noqa: ANN201
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    return create_app(atrium).test_client()


@pytest.mark.parametrize("spelling", ["rdf", "rdfxml", "xml", "RDFXML"])
def test_vocabulary_downloads_take_every_spelling(client, spelling: str) -> None:  # noqa: ANN001
    response = client.get(f"/vocab/export?vocabulary=colours&format={spelling}")
    assert response.status_code == 200
    assert response.mimetype == RDF_XML
    assert 'filename="colours.rdf"' in response.headers["Content-Disposition"]
    assert list(parse(response.data, format=RdfFormat.RDF_XML))
    refused = client.get("/vocab/export?vocabulary=colours&format=exe")
    assert refused.status_code == 400 and b"ttl, jsonld, nt, rdf, csv" in refused.data


@pytest.mark.parametrize(("spelling", "media_type"), [("turtle", "text/turtle"), ("xml", RDF_XML)])
def test_linked_data_takes_aliases_and_links_the_short_names(
    client,  # noqa: ANN001
    spelling: str,
    media_type: str,
) -> None:
    response = client.get(f"/vocab/subjects/people?format={spelling}")
    assert response.status_code == 200 and response.mimetype == media_type
    links = response.headers["Link"]
    for name in ("ttl", "jsonld", "nt", "rdf"):
        assert f"format={name}>" in links
    assert client.get("/vocab/subjects/people?format=exe").status_code == 400


@pytest.mark.parametrize(
    ("spelling", "media_type"), [("rdfxml", RDF_XML), ("json-ld", "application/ld+json")]
)
def test_the_sparql_endpoint_takes_aliases(client, spelling: str, media_type: str) -> None:  # noqa: ANN001
    response = client.get("/sparql", query_string={"query": CONSTRUCT, "format": spelling})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == media_type
    refused = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "exe"})
    assert refused.status_code == 400


def test_the_cli_takes_aliases(tmp_path: Path, monkeypatch, capsys) -> None:
    from conftest import make_atrium

    atrium = make_atrium(tmp_path / "data")
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    monkeypatch.setenv("ATRIUM_DATA", str(atrium.config.data_dir))
    monkeypatch.setenv("ATRIUM_BASE_IRI", atrium.iris.base)
    atrium.close()  # the CLI opens the store itself
    out = tmp_path / "colours.rdf"
    assert cli(["vocab", "export", "colours", "--format", "rdfxml", "-o", str(out)]) == 0
    assert list(parse(path=str(out), format=RdfFormat.RDF_XML))
    capsys.readouterr()
    assert cli(["sparql", CONSTRUCT, "--format", "turtle"]) == 0
    assert list(parse(capsys.readouterr().out.encode(), format=RdfFormat.TURTLE))
    with pytest.raises(SystemExit) as refused:
        cli(["vocab", "export", "colours", "--format", "exe"])
    assert refused.value.code == 2
    assert "use one of ttl, jsonld, nt, rdf, csv" in capsys.readouterr().err
