"""The command line's grammar: every command, its arguments and its handler.

The parser imports nothing of the domain, and a handler (``app.cli.<module>.<function>``) is
imported only when its command runs: ``--help``, a usage error and a command sent to a running
server (app/cli/main.py) start in a tenth of the time that importing the domain takes. A type
check that needs the domain (a format's aliases, say) imports it when the option is given.

``beside_server=False`` marks the commands that cannot run inside a live server, which refuses
them (serve itself, a restore, a rebase).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import DEFAULT_PORT
from app.storage.formats import GRAPH_FORMATS, QUERY_FORMAT_NAMES, query_formats

if TYPE_CHECKING:
    from app.service import Atrium


@dataclass(frozen=True)
class Handler:
    """The function that runs a command, named by its module under ``app.cli``."""

    module: str
    function: str

    def __call__(self, args: argparse.Namespace, atrium: Atrium | None) -> int:
        handler = getattr(importlib.import_module(f"app.cli.{self.module}"), self.function)
        return handler(args, atrium)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atrium", description="Atrium: a semantic digital asset management system."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, handler: str, help: str, *, beside_server: bool = True
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=Handler(*handler.split(".")), beside_server=beside_server)
        return sub

    init = command(
        "init", "maintenance.init", "Create the data folder and install the shipped vocabularies."
    )
    init.add_argument(
        "--port", type=int, help="the port serve will use: a new folder's IRIs name it (5000)"
    )
    serving = command("serve", "serve.serve", "Serve the web front end.", beside_server=False)
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=DEFAULT_PORT)

    _ingest(command("ingest", "ingest.ingest", "Ingest files and folders (recursively)."))
    command("validate", "maintenance.validate", "Check every asset against the SHACL shapes.")
    _sparql(
        command("sparql", "sparql.sparql", "Run a read-only SPARQL query over the whole graph.")
    )
    _saved_queries(command("query", "sparql.query", "List, save or delete saved queries."))
    stats = command("stats", "maintenance.stats", "Print what the store holds.")
    stats.add_argument("--json", action="store_true", help="machine-readable output")

    export = command("export", "backup.export", "Back up the graph, media and users into DIR.")
    export.add_argument("folder", type=Path, metavar="DIR")
    _restore(
        command(
            "import",
            "backup.restore",
            "Restore a backup made by export into an empty store.",
            beside_server=False,
        )
    )
    _demo(command("demo", "maintenance.demo", "Load the demo collection (or synthetic records)."))
    _users(command("user", "users.user", "Manage users, roles and API tokens."))
    _vocab(command("vocab", "vocab.vocab", "Import, export and check SKOS vocabularies."))
    _profiles(command("profile", "profiles.profile", "Check, import, list and export profiles."))
    _results(command("results", "results.results", "Import results per segment (CSV)."))
    _versions(command("version", "versions.version", "Give an asset a new file, list or revert."))
    _collections(command("collections", "collections.collections", "List and fill collections."))
    rebase = command(
        "rebase", "rebase.rebase", "Move every IRI to a new base IRI.", beside_server=False
    )
    rebase.add_argument("new_base", metavar="NEW_BASE", help="e.g. https://dam.example.org/")
    # The folder is opened under its recorded base, not through the usual checks (dispatch).
    rebase.set_defaults(opens_the_store=True)
    command("renditions", "renditions.renditions", "Make the videos' web renditions now.")
    _cleanup(
        command(
            "cleanup",
            "maintenance.cleanup",
            "Remove what killed uploads and ingests left in the data folder.",
        )
    )
    reindex = command("reindex", "maintenance.reindex", "Rebuild the search index from the graph.")
    reindex.add_argument(
        "--check", action="store_true", help="compare it with the graph; exit 1 if they differ"
    )
    return parser


def _ingest(ingest: argparse.ArgumentParser) -> None:
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


def _sparql(sparql: argparse.ArgumentParser) -> None:
    sparql.add_argument("query", nargs="?", help="the query text")
    sparql.add_argument("-f", "--file", type=Path, help="read the query from a file")
    sparql.add_argument(
        "--format",
        default="table",
        type=_sparql_format,
        metavar="FORMAT",
        help=f"table (the default), {', '.join(QUERY_FORMAT_NAMES)} "
        "(turtle, rdfxml and other usual spellings too)",
    )


def _sparql_format(text: str) -> str:
    name = text.strip().lower()
    if name != "table" and query_formats(name) is None:
        raise _unknown("format", text, ["table", *QUERY_FORMAT_NAMES])
    return name


def _unknown(what: str, text: str, names: Iterable[str]) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"unknown {what} {text!r}; use one of {', '.join(names)}")


def _saved_queries(query: argparse.ArgumentParser) -> None:
    actions = query.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list the saved queries and their URLs")
    save = actions.add_parser("save", help="save a query (or replace the one of that name)")
    save.add_argument("name", help="lowercase letters, digits, hyphens: part of its URL")
    save.add_argument("-f", "--file", type=Path, required=True, help="the query's text")
    save.add_argument("--title", required=True)
    save.add_argument("--description", default="")
    delete = actions.add_parser("delete", help="delete a saved query")
    delete.add_argument("name")


def _restore(restore: argparse.ArgumentParser) -> None:
    restore.add_argument("folder", type=Path, metavar="DIR")
    recovery = restore.add_mutually_exclusive_group()
    recovery.add_argument("--resume", action="store_true", help="finish an interrupted import")
    recovery.add_argument(
        "--replace", action="store_true", help="delete what the store holds, then restore"
    )


def _demo(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--count", type=int, default=72, help="demo images to draw (default 72)")
    demo.add_argument(
        "--synthetic", type=int, metavar="N", help="instead: N metadata-only records, bulk-loaded"
    )
    demo.add_argument("--if-empty", action="store_true", help="do nothing if assets exist")


def _users(user: argparse.ArgumentParser) -> None:
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


def _vocab(vocab: argparse.ArgumentParser) -> None:
    actions = vocab.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import", help="load a SKOS file (Turtle, RDF/XML, N-Triples, JSON-LD) into its graph"
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--scheme", metavar="IRI", help="the main concept scheme (else found)")
    load.add_argument("--clean", action="store_true", help="run skosify on it first")
    load.add_argument(
        "--merge", action="store_true", help="add to the stored version instead of replacing it"
    )
    export = actions.add_parser("export", help="write a vocabulary to standard output")
    export.add_argument("scheme", metavar="SCHEME", help="slug or scheme IRI")
    export.add_argument(
        "--format",
        default="ttl",
        type=_export_format,
        metavar="FORMAT",
        help=f"{', '.join(f.name for f in GRAPH_FORMATS)} or csv "
        "(rdfxml, turtle and other usual spellings too)",
    )
    export.add_argument("-o", "--output", type=Path, help="write to a file instead")
    check = actions.add_parser("check", help="run the quality gates on stored vocabularies")
    check.add_argument("scheme", nargs="?", metavar="SCHEME", help="slug or scheme IRI")
    check.add_argument("--all", action="store_true", help="list every problem, not a sample")
    actions.add_parser("list", help="list the vocabularies with concept counts and languages")


def _export_format(text: str) -> str:
    from app.domain.vocab.files import EXPORT_FORMATS, export_format

    chosen = export_format(text)
    if chosen is None:
        raise _unknown("format", text, EXPORT_FORMATS)
    return chosen.name


def _profiles(profile: argparse.ArgumentParser) -> None:
    actions = profile.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import", help="check a department's SHACL profile, show its impact, then store it"
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--department", required=True, help="the department it is for, e.g. legal")
    load.add_argument("--dry-run", action="store_true", help="check and show the impact only")
    check = actions.add_parser("check", help="check a profile file without storing it")
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument("--department", help="the department it is for (default: the file name)")
    actions.add_parser("list", help="list the stored profiles and their fields")
    export = actions.add_parser("export", help="write a stored profile (or core) as Turtle")
    export.add_argument("name", metavar="NAME", help="a department, or core")
    export.add_argument("-o", "--output", type=Path, help="write to a file instead")


def _results(results: argparse.ArgumentParser) -> None:
    actions = results.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import", help="load a CSV of results; the same dimensions again replace the figures"
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")


def _versions(version: argparse.ArgumentParser) -> None:
    version.add_argument("asset_id", metavar="ASSET_ID")
    chosen = version.add_mutually_exclusive_group(required=True)
    chosen.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the new file")
    chosen.add_argument("--list", action="store_true", help="list the asset's versions")
    chosen.add_argument("--revert", type=int, metavar="N", help="make version N current again")


def _collections(collections: argparse.ArgumentParser) -> None:
    actions = collections.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the collections (all of them)")
    listing.add_argument("--owner", help="only this user's")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    create = actions.add_parser("create", help="make a collection and print its id")
    create.add_argument("title")
    create.add_argument("--owner", required=True, help="the user who owns it")
    create.add_argument("--description", default="")
    create.add_argument(
        "--visibility",
        default="personal",
        type=_visibility,
        help="who may see it: personal (the default), department or public",
    )
    create.add_argument("--department", help="with --visibility department: its notation")
    for name, text in (("add", "add members at the end"), ("remove", "take members out")):
        action = actions.add_parser(name, help=text)
        action.add_argument("collection", help="the collection's id")
        action.add_argument("members", nargs="+", metavar="MEMBER", help="asset or collection")


def _visibility(text: str) -> str:
    from app.domain.collections import VISIBILITIES

    if text not in VISIBILITIES:
        raise _unknown("visibility", text, VISIBILITIES)
    return text


def _cleanup(cleanup: argparse.ArgumentParser) -> None:
    cleanup.add_argument("--dry-run", action="store_true", help="only list what would go")
    cleanup.add_argument(
        "--older-than",
        type=float,
        metavar="MINUTES",
        help="age a leftover must reach (default: ATRIUM_SWEEP_GRACE_MINUTES)",
    )
