"""Vocabulary figures (issue 14, part 5): ``/api/concepts``, a big scheme's page, an edit.

- import time of GEMET (5,570 concepts; German with ``--clean``, then French merged in);
- in the process (no HTTP): the autocomplete call, and one validated edit of a GEMET concept;
- over HTTP against a real ``atrium serve`` (waitress, its own process) on loopback:
  ``/api/concepts?q=PREFIX`` for prefixes of 1 to 5 letters taken from the vocabulary's own
  labels, on GEMET and on a generated scheme of ``--large`` concepts (target: median < 10 ms);
  the page of a generated 10,000-concept scheme (target < 100 ms); one validated edit of a
  GEMET concept posted through the edit form by a signed-in taxonomist (target < 200 ms);
- the concept index (what tagging and the edit forms read), on the embedded store and on
  ``oxigraph serve``: read again after a write that may reach a vocabulary, kept after others.

Usage: python benchmarks/autocomplete_bench.py [--corpus ../shared/corpus] [--queries 300]
                                               [--large 100000] [--edits 10]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import requests
from http_server import atrium_serve, form_value, milliseconds, oxigraph_serve, sign_in
from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.config import Config
from app.domain.people.access import ANONYMOUS, scope_for
from app.domain.vocab.drafts import ConceptDraft
from app.domain.vocab.history import CLI_ACTOR
from app.domain.vocab.importer import ImportOptions
from app.domain.vocab.languages import LanguagePreference
from app.namespaces import RDF, SKOS
from app.service import Atrium

REPO = Path(__file__).resolve().parents[1]
GEMET = ("gemet-4.1.2__gemet-de.rdf", "gemet-4.1.2__gemet-fr.rdf")
EDITED = NamedNode("http://www.eionet.europa.eu/gemet/concept/100")
EDITOR, EDITOR_PASSWORD = "bench-taxonomist", "bench-password-1234"


def import_gemet(atrium: Atrium, corpus: Path) -> None:
    print("## Import of GEMET")
    for name, merge in zip(GEMET, (False, True), strict=True):
        start = time.perf_counter()
        options = ImportOptions(clean=True, merge=merge)
        report = atrium.vocab.import_file(corpus / "vocabularies" / name, options, CLI_ACTOR)
        seconds = time.perf_counter() - start
        print(f"{name}: {report.concepts:,} concepts, stored={report.stored}, {seconds:.1f} s")


def prefixes(atrium: Atrium, slug: str, count: int) -> list[str]:
    """``count`` prefixes of 1 to 5 letters of the vocabulary's own prefLabels."""
    rows = atrium.store.select(
        "SELECT ?l WHERE { GRAPH ?g { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } }",
        scope=atrium.vocab.catalogue.scope(),
        bindings={"g": atrium.iris.vocab_graph(slug)},
    )
    labels = sorted(row["l"].value for row in rows)
    rng = random.Random(7)
    return [rng.choice(labels)[: rng.randint(1, 5)] for _ in range(count)]


SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "be",
    "da",
    "fe",
    "gu",
    "ho",
    "ja",
    "ke",
    "li",
    "mo",
    "nu",
    "pa",
    "re",
    "so",
    "tu",
    "wa",
    "ze",
]


def store_scheme(atrium: Atrium, slug: str, count: int, tops: int) -> None:
    """A generated scheme of ``count`` concepts, ``tops`` of them at the top, the others each
    under a concept ten times nearer the top; prefLabels of two made-up words and a number."""
    rng = random.Random(count)
    base = f"http://{slug}.test/"
    scheme = NamedNode(base + "scheme")
    triples = [Triple(scheme, RDF.type, SKOS.ConceptScheme)]
    for n in range(count):
        concept = NamedNode(f"{base}c{n}")
        words = ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(2)]
        label = Literal(f"{words[0]} {words[1]} {n}", language="en")
        triples += [
            Triple(concept, RDF.type, SKOS.Concept),
            Triple(concept, SKOS.inScheme, scheme),
            Triple(concept, SKOS.prefLabel, label),
        ]
        if n >= tops:
            triples.append(Triple(concept, SKOS.broader, NamedNode(f"{base}c{n // 10}")))
    start = time.perf_counter()
    atrium.store.replace_graph(atrium.iris.vocab_graph(slug), triples)
    print(f"{slug}: {count:,} generated concepts stored in {time.perf_counter() - start:.1f} s")


def bench_domain(atrium: Atrium, queries: list[str]) -> None:
    print("\n## In the process, no HTTP (the domain calls alone)")
    prefs = LanguagePreference.of(["de"])
    atrium.vocab.autocomplete.suggest("a", prefs)  # warm up
    samples = []
    for prefix in queries:
        start = time.perf_counter()
        atrium.vocab.autocomplete.suggest(prefix, prefs)
        samples.append(time.perf_counter() - start)
    print(f"autocomplete on GEMET: {milliseconds(samples)}")
    editor = atrium.vocab.editor
    samples = []
    for round_ in range(10):
        draft = editor.draft(EDITED)
        draft.labels.append(("altLabel", "en", f"domain edit {round_}"))
        start = time.perf_counter()
        editor.save(EDITED, draft, editor.version(EDITED), CLI_ACTOR)
        samples.append(time.perf_counter() - start)
    print(f"one validated edit of a GEMET concept (save): {milliseconds(samples)}")
    bench_concept_index(atrium)


