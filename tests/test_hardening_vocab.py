"""Hardening of the vocabulary import and the command line: items L3, L4, L5 and L11.

Each test reproduces the reported problem through the real CLI (``app.cli.main``) or the
domain API, and shows it is gone.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import rdflib
from conftest import BASE_IRI, REPO, make_atrium
from pyoxigraph import NamedNode
from vocab_helpers import VOCAB_DATA, import_file

from app.cli.main import main
from app.config import Config
from app.domain.vocab.files import VocabularyFileError, read_vocabulary
from app.domain.vocab.quality import MAX_HIERARCHY_DEPTH, hierarchy_depth
from app.service import Atrium
from app.storage.embedded import EmbeddedStore

EX = "http://example.test/colours/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
WRITES = ("update", "insert", "replace_graph", "load_dump")


@pytest.fixture
def data_dir(data_dir: Path) -> Path:
    """conftest's CLI data folder, initialised."""
    make_atrium(data_dir).close()
    return data_dir


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- L3: the graph and its history record in one transaction ------------------------------------


class Killed(BaseException):
    """The process dies here (not an Exception: nothing may catch and carry on)."""


def _watch_writes(
    atrium: Atrium, monkeypatch: pytest.MonkeyPatch, kill_at: int | None = None
) -> list[tuple[str, str]]:
    """Record every store write as (method, request); raise Killed at write ``kill_at``."""
    calls: list[tuple[str, str]] = []
    store = atrium.store

    def watched(name: str, write: Callable) -> Callable:
        def wrapper(*args: object, **kwargs: object) -> object:
            if kill_at is not None and len(calls) == kill_at:
                raise Killed
            calls.append((name, " ".join(str(a) for a in args)))
            return write(*args, **kwargs)

        return wrapper

    for name in WRITES:
        monkeypatch.setattr(store, name, watched(name, getattr(store, name)))
    return calls


def _stored_state(atrium: Atrium) -> tuple[bool, bool]:
    """(the vocabulary's graph exists, an import is recorded in its history)."""
    scheme = NamedNode(EX + "scheme")
    graph = atrium.vocab.catalogue.graph_of_scheme(scheme)
    records = [r for r in atrium.vocab.history.of(scheme) if r.action == "imported"]
    return graph is not None, bool(records)


def test_l3_one_update_request_carries_the_graph_and_its_history_record(
    atrium: Atrium, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _watch_writes(atrium, monkeypatch)
    report = import_file(atrium, VOCAB_DATA / "clean.ttl")
    assert report.stored
    assert len(calls) == 1, [name for name, _ in calls]
    name, request = calls[0]
    assert name == "update"
    assert "DROP SILENT GRAPH" in request and f"<{EX}red>" in request
    assert "<http://www.w3.org/ns/prov#Activity>" in request
    assert _stored_state(atrium) == (True, True)


@pytest.mark.parametrize("reimport", [False, True], ids=["first import", "re-import"])
def test_l3_an_import_killed_at_any_write_leaves_both_or_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reimport: bool
) -> None:
    path = VOCAB_DATA / ("colours-v2.ttl" if reimport else "clean.ttl")
    probe = make_atrium(tmp_path / "probe")
    try:
        if reimport:
            import_file(probe, VOCAB_DATA / "clean.ttl")
        with monkeypatch.context() as patch:
            calls = _watch_writes(probe, patch)
            import_file(probe, path)
            writes = len(calls)
    finally:
        probe.close()
    assert writes == 1
    for kill_at in range(writes):
        atrium = make_atrium(tmp_path / f"killed-at-{kill_at}")
        try:
            if reimport:
                import_file(atrium, VOCAB_DATA / "clean.ttl")
            before = len([r for r in atrium.vocab.history.of(NamedNode(EX + "scheme"))])
            with monkeypatch.context() as patch:
                _watch_writes(atrium, patch, kill_at=kill_at)
                with pytest.raises(Killed):
                    import_file(atrium, path)
            after = len([r for r in atrium.vocab.history.of(NamedNode(EX + "scheme"))])
            assert after == before  # no record of a change that did not land
            assert _stored_state(atrium) == ((True, True) if reimport else (False, False))
        finally:
            atrium.close()


