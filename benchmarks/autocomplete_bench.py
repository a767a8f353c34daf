"""Vocabulary figures: ``/api/concepts`` autocomplete on the largest corpus vocabulary, and more.

- import time of GEMET (5,570 concepts; German with ``--clean``, then French merged in);
- ``/api/concepts?q=PREFIX`` through the web app, for prefixes of 1 to 5 letters taken from
  GEMET's own labels (median and 95th percentile; target: median under 50 ms);
- the scheme page of a generated 10,000-concept scheme (its tree's first level);
- one validated edit of a GEMET concept (the quality gates on the change's neighbourhood).

Usage: python benchmarks/autocomplete_bench.py [--corpus ../shared/corpus] [--queries 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from app.config import Config
from app.domain.vocab.history import CLI_ACTOR
from app.domain.vocab.importer import ImportOptions
from app.domain.vocab.languages import LanguagePreference
from app.namespaces import RDF, SKOS
from app.service import Atrium
from app.web import create_app

REPO = Path(__file__).resolve().parents[1]
GEMET = ("gemet-4.1.2__gemet-de.rdf", "gemet-4.1.2__gemet-fr.rdf")


def milliseconds(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def import_gemet(atrium: Atrium, corpus: Path) -> None:
    print("## Import of GEMET")
    for name, merge in zip(GEMET, (False, True), strict=True):
        start = time.perf_counter()
        options = ImportOptions(clean=True, merge=merge)
        report = atrium.vocab.import_file(corpus / "vocabularies" / name, options, CLI_ACTOR)
        seconds = time.perf_counter() - start
        print(f"{name}: {report.concepts:,} concepts, stored={report.stored}, {seconds:.1f} s")


def prefixes(atrium: Atrium, count: int) -> list[str]:
    rows = atrium.store.select(
        "SELECT ?l WHERE { GRAPH ?g { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } }",
        scope=atrium.vocab.catalogue.scope(),
        bindings={"g": atrium.iris.vocab_graph("gemet")},
    )
    labels = sorted(row["l"].value for row in rows)
    rng = random.Random(7)
    return [rng.choice(labels)[: rng.randint(1, 5)] for _ in range(count)]


def bench_autocomplete(atrium: Atrium, count: int) -> None:
    print(f"\n## /api/concepts on GEMET (de + fr, {count} prefixes of 1–5 letters)")
    client = create_app(atrium).test_client()
    queries = prefixes(atrium, count)
    client.get("/api/concepts?q=a")  # warm up
    samples, found = [], 0
    for prefix in queries:
        start = time.perf_counter()
        response = client.get("/api/concepts", query_string={"q": prefix, "lang": "de"})
        samples.append(time.perf_counter() - start)
        found += bool(response.get_json()["concepts"])
    print(
        f"through the web app: {milliseconds(samples)} (target: median < 50 ms); "
        f"{found}/{count} prefixes found concepts"
    )
    domain = []
    prefs = LanguagePreference.of(["de"])
    for prefix in queries:
        start = time.perf_counter()
        atrium.vocab.autocomplete.suggest(prefix, prefs)
        domain.append(time.perf_counter() - start)
    print(f"the domain call alone: {milliseconds(domain)}")


def bench_big_scheme(atrium: Atrium) -> None:
    print("\n## Scheme page of a generated 10,000-concept scheme (500 top concepts)")
    scheme = NamedNode("http://big.test/scheme")
    triples = [Triple(scheme, RDF.type, SKOS.ConceptScheme)]
    for n in range(10_000):
        concept = NamedNode(f"http://big.test/c{n}")
        triples += [
            Triple(concept, RDF.type, SKOS.Concept),
            Triple(concept, SKOS.prefLabel, Literal(f"Concept {n:05d}", language="en")),
        ]
        if n >= 500:
            triples.append(Triple(concept, SKOS.broader, NamedNode(f"http://big.test/c{n // 10}")))
    atrium.store.replace_graph(atrium.iris.vocab_graph("big"), triples)
    client = create_app(atrium).test_client()
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        assert client.get("/vocab/scheme?iri=big").status_code == 200
        samples.append(time.perf_counter() - start)
    print(f"GET /vocab/scheme?iri=big: {milliseconds(samples)}")


def bench_edit(atrium: Atrium) -> None:
    print("\n## One validated edit of a GEMET concept")
    concept = NamedNode("http://www.eionet.europa.eu/gemet/concept/100")
    editor = atrium.vocab.editor
    samples = []
    for round_ in range(10):
        draft = editor.draft(concept)
        draft.labels.append(("altLabel", "en", f"administrative authority {round_}"))
        start = time.perf_counter()
        editor.save(concept, draft, editor.version(concept), CLI_ACTOR)
        samples.append(time.perf_counter() - start)
    print(f"save (version check, gates before and after, one update): {milliseconds(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        atrium = Atrium(Config.from_env({"ATRIUM_DATA": folder}))
        atrium.init()
        import_gemet(atrium, args.corpus)
        bench_autocomplete(atrium, args.queries)
        bench_big_scheme(atrium)
        bench_edit(atrium)
        atrium.close()


if __name__ == "__main__":
    main()
