"""Running a parsed command: against the Atrium the environment configures, or inside
``atrium serve`` against the server's own (a command that came on the admin socket).

Imported only once a command runs here (app/cli/main.py), since it brings in the domain.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.admin_socket import AdminRequest
from app.cli.parser import build_parser
from app.cli.status import EXIT_FAILED, EXIT_USAGE, UsageError
from app.config import Config, ConfigError
from app.domain.assets.validation import ShapesCannotRun
from app.domain.operations.backup import ImportJournal, unfinished_import_message
from app.domain.operations.rebase import BaseIriRefused
from app.service import Atrium
from app.storage.graphstore import StoreError


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
