"""The client side of the admin socket (:mod:`app.cli.admin_socket`): when ``atrium serve``
answers on the data folder's socket, ``atrium COMMAND …`` is sent there and its output
printed here as it comes; when none answers (no socket, or a stale one left by a server
killed -9), the command runs in this process, as without a server.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import TextIO

from app.cli.admin_socket import AdminRequest, socket_path
from app.cli.status import EXIT_FAILED


def connect(data_dir: Path) -> socket.socket | None:
    """A connection to the server that answers on ``data_dir``'s admin socket, or None."""
    path = socket_path(data_dir)
    if not path.is_socket():
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
    except OSError:  # refused: nobody listens any more; or not ours to use
        connection.close()
        return None
    return connection


def run_in_server(connection: socket.socket, request: AdminRequest) -> int:
    """Send ``request``, print what the command writes, and return its exit status."""
    with connection, connection.makefile("rb") as answer:
        connection.sendall(request.to_line())
        for line in answer:
            frame = json.loads(line)
            if "exit" in frame:
                return int(frame["exit"])
            stream = sys.stdout if frame.get("stream") == "stdout" else sys.stderr
            _write(stream, frame.get("text", ""))
    print(
        "atrium: the server closed the connection before the command finished; "
        "see the server's log",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _write(stream: TextIO, text: str) -> None:
    data = text.encode("utf-8", "surrogateescape")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream (a test's capture): as text
        stream.write(data.decode("utf-8", "replace"))
        return
    stream.flush()
    buffer.write(data)
    buffer.flush()
