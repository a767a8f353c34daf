"""``atrium sparql`` and ``atrium query list|save|delete``: read-only SPARQL over the whole
graph, and the saved queries behind /queries."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.sparql.protocol import (
    NotAcceptable,
    QueryStream,
    QuerySyntaxError,
    RowLimitReached,
    query_formats,
)
from app.domain.sparql.saved_queries import SavedQuery, SavedQueryError
from app.domain.sparql.service import QueryRequest
from app.service import Atrium
from app.storage.graphstore import Scope

# --format table: a table for SELECT / ASK, Turtle for CONSTRUCT / DESCRIBE
_TABLE = ("application/sparql-results+json", "text/turtle")


def sparql(args: argparse.Namespace, atrium: Atrium) -> int:
    """The query runs like one sent to /sparql by an administrator: same limits, formats."""
    if bool(args.query) == bool(args.file):
        raise UsageError("give a query, or -f FILE, but not both")
    text = args.file.read_text(encoding="utf-8") if args.file else args.query
    solutions_type, graph_type = _TABLE if args.format == "table" else query_formats(args.format)
    try:
        stream = atrium.sparql.run(
            QueryRequest(text, solutions_type=solutions_type, graph_type=graph_type),
            Scope.everything(),
        )
    except QuerySyntaxError as error:
        message = f"the query is not valid SPARQL 1.1 (updates are refused): {error}"
        raise UsageError(message) from None
    except NotAcceptable as error:
        kind = "CONSTRUCT/DESCRIBE" if error.kind == "graph" else "SELECT/ASK"
        raise UsageError(f"--format {args.format} does not suit {kind} queries") from None
    limit = atrium.sparql.row_limit()
    try:
        _write_answer(stream, table=args.format == "table")
    except RowLimitReached:
        print(
            f"\natrium sparql: the result went past {limit:,} rows (ATRIUM_ROW_LIMIT) and was cut",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if stream.head.truncated:
        print(
            f"atrium sparql: only the first {limit:,} rows are shown (ATRIUM_ROW_LIMIT)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _write_answer(stream: QueryStream, *, table: bool) -> None:
    sys.stdout.flush()
    out = sys.stdout.buffer
    if table and stream.head.kind != "graph":
        document = json.loads(stream.read())
        if "boolean" in document:
            print("true" if document["boolean"] else "false")
        else:
            print_table(document)
        return
    for chunk in stream:
        out.write(chunk)
    out.flush()


def print_table(document: dict) -> None:
    """SPARQL JSON results as aligned columns."""
    names = document["head"]["vars"]
    bindings = document["results"]["bindings"]
    rows = [[row[name]["value"] if name in row else "" for name in names] for row in bindings]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"({len(rows)} rows)")


def query(args: argparse.Namespace, atrium: Atrium) -> int:
    """``atrium query list|save|delete``: the saved queries behind /queries."""
    saved_queries = atrium.saved_queries
    if args.action == "list":
        for saved in saved_queries.all():
            print(f"{saved.name:<32} {saved.title}")
            print(f"{'':<32} {atrium.iris.saved_query(saved.name).value}.csv")
        return EXIT_OK
    if args.action == "delete":
        if not saved_queries.delete(args.name):
            raise UsageError(f"there is no saved query named {args.name!r}")
        print(f"Deleted the saved query {args.name}")
        return EXIT_OK
    draft = SavedQuery(
        name=args.name,
        title=args.title,
        sparql=args.file.read_text(encoding="utf-8"),
        description=args.description,
    )
    try:
        saved = saved_queries.save(draft)
    except SavedQueryError as error:
        raise UsageError(str(error)) from None
    print(f"Saved {saved.name}: {atrium.iris.saved_query(saved.name).value}")
    return EXIT_OK
