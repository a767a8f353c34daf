"""``atrium``: the administrator's command line. It sees everything (admin scope).

Exit status: 0 when all went well, 1 when the work ran but something failed (a file that
could not be ingested, a shape violated), 2 on a usage error (app/cli/status.py).

Beside a running ``atrium serve`` (its admin socket answers in the data folder), a command
is run by the server, against the server's own ``Atrium`` (app/cli/admin_socket.py), and
this process imports no more than the grammar (app/cli/parser.py); otherwise it runs here
(app/cli/dispatch.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from app.cli.admin_client import connect, run_in_server
from app.cli.admin_socket import AdminRequest
from app.cli.parser import build_parser
from app.cli.status import EXIT_FAILED, EXIT_USAGE
from app.config import Config


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
    from app.cli.dispatch import dispatch  # here: a command sent to a server needs no domain

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