def bench_concept_index(atrium: Atrium) -> None:
    """The index that tagging and the edit forms use, and the concepts a search looks up: read
    again after a SPARQL update (it may write anywhere), kept after a write to another graph (as
    an upload's to an asset graph)."""
    asset_graph = atrium.iris.graph("assets/bench")
    writes = {
        "after a SPARQL update": lambda n: atrium.store.update(
            f"INSERT DATA {{ GRAPH <urn:bench:scratch> {{ <urn:a> <urn:b> {n} }} }}"
        ),
        "after an asset graph's write": lambda n: atrium.store.insert(
            [Quad(NamedNode("urn:a"), NamedNode("urn:b"), Literal(n), asset_graph)]
        ),
    }
    for label, write in writes.items():
        index, lookup = [], []
        for n in range(10):
            write(n)
            start = time.perf_counter()
            atrium.concepts()
            index.append(time.perf_counter() - start)
            scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
            start = time.perf_counter()
            atrium.search.concept_lookup(scope)
            lookup.append(time.perf_counter() - start)
        print(f"the concept index (tagging, edit forms), {label}: {milliseconds(index)}")
        print(f"the concepts a search looks up (anonymous), {label}: {milliseconds(lookup)}")


def bench_remote_concept_index(folder: Path, corpus: Path) -> None:
    """The same over a remote store (``oxigraph serve`` on loopback), which every Atrium process
    behind a load balancer writes: kept until a write stamp says a vocabulary may have changed."""
    print("\n## The concept index over a remote store: GEMET on oxigraph serve")
    with oxigraph_serve(folder / "oxigraph") as url:
        config = Config.from_env({"ATRIUM_DATA": str(folder / "remote"), "ATRIUM_STORE": url})
        with Atrium(config) as atrium:
            atrium.init()
            import_gemet(atrium, corpus)
            bench_concept_index(atrium)


def bench_concepts_api(base: str, label: str, queries: list[str], params: dict[str, str]) -> None:
    session = requests.Session()
    session.get(f"{base}/api/concepts", params={"q": "a", **params})  # warm up
    samples, found = [], 0
    for prefix in queries:
        start = time.perf_counter()
        response = session.get(f"{base}/api/concepts", params={"q": prefix, **params})
        samples.append(time.perf_counter() - start)
        response.raise_for_status()
        found += bool(response.json()["concepts"])
    print(
        f"/api/concepts on {label}: {milliseconds(samples)} (target: median < 10 ms); "
        f"{found}/{len(queries)} prefixes found concepts"
    )


def bench_scheme_page(base: str, slug: str) -> None:
    session = requests.Session()
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        response = session.get(f"{base}/vocab/scheme", params={"iri": slug})
        samples.append(time.perf_counter() - start)
        response.raise_for_status()
    print(f"GET /vocab/scheme?iri={slug} (10,000 concepts): {milliseconds(samples)} (< 100 ms)")


def edit_form(draft: ConceptDraft, extra_label: str) -> dict[str, list[str]]:
    """The edit form's fields for ``draft`` with one more English altLabel."""
    labels = [*draft.labels, ("altLabel", "en", extra_label)]
    form: dict[str, list[str]] = {
        "iri": [str(EDITED.value)],
        "notation": list(draft.notations),
        "broader": list(draft.broader),
        "related": list(draft.related),
    }
    for names, rows in (
        (("label_kind", "label_lang", "label_text"), labels),
        (("note_kind", "note_lang", "note_text"), draft.notes),
        (("mapping_kind", "mapping_iri"), draft.mappings),
    ):
        for index, name in enumerate(names):
            form[name] = [row[index] for row in rows]
    return form


def bench_web_edit(base: str, draft: ConceptDraft, rounds: int) -> None:
    session = sign_in(base, EDITOR, EDITOR_PASSWORD)
    pages, saves = [], []
    for round_ in range(rounds):
        start = time.perf_counter()
        page = session.get(f"{base}/vocab/edit", params={"iri": EDITED.value}).text
        pages.append(time.perf_counter() - start)
        form = edit_form(draft, f"web edit {round_}")
        form["csrf_token"] = [form_value(page, "csrf_token")]
        form["version"] = [form_value(page, "version")]
        start = time.perf_counter()
        response = session.post(f"{base}/vocab/edit", data=form, allow_redirects=False)
        saves.append(time.perf_counter() - start)
        if response.status_code != 303:
            raise SystemExit(f"the edit was not saved: {response.status_code} {response.text}")
    print(f"GET /vocab/edit (the form): {milliseconds(pages)}")
    print(f"POST /vocab/edit (a validated edit, saved): {milliseconds(saves)} (target < 200 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--large", type=int, default=100_000, help="concepts of the big scheme")
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    print(f"# Vocabulary benchmark ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        with Atrium(Config.from_env({"ATRIUM_DATA": folder})) as atrium:
            atrium.init()
            import_gemet(atrium, args.corpus)
            store_scheme(atrium, "big", 10_000, tops=500)
            store_scheme(atrium, "large", args.large, tops=1_000)
            gemet_queries = prefixes(atrium, "gemet", args.queries)
            large_queries = prefixes(atrium, "large", args.queries)
            bench_domain(atrium, gemet_queries)
            draft = atrium.vocab.editor.draft(EDITED)
            atrium.users.add(EDITOR, "taxonomist", [], EDITOR_PASSWORD)
        print("\n## Over HTTP: atrium serve (waitress) on loopback, one client")
        with atrium_serve(Path(folder)) as base:
            bench_concepts_api(base, "GEMET (lang=de)", gemet_queries, {"lang": "de"})
            label = f"a generated {args.large:,}-concept scheme"
            bench_concepts_api(base, label, large_queries, {"scheme": "large"})
            bench_scheme_page(base, "big")
            bench_web_edit(base, draft, args.edits)
        bench_remote_concept_index(Path(folder), args.corpus)


if __name__ == "__main__":
    main()
