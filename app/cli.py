"""``atrium``: the administrator's command line. It sees everything (admin scope).

Exit status: 0 when all went well, 1 when the work ran but something failed (a file that
could not be ingested, a shape violated), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app.config import DEFAULT_PORT, Config
from app.domain.backup import ImportJournal, unfinished_import_message
from app.domain.rebase import BaseIriRefused
from app.domain.validation import ShapesCannotRun
from app.service import Atrium
from app.storage.graphstore import StoreError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command was asked for something it cannot do; the message says what to change."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _run(argv)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return status
    except BrokenPipeError:
        # The reader went away (``atrium stats | head``): stop quietly. Python's documented
        # recipe (library/signal, "Note on SIGPIPE"): point stdout at devnull so that the
        # flush at exit does not fail again.
        _stdout_to_devnull()
        return EXIT_FAILED


def _stdout_to_devnull() -> None:
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests capture it): nothing will flush to the pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        if getattr(args, "opens_the_store", False):  # rebase: it opens a folder it will move
            return args.handler(args, None)
        opening = {"initialise": args.command != "import", "sweep": args.command != "cleanup"}
        with open_atrium(**opening, port=getattr(args, "port", None)) as atrium:
            return args.handler(args, atrium)
    except (UsageError, BaseIriRefused) as error:
        print(f"atrium {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ShapesCannotRun) as error:
        print(f"atrium {args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atrium", description="Atrium: a semantic digital asset management system."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace, Atrium], int], help: str):  # noqa: ANN202
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    from app import commands as c

    init = command("init", c.init, "Create the data folder and install the shipped vocabularies.")
    init.add_argument(
        "--port", type=int, help="the port serve will use: a new folder's IRIs name it (5000)"
    )

    serve = command("serve", c.serve, "Serve the web front end.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)

    ingest = command("ingest", c.ingest, "Ingest files and folders (recursively).")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ingest.add_argument("--department", required=True, help="owning department, e.g. marketing")
    ingest.add_argument("--access", default="internal", help="public, internal or restricted")
    ingest.add_argument(
        "--subject", action="append", default=[], help="a concept, by IRI or label (repeatable)"
    )
    ingest.add_argument(
        "--set",
        action="append",
        default=[],
        dest="settings",
        metavar="FIELD=VALUE",
        help="fill a field for the whole batch, e.g. consentExpires=2027-12-31 (repeatable)",
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")

    command("validate", c.validate, "Check every asset against the SHACL shapes.")

    sparql = command("sparql", c.sparql, "Run a read-only SPARQL query over the whole graph.")
    sparql.add_argument("query", nargs="?", help="the query text")
    sparql.add_argument("-f", "--file", type=Path, help="read the query from a file")
    sparql.add_argument(
        "--format", default="table", choices=["table", "csv", "tsv", "json", "xml", "ttl", "nt"]
    )
    add_query_commands(command("query", c.query, "List, save or delete saved queries."))

    stats = command("stats", c.stats, "Print what the store holds.")
    stats.add_argument("--json", action="store_true", help="machine-readable output")

    from app import backup_commands as b

    export = command("export", b.export, "Back up the graph, media and users into DIR.")
    export.add_argument("folder", type=Path, metavar="DIR")
    restore = command("import", b.restore, "Restore a backup made by export into an empty store.")
    restore.add_argument("folder", type=Path, metavar="DIR")
    recovery = restore.add_mutually_exclusive_group()
    recovery.add_argument("--resume", action="store_true", help="finish an interrupted import")
    recovery.add_argument(
        "--replace", action="store_true", help="delete what the store holds, then restore"
    )

    demo = command("demo", c.demo, "Load the demo collection (or synthetic records).")
    demo.add_argument("--count", type=int, default=72, help="demo images to draw (default 72)")
    demo.add_argument(
        "--synthetic", type=int, metavar="N", help="instead: N metadata-only records, bulk-loaded"
    )
    demo.add_argument("--if-empty", action="store_true", help="do nothing if assets exist")

    add_user_commands(command("user", c.user, "Manage users, roles and API tokens."))

    from app import vocab_commands

    vocab_commands.add_arguments(
        command("vocab", vocab_commands.vocab, "Import, export and check SKOS vocabularies.")
    )

    from app import profile_commands

    profile_commands.add_arguments(
        command("profile", profile_commands.profile, "Check, import, list and export profiles.")
    )

    from app import results_commands

    results_commands.add_arguments(
        command("results", results_commands.results, "Import results per segment (CSV).")
    )

    from app import version_commands

    version_commands.add_arguments(
        command("version", version_commands.version, "Give an asset a new file, list or revert.")
    )

    from app import collections_commands  # collections (issue 11)

    collections_commands.add_arguments(
        command("collections", collections_commands.collections, "List and fill collections.")
    )

    from app import rebase_commands

    rebase_commands.add_arguments(
        command("rebase", rebase_commands.rebase, "Move every IRI to a new base IRI.")
    )

    from app import media_commands  # video web renditions (issue 12)

    command("renditions", media_commands.renditions, "Make the videos' web renditions now.")

    cleanup = command(
        "cleanup", c.cleanup, "Remove what killed uploads and ingests left in the data folder."
    )
    cleanup.add_argument("--dry-run", action="store_true", help="only list what would go")
    cleanup.add_argument(
        "--older-than",
        type=float,
        metavar="MINUTES",
        help="age a leftover must reach (default: ATRIUM_SWEEP_GRACE_MINUTES)",
    )

    reindex = command("reindex", c.reindex, "Rebuild the search index from the graph.")
    reindex.add_argument(
        "--check", action="store_true", help="compare it with the graph; exit 1 if they differ"
    )
    return parser


def add_user_commands(user: argparse.ArgumentParser) -> None:
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create a user and print their password once")
    add.add_argument("name")
    add.add_argument("--role", default="viewer", help="viewer, contributor, taxonomist or admin")
    add.add_argument("--department", action="append", default=[], dest="departments")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="list users, roles and departments")
    set_role = actions.add_parser("set-role", help="change a user's role (and departments)")
    set_role.add_argument("name")
    set_role.add_argument("role")
    set_role.add_argument("--department", action="append", dest="departments")
    set_password = actions.add_parser(
        "set-password", help="set a new password (from standard input, else generated)"
    )
    set_password.add_argument("name")
    set_password.add_argument("--password-stdin", action="store_true")
    disable = actions.add_parser("disable", help="disable a user: sessions and tokens stop")
    disable.add_argument("name")
    token = actions.add_parser("token", help="issue an API token (or --revoke ID, or --list)")
    token.add_argument("name", nargs="?")
    token.add_argument("--label", default="")
    token.add_argument(
        "--expires",
        default="",
        help="90d (days from now) or 2027-03-31 (its last day); default: never",
    )
    token.add_argument("--revoke", metavar="ID")
    token.add_argument("--list", action="store_true")


def add_query_commands(query: argparse.ArgumentParser) -> None:
    actions = query.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list the saved queries and their URLs")
    save = actions.add_parser("save", help="save a query (or replace the one of that name)")
    save.add_argument("name", help="lowercase letters, digits, hyphens: part of its URL")
    save.add_argument("-f", "--file", type=Path, required=True, help="the query's text")
    save.add_argument("--title", required=True)
    save.add_argument("--description", default="")
    delete = actions.add_parser("delete", help="delete a saved query")
    delete.add_argument("name")


def open_atrium(*, initialise: bool = True, sweep: bool = True, port: int | None = None) -> Atrium:
    """The Atrium the environment configures, with the shipped vocabularies installed;
    ``sweep``: also remove the work folders of killed uploads (the quick part of the sweep);
    ``port``: the one the server will use, which the base IRI of a new data folder names."""
    config = Config.from_env(port=port)
    unfinished = ImportJournal(config.data_dir).unfinished() if initialise else None
    if unfinished is not None:  # initialising would build on a half-restored store
        raise UsageError(unfinished_import_message(unfinished))
    atrium = Atrium(config)
    if initialise and not atrium.is_initialised():
        atrium.init()
    if sweep:
        from app.domain.cleanup import sweep_quickly

        if swept := sweep_quickly(atrium):
            print(f"atrium: swept what killed uploads left: {swept}", file=sys.stderr)
    return atrium


def print_json(value: object) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    print()
