"""The handlers behind each ``atrium`` command: parse nothing, print results, return a status."""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, serialize

from app.cli import EXIT_FAILED, EXIT_OK, UsageError, print_json
from app.domain.backup import BackupError, export_all, restore_all
from app.domain.demo import load_demo, load_synthetic
from app.domain.ingest import (
    Ingester,
    IngestOptions,
    IngestReport,
    IngestUsageError,
    Outcome,
    find_files,
)
from app.domain.stats import store_stats
from app.domain.store_check import validate_store
from app.domain.users import UserError, UserStore
from app.service import Atrium
from app.storage.graphstore import QuerySyntaxError, Scope


def init(args: argparse.Namespace, atrium: Atrium) -> int:
    slugs = atrium.init()
    print(f"Atrium data folder: {atrium.config.data_dir}")
    print(f"Installed the ontology and {len(slugs)} vocabularies: {', '.join(slugs)}")
    return EXIT_OK


def serve(args: argparse.Namespace, atrium: Atrium) -> int:
    from waitress import serve as waitress_serve

    from app.web import create_app

    if atrium.users.count() == 0:
        password = atrium.users.add("admin", "admin", [])
        print(f"Created the administrator account: admin / {password}")
        print("This password is shown once; change it with: atrium user set-password admin")

    app = create_app(atrium)
    print(f"Atrium is serving at http://{args.host}:{args.port}/", flush=True)
    waitress_serve(app, host=args.host, port=args.port, threads=8, ident="Atrium")
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


_RESULT_FORMATS = {
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
}
_GRAPH_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES}


def sparql(args: argparse.Namespace, atrium: Atrium) -> int:
    if bool(args.query) == bool(args.file):
        raise UsageError("give a query, or -f FILE, but not both")
    text = args.file.read_text(encoding="utf-8") if args.file else args.query
    try:
        result = atrium.store.query(text, scope=Scope.everything())
    except QuerySyntaxError as error:
        message = f"the query is not valid SPARQL 1.1 (updates are refused): {error}"
        raise UsageError(message) from None
    sys.stdout.flush()
    out = sys.stdout.buffer
    if isinstance(result, QueryBoolean):
        print("true" if result else "false")
    elif isinstance(result, QuerySolutions):
        if args.format == "table":
            print_table(result)
        elif args.format in _RESULT_FORMATS:
            out.write(result.serialize(format=_RESULT_FORMATS[args.format]))
        else:
            raise UsageError(f"--format {args.format} is for CONSTRUCT/DESCRIBE queries")
    else:
        graph_format = _GRAPH_FORMATS.get(args.format, RdfFormat.TURTLE)
        out.write(serialize(result, format=graph_format) or b"")
    out.flush()
    return EXIT_OK


def print_table(result: QuerySolutions) -> None:
    names = [v.value for v in result.variables]
    rows = [[_cell(row[name]) for name in names] for row in result]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"({len(rows)} rows)")


def _cell(term) -> str:  # noqa: ANN001
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


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


def export(args: argparse.Namespace, atrium: Atrium) -> int:
    try:
        summary = export_all(atrium.store, atrium.media, args.folder)
    except BackupError as error:
        raise UsageError(str(error)) from None
    print(
        f"Exported {summary.quads:,} quads and {summary.media_files:,} media files to {args.folder}"
    )
    return EXIT_OK


def restore(args: argparse.Namespace, atrium: Atrium) -> int:
    try:
        summary = restore_all(atrium.store, atrium.media, args.folder)
    except BackupError as error:
        raise UsageError(str(error)) from None
    print(f"Restored {summary.quads:,} quads and {summary.media_files:,} media files")
    return EXIT_OK


def demo(args: argparse.Namespace, atrium: Atrium) -> int:
    if args.if_empty and store_stats(atrium.store)["assets"]:
        print("The store already holds assets; demo data not loaded.")
        return EXIT_OK
    if args.synthetic:
        with tempfile.TemporaryDirectory() as folder:
            quads = load_synthetic(atrium, Path(folder) / "synthetic.nq", args.synthetic)
        print(f"Loaded {args.synthetic:,} synthetic assets ({quads:,} quads)")
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
            state = "revoked" if token.revoked else "active"
            print(f"{token.id}  {token.created}  {state:<8} {token.label}")
    else:
        token_id, secret = users.issue_token(args.name, args.label)
        print(f"Token {token_id} for {args.name} (shown once; send as 'Authorization: Bearer …'):")
        print(secret)
