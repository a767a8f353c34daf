"""The admin socket: ``atrium serve`` runs the CLI commands that ``atrium`` sends it.

The embedded store has one writer, the server, so a command beside a running server is run
by that server, in its own process, against the very ``Atrium`` the web app uses: search and
every in-process index see the change at once, whatever the store.

The socket is ``ATRIUM_DATA/admin.sock``, a Unix domain socket of mode 0600: its file
permissions are the authentication (and the peer's uid is checked where Linux tells it). The
protocol is JSON lines. The client sends one request, ``{"argv": [...], "cwd": "...",
"stdin": "..." or null}``; the server answers with frames ``{"stream": "stdout" | "stderr",
"text": ...}`` as the command writes, then ``{"exit": status}``. Bytes that are not UTF-8
travel as lone surrogates (``surrogateescape``), which JSON escapes, so binary output (a
vocabulary export, a SPARQL answer) arrives exactly.

Capturing output: ``sys.stdout``, ``sys.stderr`` and ``sys.stdin`` are replaced, once, by
:class:`ThreadRoutedStream` proxies. A thread that runs a client's command routes them to
that client's connection; every other thread (waitress's, whose access log goes to standard
error) writes to the real streams, as before. Swapping ``sys.stdout`` itself per command
would swallow the server's own output from those threads. Only the command's own thread is
routed: output from threads it starts goes to the server's log.

One command runs at a time (a lock). A client that goes away mid-command does not stop it:
the command finishes and its remaining output is dropped, so nothing is half done.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SOCKET_NAME = "admin.sock"
REQUEST_LIMIT = 4 * 1024 * 1024  # argv, cwd and stdin text of one request
READ_SECONDS = 30.0  # for the request to arrive
SEND_SECONDS = 120.0  # for a client to take a frame; beyond it, it is taken to be gone
ACCEPT_POLL_SECONDS = 0.5  # how soon the accepting thread notices a stop

log = logging.getLogger("atrium.admin")


def socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET_NAME


@dataclass(frozen=True)
class AdminRequest:
    """One CLI command line sent to the server: its words, the client's working folder (which
    relative paths mean) and its standard input, read by the client when the command asks."""

    argv: list[str]
    cwd: Path
    stdin: str | None = None

    def to_line(self) -> bytes:
        body = {"argv": self.argv, "cwd": str(self.cwd), "stdin": self.stdin}
        return json.dumps(body).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> AdminRequest:
        """The request in ``line``; ValueError says what is wrong with it."""
        body = json.loads(line)
        argv, cwd, stdin = body.get("argv"), body.get("cwd"), body.get("stdin")
        if not isinstance(argv, list) or not all(isinstance(word, str) for word in argv):
            raise ValueError("argv must be a list of strings")
        if not isinstance(cwd, str) or not Path(cwd).is_absolute():
            raise ValueError("cwd must be an absolute path")
        if stdin is not None and not isinstance(stdin, str):
            raise ValueError("stdin must be text or null")
        return cls(argv, Path(cwd), stdin)


class ThreadRoutedStream:
    """Stands for ``sys.stdout`` (or stderr, stdin): a thread that routed it (:meth:`routed`)
    reads and writes its own stream; every other thread the real one."""

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self._local = threading.local()

    def _target(self) -> TextIO:
        return getattr(self._local, "stream", None) or self.real

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> object:  # buffer, encoding, isatty, readline, …
        return getattr(self._target(), name)

    @contextmanager
    def routed(self, stream: TextIO) -> Iterator[None]:
        self._local.stream = stream
        try:
            yield
        finally:
            self._local.stream = None


class _Frames:
    """The answer's frames, sent on the connection; after a failed send the client is gone
    and the rest is dropped (the command carries on)."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self.gone = False

    def send(self, **frame: object) -> None:
        line = json.dumps(frame).encode() + b"\n"
        with self._lock:
            if self.gone:
                return
            try:
                self._connection.sendall(line)
            except OSError:
                self.gone = True


class _ClientBytes(io.BufferedIOBase):
    def __init__(self, frames: _Frames, name: str) -> None:
        self._frames, self._name = frames, name

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if data:
            text = bytes(data).decode("utf-8", "surrogateescape")
            self._frames.send(stream=self._name, text=text)
        return len(data)


class _ClientText(io.TextIOBase):
    """A command's standard output or error, as the client will print it."""

    encoding = "utf-8"

    def __init__(self, frames: _Frames, name: str) -> None:
        self.buffer = _ClientBytes(frames, name)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        self.buffer.write(text.encode("utf-8", "surrogateescape"))
        return len(text)


_ROUTED_NAMES = ("stdin", "stdout", "stderr")


