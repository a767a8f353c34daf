"""The handlers behind each ``atrium`` command: parse nothing, print results, return a status."""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
import tempfile
from pathlib import Path

from app.cli import EXIT_FAILED, EXIT_OK, UsageError, print_json
from app.domain.api_tokens import TokenError, iso_time, token_expiry, when
from app.domain.demo import load_demo, load_synthetic
from app.domain.ingest import (
    Ingester,
    IngestOptions,
    IngestReport,
    IngestUsageError,
    Outcome,
    find_files,
)
from app.domain.saved_queries import SavedQuery, SavedQueryError
from app.domain.sparql_service import QueryRequest
from app.domain.stats import store_stats
from app.domain.store_check import validate_store
from app.domain.users import UserError, UserStore
from app.service import Atrium
from app.storage.graphstore import QuerySyntaxError, Scope
from app.storage.query_jobs import NotAcceptable, RowLimitReached
from app.storage.query_workers import QueryStream


def init(args: argparse.Namespace, atrium: Atrium) -> int:
    slugs = atrium.init()
    print(f"Atrium data folder: {atrium.config.data_dir}")
    print(f"Installed the ontology and {len(slugs)} vocabularies: {', '.join(slugs)}")
    print(f"Department profiles: {', '.join(atrium.fields.departments)}")
    return EXIT_OK


def serve(args: argparse.Namespace, atrium: Atrium) -> int:
    from waitress import serve as waitress_serve

    from app.domain.cleanup import PeriodicSweep, Sweeper
    from app.domain.rights import PeriodicRightsCheck, RightsCheck
    from app.web import create_app
    from app.web.serving import waitress_options

    if atrium.users.count() == 0:
        password = atrium.users.add("admin", "admin", [])
        print(f"Created the administrator account: admin / {password}")
        print("This password is shown once; change it with: atrium user set-password admin")

    app = create_app(atrium)
    log_to_stderr("atrium")
    print(f"Atrium is serving at http://{args.host}:{args.port}/", flush=True)
    sweep = PeriodicSweep(Sweeper(atrium), atrium.config.sweep_seconds)  # at start, every N
    rights = PeriodicRightsCheck(RightsCheck(atrium), atrium.config.rights_check_seconds)
    with sweep, rights:
        options = waitress_options(app, atrium.config)
        waitress_serve(app, host=args.host, port=args.port, **options)
    return EXIT_OK


