"""``atrium serve``: the web front end under waitress, with the periodic sweep and rights
check, and the admin socket through which the CLI runs beside it (app/cli/admin_socket.py)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from app.cli.admin_socket import AdminSocket, AdminSocketBusy, socket_path
from app.cli.status import EXIT_OK, UsageError
from app.service import Atrium


class _Terminated(SystemExit):
    """SIGTERM arrived: stop serving the way Ctrl-C does, removing the admin socket. A
    SystemExit, because waitress's loop re-raises only those (and Ctrl-C's): arriving while it
    handled a connection, an Exception was logged and swallowed, and the server kept on."""


def serve(args: argparse.Namespace, atrium: Atrium) -> int:
    from waitress import serve as waitress_serve

    from app.cli.dispatch import run_for_client  # a command that arrives on the admin socket
    from app.domain.assets.rights_check import PeriodicRightsCheck, RightsCheck
    from app.domain.operations.cleanup import PeriodicSweep, Sweeper
    from app.web import create_app
    from app.web.serving import waitress_options

    if atrium.users.count() == 0:
        password = atrium.users.add("admin", "admin", [])
        print(f"Created the administrator account: admin / {password}")
        print("This password is shown once; change it with: atrium user set-password admin")

    app = create_app(atrium)
    log_to_stderr("atrium")
    sweep = PeriodicSweep(Sweeper(atrium), atrium.config.sweep_seconds)  # at start, every N
    rights = PeriodicRightsCheck(RightsCheck(atrium), atrium.config.rights_check_seconds)
    admin = AdminSocket(
        socket_path(atrium.config.data_dir), lambda request: run_for_client(request, atrium)
    )
    try:
        admin.start()
    except AdminSocketBusy as busy:
        raise UsageError(str(busy)) from None
    print(f"Atrium is serving at http://{args.host}:{args.port}/", flush=True)
    _stop_on_sigterm()
    try:
        with sweep, rights:
            options = waitress_options(app, atrium.config)
            waitress_serve(app, host=args.host, port=args.port, **options)
    except (_Terminated, KeyboardInterrupt):
        print("Atrium stopped serving", file=sys.stderr)
    finally:
        admin.stop()
    return EXIT_OK


def _stop_on_sigterm() -> None:
    def terminate(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)


def log_to_stderr(name: str) -> None:
    """Show the INFO messages of logger ``name`` (the sweep's, say) on standard error."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # waitress.serve gives the root logger a handler: one line each
