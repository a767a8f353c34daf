"""Helpers and shared fixtures for the vocabulary tests (imported by conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, corpus_params, csrf_token, make_atrium, need_corpus

from app.domain.vocab.history import CLI_ACTOR, Actor
from app.domain.vocab.importer import ImportOptions, ImportReport
from app.service import Atrium

VOCAB_DATA = Path(__file__).resolve().parent / "vocab-data"
CORPUS_VOCABULARIES = CORPUS / "vocabularies"
# Corpus files that import only once skosify has broken their broader cycles.
NEEDS_CLEANING = {"gemet-4.1.2__gemet-de.rdf", "gemet-4.1.2__gemet-fr.rdf"}
# Corpus files whose errors must stop a plain import.
MUST_FAIL = {"skosmos__cycle.ttl"}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS_VOCABULARIES.rglob("*") if p.suffix in (".ttl", ".rdf"))


def corpus_file_params() -> list[object]:
    """``corpus_files()`` for ``parametrize``: one placeholder that skips (fails in CI) when
    the corpus is not here (conftest.corpus_params)."""
    return corpus_params(corpus_files(), "vocabularies")


def import_file(
    atrium: Atrium, path: Path, actor: Actor = CLI_ACTOR, **options: object
) -> ImportReport:
    return atrium.vocab.import_file(path, ImportOptions(**options), actor)


@pytest.fixture(scope="session")
def corpus_vocabularies(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Atrium, dict[str, ImportReport]]]:
    """One Atrium with every corpus vocabulary imported (GEMET in German and French, merged
    into one multilingual scheme); shared by the session: read it, never write to it."""
    need_corpus("vocabularies")
    atrium = make_atrium(tmp_path_factory.mktemp("corpus-vocabularies") / "data")
    reports = {}
    for path in corpus_files():
        clean = path.name in NEEDS_CLEANING
        merge = path.name.endswith("gemet-fr.rdf")
        reports[path.name] = import_file(atrium, path, clean=clean, merge=merge)
    yield atrium, reports
    atrium.close()


def post_new_concept(web, label: str, headers: dict | None = None, **fields: list[str]):  # noqa: ANN001, ANN201 - a Flask test client and its response
    """Post the new-concept form of the colours vocabulary: one English prefLabel."""
    form = {"vocabulary": "colours", "csrf_token": csrf_token(web), "label_kind": ["prefLabel"]}
    data = {**form, "label_lang": ["en"], "label_text": [label], **fields}
    return web.post("/vocab/new", data=data, headers=headers or {})
