"""``atrium``: the administrator's command line. It sees everything (admin scope).

Exit status: 0 when all went well, 1 when the work ran but something failed (a file that
could not be ingested, a shape violated), 2 on a usage error (app/cli/status.py).

Beside a running ``atrium serve`` (its admin socket answers in the data folder), a command
is run by the server, against the server's own ``Atrium`` (app/cli/admin_socket.py); the
commands that cannot run inside a live server are marked ``beside_server=False`` below.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from app.cli import (
    backup,
    collections,
    ingest,
    maintenance,
    profiles,
    rebase,
    renditions,
    results,
    serve,
    sparql,
    users,
    versions,
    vocab,
)
from app.cli.admin_client import connect, run_in_server
from app.cli.admin_socket import AdminRequest
from app.cli.status import EXIT_FAILED, EXIT_USAGE, UsageError
from app.config import DEFAULT_PORT, Config, ConfigError
from app.domain.assets.validation import ShapesCannotRun
from app.domain.operations.backup import ImportJournal, unfinished_import_message
from app.domain.operations.rebase import BaseIriRefused
from app.service import Atrium
from app.storage.graphstore import StoreError

Handler = Callable[[argparse.Namespace, Atrium], int]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _run(list(sys.argv[1:] if argv is None else argv))
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


def _run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors and --help stay here, on the client
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    server = _running_server()
    if server is not None:
        stdin = sys.stdin.read() if _reads_stdin(args) else None
        return run_in_server(server, AdminRequest(argv, Path.cwd(), stdin))
    return dispatch(args)


def _running_server() -> socket.socket | None:
    """A connection to the server running on the configured data folder, if one answers."""
    try:
        data_dir = Config.from_env().data_dir
    except ValueError:
        return None  # a malformed setting: the local run reports it
    return connect(data_dir)


def _reads_stdin(args: argparse.Namespace) -> bool:
    """The command reads standard input: an option such as ``--password-stdin`` is set. The
    client reads it and sends it along, since the server's standard input is not the user's."""
    return any(name.endswith("_stdin") and value is True for name, value in vars(args).items())


def dispatch(args: argparse.Namespace, atrium: Atrium | None = None) -> int:
    """Run the parsed command against ``atrium`` (the server's, for a command that came on the
    admin socket), else against the Atrium the environment configures."""
    try:
        if atrium is not None:
            return args.handler(args, atrium)
        if getattr(args, "opens_the_store", False):  # rebase: it opens a folder it will move
            return args.handler(args, None)
        opening = {"initialise": args.command != "import", "sweep": args.command != "cleanup"}
        with open_atrium(**opening, port=getattr(args, "port", None)) as opened:
            return args.handler(args, opened)
    except (UsageError, BaseIriRefused, ConfigError) as error:
        print(f"atrium {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ShapesCannotRun) as error:
        print(f"atrium {args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED


def run_for_client(request: AdminRequest, atrium: Atrium) -> int:
    """Inside ``atrium serve``: run a command line that came on the admin socket, with the
    server's ``atrium``. Relative paths mean the client's working folder."""
    args = build_parser().parse_args(request.argv)
    if not getattr(args, "handler", None):
        return EXIT_USAGE
    if not args.beside_server:
        print(
            f"atrium {args.command}: cannot run while atrium serve is running on this data "
            f"folder ({atrium.config.data_dir}); stop the server first, then run it again",
            file=sys.stderr,
        )
        return EXIT_USAGE
    _paths_from(request.cwd, args)
    return dispatch(args, atrium)


def _paths_from(cwd: Path, args: argparse.Namespace) -> None:
    """Make every relative path argument (those the parser reads with ``type=Path``) mean
    ``cwd``: the server's own working folder is not the client's."""

    def absolute(value: object) -> object:
        return cwd / value if isinstance(value, Path) and not value.is_absolute() else value

    for name, value in vars(args).items():
        if isinstance(value, list):
            setattr(args, name, [absolute(each) for each in value])
        else:
            setattr(args, name, absolute(value))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atrium", description="Atrium: a semantic digital asset management system."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, handler: Handler, help: str, *, beside_server: bool = True
    ) -> argparse.ArgumentParser:
        """``beside_server=False``: the command cannot run inside a live server, which refuses
        it (serve itself, a restore, a rebase)."""
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler, beside_server=beside_server)
        return sub

    init = command(
        "init", maintenance.init, "Create the data folder and install the shipped vocabularies."
    )
    init.add_argument(
        "--port", type=int, help="the port serve will use: a new folder's IRIs name it (5000)"
    )

    serving = command(
        "serve",
        partial(serve.serve, run_for_client=run_for_client),
        "Serve the web front end.",
        beside_server=False,
    )
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=DEFAULT_PORT)

    ingest.add_arguments(
        command("ingest", ingest.ingest, "Ingest files and folders (recursively).")
    )
    command("validate", maintenance.validate, "Check every asset against the SHACL shapes.")
    sparql.add_sparql_arguments(
        command("sparql", sparql.sparql, "Run a read-only SPARQL query over the whole graph.")
    )
    sparql.add_query_arguments(
        command("query", sparql.query, "List, save or delete saved queries.")
    )
    stats = command("stats", maintenance.stats, "Print what the store holds.")
    stats.add_argument("--json", action="store_true", help="machine-readable output")

    backup.add_export_arguments(
        command("export", backup.export, "Back up the graph, media and users into DIR.")
    )
    backup.add_import_arguments(
        command(
            "import",
            backup.restore,
            "Restore a backup made by export into an empty store.",
            beside_server=False,
        )
    )

    demo = command("demo", maintenance.demo, "Load the demo collection (or synthetic records).")
    demo.add_argument("--count", type=int, default=72, help="demo images to draw (default 72)")
    demo.add_argument(
        "--synthetic", type=int, metavar="N", help="instead: N metadata-only records, bulk-loaded"
    )
    demo.add_argument("--if-empty", action="store_true", help="do nothing if assets exist")

    users.add_arguments(command("user", users.user, "Manage users, roles and API tokens."))
    vocab.add_arguments(
        command("vocab", vocab.vocab, "Import, export and check SKOS vocabularies.")
    )
    profiles.add_arguments(
        command("profile", profiles.profile, "Check, import, list and export profiles.")
    )
    results.add_arguments(command("results", results.results, "Import results per segment (CSV)."))
    versions.add_arguments(
        command("version", versions.version, "Give an asset a new file, list or revert.")
    )
    collections.add_arguments(
        command("collections", collections.collections, "List and fill collections.")
    )
    rebase.add_arguments(
        command("rebase", rebase.rebase, "Move every IRI to a new base IRI.", beside_server=False)
    )
    command("renditions", renditions.renditions, "Make the videos' web renditions now.")

    cleanup = command(
        "cleanup",
        maintenance.cleanup,
        "Remove what killed uploads and ingests left in the data folder.",
    )
    cleanup.add_argument("--dry-run", action="store_true", help="only list what would go")
    cleanup.add_argument(
        "--older-than",
        type=float,
        metavar="MINUTES",
        help="age a leftover must reach (default: ATRIUM_SWEEP_GRACE_MINUTES)",
    )

    reindex = command("reindex", maintenance.reindex, "Rebuild the search index from the graph.")
    reindex.add_argument(
        "--check", action="store_true", help="compare it with the graph; exit 1 if they differ"
    )
    return parser


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
        from app.domain.operations.cleanup import sweep_quickly

        if swept := sweep_quickly(atrium):
            print(f"atrium: swept what killed uploads left: {swept}", file=sys.stderr)
    return atrium