def log_to_stderr(name: str) -> None:
    """Show the INFO messages of logger ``name`` (the sweep's, say) on standard error."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # waitress.serve gives the root logger a handler: one line each


def cleanup(args: argparse.Namespace, atrium: Atrium) -> int:
    """``atrium cleanup``: the sweep the server runs, on demand, listing what it removes."""
    from app.domain.cleanup import Sweeper

    if args.older_than is not None and args.older_than < 0:
        raise UsageError("--older-than takes a number of minutes, 0 or more")
    grace = None if args.older_than is None else args.older_than * 60
    report = Sweeper(atrium, grace).sweep(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for item in report.removed:
        print(f"{verb} {item.what:<17} {item.path} ({item.size:,} bytes)")
    print(report.summary())
    return EXIT_OK


def ingest(args: argparse.Namespace, atrium: Atrium) -> int:
    options = IngestOptions(args.department, args.access, args.subject, args.settings)
    try:
        files = find_files(args.paths)
        ingester = Ingester(atrium)
        resolved = ingester.resolve(options)
    except IngestUsageError as error:
        raise UsageError(str(error)) from None
    report = _with_progress(files, args.quiet, lambda tick: ingester.run(files, resolved, tick))
    print_ingest_summary(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def _with_progress(files: list[Path], quiet: bool, work) -> IngestReport:  # noqa: ANN001
    from tqdm import tqdm

    with tqdm(total=len(files), unit="file", disable=quiet, file=sys.stderr) as bar:

        def tick(outcome: Outcome) -> None:
            bar.update(1)

        return work(tick)


def print_ingest_summary(report: IngestReport) -> None:
    ingested = report.with_status("ingested")
    duplicates = report.with_status("duplicate")
    failed = report.with_status("failed")
    print(f"{len(ingested)} ingested, {len(duplicates)} duplicates skipped, {len(failed)} failed")
    for outcome in ingested:
        for note in outcome.notes:
            print(f"  note    {outcome.path.name} ({outcome.asset_id}): {note}")
    for outcome in duplicates:
        print(f"  skipped {outcome.path}: {outcome.reason}")
    for outcome in failed:
        print(f"  FAILED  {outcome.path}: {outcome.reason}")


def validate(args: argparse.Namespace, atrium: Atrium) -> int:
    report = validate_store(atrium.store, atrium.assets)
    for problem in report.refusals:
        print(f"VIOLATION   {problem}")
    for problem in report.missing:
        print(f"INCOMPLETE  {problem}")
    refused_assets = len({p.focus for p in report.refusals})
    incomplete_assets = len({p.focus for p in report.missing})
    print(
        f"{report.assets} assets checked: {refused_assets} break the core shape, "
        f"{incomplete_assets} lack fields their department profile requires"
    )
    return EXIT_OK if report.conforms else EXIT_FAILED


# --format: (media type for SELECT / ASK, media type for CONSTRUCT / DESCRIBE), as on /sparql
_SPARQL_FORMATS: dict[str, tuple[str | None, str | None]] = {
    "table": ("application/sparql-results+json", "text/turtle"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "ttl": (None, "text/turtle"),
    "nt": (None, "application/n-triples"),
}


def sparql(args: argparse.Namespace, atrium: Atrium) -> int:
    """The query runs like one sent to /sparql by an administrator: same limits, formats."""
    if bool(args.query) == bool(args.file):
        raise UsageError("give a query, or -f FILE, but not both")
    text = args.file.read_text(encoding="utf-8") if args.file else args.query
    solutions_type, graph_type = _SPARQL_FORMATS[args.format]
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
            print(f"{'':<32} {atrium.iris.base}queries/{saved.name}.csv")
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
    print(f"Saved {saved.name}: {atrium.iris.base}queries/{saved.name}")
    return EXIT_OK


def stats(args: argparse.Namespace, atrium: Atrium) -> int:
    counts = store_stats(atrium.store)
    if args.json:
        print_json(counts)
        return EXIT_OK
    for key, value in counts.items():
        if isinstance(value, dict):
            print(f"{key.replace('_', ' ')}:")
            for name, number in value.items():
                print(f"  {name:<14} {number:>9,}")
        else:
            print(f"{key:<16} {value:>9,}")
    return EXIT_OK


def demo(args: argparse.Namespace, atrium: Atrium) -> int:
    if args.if_empty and store_stats(atrium.store)["assets"]:
        print("The store already holds assets; demo data not loaded.")
        return EXIT_OK
    if args.synthetic:
        with tempfile.TemporaryDirectory() as folder:
            quads = load_synthetic(atrium, Path(folder) / "synthetic.nq", args.synthetic)
        print(f"Loaded {args.synthetic:,} synthetic assets ({quads:,} quads)")
        rebuild_search_index(atrium, quiet=False)
        return EXIT_OK
    folder = atrium.config.data_dir / "demo-images"
    report = _with_progress(
        list(range(args.count)), False, lambda tick: load_demo(atrium, folder, args.count, tick)
    )
    print_ingest_summary(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def user(args: argparse.Namespace, atrium: Atrium) -> int:
    users = atrium.users
    try:
        if args.action == "add":
            given = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            password = users.add(args.name, args.role, args.departments, given)
            print(f"Created {args.name} ({args.role})")
            if given is None:
                print(f"Password (shown once): {password}")
        elif args.action == "list":
            for each in users.all():
                state = " (disabled)" if each.disabled else ""
                print(f"{each.name:<24} {each.role:<12} {','.join(each.departments)}{state}")
        elif args.action == "set-role":
            changed = users.set_role(args.name, args.role, args.departments)
            print(f"{changed.name} is now {changed.role} ({','.join(changed.departments)})")
        elif args.action == "set-password":
            given = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            password = given or secrets.token_urlsafe(15)
            users.set_password(args.name, password)
            print(f"New password for {args.name}" + ("" if given else f" (shown once): {password}"))
        elif args.action == "disable":
            users.disable(args.name)
            print(f"Disabled {args.name}: their sessions and tokens no longer work")
        else:
            _token(args, users)
    except UserError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK


def _token(args: argparse.Namespace, users: UserStore) -> None:
    if args.revoke:
        users.revoke_token(args.revoke)
        print(f"Revoked token {args.revoke}")
    elif not args.name:
        raise UsageError("name the user whose tokens to issue or list")
    elif args.list:
        for token in users.tokens(args.name):
            print(
                f"{token.id}  {token.state:<8} created {when(token.created)}  "
                f"expires {when(token.expires)}  last used {when(token.last_used)}  {token.label}"
            )
    else:
        try:
            expires = token_expiry(args.expires)
        except TokenError as error:
            raise UsageError(str(error)) from None
        token_id, secret = users.issue_token(args.name, args.label, expires)
        print(
            f"Token {token_id} for {args.name}, expires {when(iso_time(expires))} "
            "(shown once; send as 'Authorization: Bearer …'):"
        )
        print(secret)


def reindex(args: argparse.Namespace, atrium: Atrium) -> int:
    if not args.check:
        rebuild_search_index(atrium, quiet=False)
        return EXIT_OK
    differences = atrium.search_index.differences()
    for line in differences[:50]:
        print(line)
    if differences:
        print(f"{len(differences):,} differences between the search index and the graph; "
              "run atrium reindex to rebuild it")  # fmt: skip
        return EXIT_FAILED
    print("The search index matches the graph")
    return EXIT_OK


def rebuild_search_index(atrium: Atrium, *, quiet: bool) -> None:
    """Build the search index anew from the graph (after a bulk load, or on demand)."""
    from tqdm import tqdm

    with tqdm(unit="asset", disable=quiet, file=sys.stderr, desc="search index") as bar:

        def tick(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        count = atrium.search_index.rebuild(progress=tick)
    print(f"Indexed {count:,} assets for search")