# --- L4: no remote documents, no entity expansion -----------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that records every request it receives."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            requests.append(self.path)
            body = json.dumps({"@context": {"skos": SKOS}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def _concepts(context: object) -> list[dict]:
    return [
        {"@id": f"{EX}red", "@type": "skos:Concept", "skos:prefLabel": "Red"},
        {"@id": f"{EX}blue", "@type": "skos:Concept", "@context": context},
    ]


@pytest.mark.parametrize(
    "shape",
    ["top-level context", "context in a list", "nested context", "@import"],
)
def test_l4_jsonld_remote_context_is_refused_and_nothing_is_fetched(
    data_dir: Path,
    tmp_path: Path,
    listener: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    shape: str,
) -> None:
    url, requests = listener
    remote = f"{url}/context.jsonld"
    inline = {"skos": SKOS}
    document: dict = {
        "top-level context": {"@context": remote, "@graph": _concepts(inline)},
        "context in a list": {"@context": [inline, remote], "@graph": _concepts(inline)},
        "nested context": {"@context": inline, "@graph": _concepts(remote)},
        "@import": {"@context": {"@version": 1.1, "@import": remote}, "@graph": _concepts({})},
    }[shape]
    path = tmp_path / "remote-context.jsonld"
    path.write_text(json.dumps(document))
    status, _, err = run(capsys, "vocab", "import", str(path))
    assert status == 2
    assert "refused" in err and "remote context" in err and remote in err
    assert requests == []
    status, out, _ = run(capsys, "vocab", "list")
    assert "remote-context" not in out


def test_l4_jsonld_with_its_context_inline_still_imports(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {
        "@context": {"skos": SKOS},
        "@graph": [
            {"@id": f"{EX}scheme", "@type": "skos:ConceptScheme"},
            {
                "@id": f"{EX}red",
                "@type": "skos:Concept",
                "skos:prefLabel": {"@value": "Red", "@language": "en"},
                "skos:inScheme": {"@id": f"{EX}scheme"},
                "skos:topConceptOf": {"@id": f"{EX}scheme"},
            },
        ],
    }
    path = tmp_path / "inline-context.jsonld"
    path.write_text(json.dumps(document))
    status, out, _ = run(capsys, "vocab", "import", str(path))
    assert status == 0, out
    assert "1 concepts" in out


def test_l4_billion_laughs_rdfxml_is_refused_within_a_second(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = VOCAB_DATA / "billion-laughs.rdf"
    started = time.process_time()
    with pytest.raises(VocabularyFileError, match="document type declaration"):
        read_vocabulary(path, BASE_IRI + "vocab/")
    assert time.process_time() - started < 1.0
    started = time.monotonic()
    status, _, err = run(capsys, "vocab", "import", str(path))
    assert time.monotonic() - started < 5.0  # opening the store included
    assert status == 2
    assert "refused" in err and "<!DOCTYPE>" in err and "entities" in err


def test_l4_rdfxml_file_without_a_doctype_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:skos="{SKOS}"><skos:Concept rdf:about="{EX}red">'
        '<skos:prefLabel xml:lang="en">Red</skos:prefLabel></skos:Concept></rdf:RDF>'
    )
    assert len(read_vocabulary(path, BASE_IRI + "vocab/")) == 2


# --- L5: deep hierarchies -----------------------------------------------------------------------


def _chain(levels: int) -> str:
    lines = [
        f"@prefix skos: <{SKOS}> .",
        "@prefix ex: <http://example.test/deep/> .",
        "ex:scheme a skos:ConceptScheme ; skos:hasTopConcept ex:c0 .",
        "ex:c0 a skos:Concept ; skos:inScheme ex:scheme ; skos:topConceptOf ex:scheme ; "
        'skos:prefLabel "Level 0"@en .',
    ]
    lines += [
        f"ex:c{i} a skos:Concept ; skos:inScheme ex:scheme ; skos:broader ex:c{i - 1} ; "
        f'skos:prefLabel "Level {i}"@en .'
        for i in range(1, levels)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("options", [[], ["--clean"]], ids=["plain", "clean"])
def test_l5_a_1200_level_hierarchy_is_refused_clearly(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    path = tmp_path / "deep-hierarchy.ttl"
    path.write_text(_chain(1200))
    started = time.monotonic()
    status, out, err = run(capsys, "vocab", "import", *options, str(path))
    assert time.monotonic() - started < 30
    assert status == 1, err
    assert "1,200 levels" in out and f"at most {MAX_HIERARCHY_DEPTH:,} levels" in out
    assert '"Level 1199"' in out and "NOT IMPORTED" in out
    assert "Traceback" not in err and "RecursionError" not in err


def test_l5_depth_is_measured_without_recursion() -> None:
    graph = rdflib.Graph().parse(data=_chain(5000), format="turtle")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        depth, deepest = hierarchy_depth(graph)
    finally:
        sys.setrecursionlimit(limit)
    assert (depth, str(deepest)) == (5000, "http://example.test/deep/c4999")
    graph = rdflib.Graph().parse(data=_chain(MAX_HIERARCHY_DEPTH), format="turtle")
    assert hierarchy_depth(graph)[0] == MAX_HIERARCHY_DEPTH  # at the limit: checked


def test_l5_depth_counts_narrower_and_cycles() -> None:
    graph = rdflib.Graph().parse(VOCAB_DATA / "cycle.ttl")  # red ⇄ blue, under colour
    assert hierarchy_depth(graph)[0] == 3
    ex = rdflib.Namespace(EX)
    graph.add((ex.red, rdflib.URIRef(SKOS + "narrower"), ex.crimson))
    assert hierarchy_depth(graph)[0] == 4
    assert hierarchy_depth(rdflib.Graph())[0] == 0


def test_l5_a_hierarchy_within_the_limit_is_checked_past_the_recursion_limit(
    atrium: Atrium,
) -> None:
    """300 levels with room for 150 more frames crashed pySHACL; the gate makes room."""
    graph = rdflib.Graph().parse(data=_chain(300), format="turtle")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + 150)
    try:
        report = atrium.vocab.gate.check(graph, BASE_IRI + "graphs/vocab/deep")
    finally:
        sys.setrecursionlimit(limit)
    assert report.errors == []


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


# --- L11: cosmetic ------------------------------------------------------------------------------


def test_l11_stats_into_a_closed_pipe_exits_1_without_a_traceback(data_dir: Path) -> None:
    env = {**os.environ, "ATRIUM_DATA": str(data_dir), "ATRIUM_BASE_IRI": BASE_IRI}
    env.pop("ATRIUM_STORE", None)
    code = "import sys; from app.cli.main import main; sys.exit(main(['stats']))"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # `| head` that has already gone away
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert b"Traceback" not in err and b"BrokenPipeError" not in err


def test_l11_broken_pipe_in_process_exits_1(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["stats"]) == 1


def test_l11_the_lock_message_does_not_guess_the_command(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = EmbeddedStore(Config.from_env().store_dir)  # an ingest, say, holding the store
    try:
        status, _, err = run(capsys, "stats")
    finally:
        holder.close()
    assert status == 1
    assert "atrium serve?" not in err
    assert "Another Atrium process" in err and "cannot be told" in err


def test_l11_an_empty_ttl_is_refused_with_exit_1(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = VOCAB_DATA / "empty.ttl"
    assert path.stat().st_size == 0
    _, before, _ = run(capsys, "vocab", "list")
    status, out, err = run(capsys, "vocab", "import", str(path))
    assert status == 1
    assert "empty.ttl" in err and "refused" in err and "holds no statement" in err
    assert "Imported" not in out
    _, after, _ = run(capsys, "vocab", "list")
    assert after == before