def _route_standard_streams() -> dict[str, ThreadRoutedStream]:
    """Install the proxies in ``sys`` (once) and return them by name."""
    for name in _ROUTED_NAMES:
        if not isinstance(getattr(sys, name), ThreadRoutedStream):
            setattr(sys, name, ThreadRoutedStream(getattr(sys, name)))
    return {name: getattr(sys, name) for name in _ROUTED_NAMES}


def _unroute_standard_streams() -> None:
    for name in _ROUTED_NAMES:
        stream = getattr(sys, name)
        if isinstance(stream, ThreadRoutedStream):
            setattr(sys, name, stream.real)


class AdminSocketBusy(Exception):
    """Another server answers on this data folder's admin socket."""


class AdminSocket:
    """Listens on ``path`` while in a ``with`` block; ``execute`` runs one request (in the
    thread whose standard streams are the client's) and returns its exit status."""

    def __init__(self, path: Path, execute: Callable[[AdminRequest], int]) -> None:
        self.path = path
        self._execute = execute
        self._one_at_a_time = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._inode: int | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> AdminSocket:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        if _answers(self.path):
            raise AdminSocketBusy(
                f"another atrium serve answers on {self.path}: one server per data folder"
            )
        self.path.unlink(missing_ok=True)  # a stale socket, left by a server killed -9
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous_umask = os.umask(0o177)  # born 0600: no moment when others may connect
        try:
            listener.bind(str(self.path))
        except OSError as error:  # a data folder path too long for a socket address, say
            listener.close()
            log.warning("no admin socket at %s (%s): the CLI cannot run beside", self.path, error)
            return
        finally:
            os.umask(previous_umask)
        os.chmod(self.path, 0o600)
        self._inode = self.path.stat().st_ino
        listener.listen(8)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self._listener = listener
        _route_standard_streams()
        self._thread = threading.Thread(target=self._accept, name="atrium-admin", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, remove the socket, and wait for a running command to finish."""
        if self._listener is None:
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._listener.close()
        self._listener = None
        try:
            if self.path.stat().st_ino == self._inode:  # not one a newer server made
                self.path.unlink()
        except FileNotFoundError:
            pass
        if not self._one_at_a_time.acquire(blocking=False):
            print("atrium serve: waiting for the running admin command to finish", file=sys.stderr)
            self._one_at_a_time.acquire()
        self._one_at_a_time.release()
        _unroute_standard_streams()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            thread = threading.Thread(
                target=self._answer, args=(connection,), name="atrium-admin-command", daemon=True
            )
            thread.start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(READ_SECONDS)
            frames = _Frames(connection)
            if not _peer_is_owner(connection):
                frames.send(stream="stderr", text="atrium: only the server's user may do that\n")
                frames.send(exit=2)
                return
            try:
                request = AdminRequest.from_line(_read_line(connection))
            except (ValueError, OSError) as error:
                frames.send(stream="stderr", text=f"atrium: a malformed admin request: {error}\n")
                frames.send(exit=2)
                return
            connection.settimeout(SEND_SECONDS)
            with self._one_at_a_time:
                status = self._run(request, frames)
            frames.send(exit=status)

    def _run(self, request: AdminRequest, frames: _Frames) -> int:
        streams = _route_standard_streams()
        stdout, stderr = _ClientText(frames, "stdout"), _ClientText(frames, "stderr")
        with (
            streams["stdin"].routed(io.StringIO(request.stdin or "")),
            streams["stdout"].routed(stdout),
            streams["stderr"].routed(stderr),
        ):
            try:
                return self._execute(request)
            except SystemExit as stop:  # argparse, say
                return stop.code if isinstance(stop.code, int) else 1
            except Exception as error:  # noqa: BLE001 - the server must outlive any command
                log.exception("admin command %s failed", request.argv)
                print(
                    f"atrium: the command failed inside the server ({error!r}); "
                    "its log has the details",
                    file=sys.stderr,
                )
                return 1


def _read_line(connection: socket.socket) -> bytes:
    received = bytearray()
    while b"\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            raise ValueError("the request ended before its newline")
        received += chunk
        if len(received) > REQUEST_LIMIT:
            raise ValueError(f"the request is larger than {REQUEST_LIMIT:,} bytes")
    return bytes(received.split(b"\n", 1)[0])


def _peer_is_owner(connection: socket.socket) -> bool:
    """The peer runs as the server's user (or root), where the system says who it is."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # the socket's mode 0600 is the authentication
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _, uid, _ = struct.unpack("3i", credentials)
    return uid in (os.getuid(), 0)


def _answers(path: Path) -> bool:
    """Someone listens on the socket at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True
