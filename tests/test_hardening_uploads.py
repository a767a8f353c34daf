"""Hardening of uploads and files (M3, M8, L8), over real HTTP, the real CLI and real kills.

- M3: the upload limit was checked after the whole body was received: anonymous 1 GiB bodies
  were spooled to disk before the 413. Now a body over the limit is refused on its
  Content-Length, or while it streams (chunked), before any user or token is looked up.
- M8: killed uploads left ``ATRIUM_DATA/tmpXXXX/`` folders forever, killed media writes their
  ``.part`` files, killed ingests media files no record uses. A sweep at start, every
  ``ATRIUM_SWEEP_MINUTES`` and on demand (``atrium cleanup``) removes them, never work in
  progress.
- L8: an upload of bytes stored as another department's restricted asset led to that asset's
  page, which answered 404: it said the file exists, and stored nothing. Now it says plainly
  that it cannot be stored, without saying where it lives.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from conftest import BASE_IRI, REPO, add_user, http_sign_in, make_atrium, serving
from PIL import Image

from app.cli.main import main
from app.domain.media.ingest import Ingester, IngestOptions, work_folders
from app.domain.operations.cleanup import PeriodicSweep, Sweeper
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app
from app.web.body_limits import MULTIPART_ENVELOPE_BYTES
from app.web.serving import waitress_options

MiB = 1024 * 1024
TWO_HOURS_AGO = time.time() - 2 * 3600
ANSWER_SECONDS = 10  # a refusal that takes longer has read the body


def png_bytes(colour: str, size: tuple[int, int] = (64, 48)) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", size, colour).save(data, format="PNG")
    return data.getvalue()


def data_files(atrium: Atrium) -> set[Path]:
    """Every file of the data folder but the store's own (its log changes by itself)."""
    root = atrium.config.data_dir
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and "store" not in p.parts}


def asset_count(atrium: Atrium) -> int:
    rows = atrium.store.select(
        "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a <https://w3id.org/atrium/ns#Asset> }",
        scope=Scope.everything(),
    )
    return int(rows[0]["n"].value)


class LookupCounter:
    """Counts the session and token look-ups of the user store (authentication work)."""

    def __init__(self, atrium: Atrium) -> None:
        self.calls = 0
        users = atrium.users
        for name in ("session_user", "user_for_token"):
            real = getattr(users, name)
            setattr(users, name, self._counting(real))

    def _counting(self, real: Callable) -> Callable:
        def counted(*args: object) -> object:
            self.calls += 1
            return real(*args)

        return counted


# Raw HTTP, so that the body can be a lie (Content-Length) or endless (chunked) ----------------


def raw_post(
    base_url: str,
    path: str,
    headers: dict[str, str],
    body: Iterator[bytes],
    *,
    chunked: bool,
) -> tuple[int, str, int, float]:
    """Send a POST piece by piece, stopping as soon as an answer arrives; (status, start of the
    answer, body bytes sent by then, seconds until the answer)."""
    address = urlsplit(base_url)
    started = time.monotonic()
    sent = 0
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        lines = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for piece in body:
            if select.select([connection], [], [], 0.01)[0]:
                break  # answered: stop sending
            framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            try:
                connection.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        answer = _read_answer(connection)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer.decode("latin-1"), sent, time.monotonic() - started


def _read_answer(connection: socket.socket) -> bytes:
    """The answer's head and its Content-Length of body (the server may go on reading what
    was sent after it answered, so its end of the connection is not waited for)."""
    answer = b""
    try:
        while chunk := connection.recv(65536):
            answer += chunk
            head, separator, body = answer.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if separator and length and len(body) >= int(length.group(1)):
                break
    except (ConnectionResetError, TimeoutError):
        pass
    return answer


def endless(piece: bytes = b"x" * MiB, pieces: int = 256) -> Iterator[bytes]:
    for _ in range(pieces):
        yield piece


def multipart_start(boundary: str, fields: dict[str, str]) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    )
    return "".join(parts).encode()


def cookie_header(client: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies)


def form_token(client: requests.Session, base_url: str) -> str:
    page = client.get(f"{base_url}/upload").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


MULTIPART = {"Content-Type": "multipart/form-data; boundary=atrium-test"}


# M3 ---------------------------------------------------------------------------------------------


def test_m3_a_content_length_over_the_limit_is_refused_unread_and_unauthenticated(
    atrium: Atrium,
) -> None:
    name = add_user(atrium, "contributor", ("marketing",))
    lookups = LookupCounter(atrium)
    with serving(atrium) as base_url:
        client = http_sign_in(base_url, name)
        before, lookups.calls = data_files(atrium), 0
        anonymous = raw_post(
            base_url, "/upload", {**MULTIPART, "Content-Length": str(1024 * MiB)},
            iter([b"x" * 1024]), chunked=False,
        )  # fmt: skip
        limit = atrium.config.max_upload_bytes + MULTIPART_ENVELOPE_BYTES
        signed_in = raw_post(
            base_url, "/upload",
            {**MULTIPART, "Content-Length": str(limit + 1), "Cookie": cookie_header(client)},
            iter([b"x" * 1024]), chunked=False,
        )  # fmt: skip
    status, answer, _, seconds = anonymous
    assert status == 413 and seconds < ANSWER_SECONDS
    assert "Sign in first" in answer
    status, answer, _, seconds = signed_in
    assert status == 413 and seconds < ANSWER_SECONDS  # not 400: the CSRF check never ran
    assert "ATRIUM_MAX_UPLOAD_MB" in answer
    assert lookups.calls == 0  # refused before the session was looked up
    assert data_files(atrium) == before


def test_m3_an_anonymous_chunked_body_is_stopped_after_the_anonymous_limit(
    atrium: Atrium,
) -> None:
    before = data_files(atrium)
    with serving(atrium) as base_url:
        status, answer, sent, seconds = raw_post(
            base_url, "/upload", MULTIPART, endless(), chunked=True
        )
    assert status == 413 and "Sign in first" in answer
    assert sent < 64 * MiB  # of 256 MiB offered: the rest was never asked for
    assert seconds < ANSWER_SECONDS
    assert data_files(atrium) == before


def test_m3_a_chunked_upload_over_the_limit_is_stopped_while_streaming(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data", max_upload_bytes=2 * MiB)
    name = add_user(atrium, "contributor", ("marketing",))
    with serving(atrium) as base_url:
        client = http_sign_in(base_url, name)
        fields = {"csrf_token": form_token(client, base_url), "department": "marketing"}
        body = iter([multipart_start("atrium-test", fields), *endless(pieces=128)])
        headers = {**MULTIPART, "Cookie": cookie_header(client)}
        status, answer, sent, _ = raw_post(base_url, "/upload", headers, body, chunked=True)
    assert status == 413 and "larger than the 2 MiB an upload may be" in answer
    assert sent < 48 * MiB  # of 128 MiB offered
    assert asset_count(atrium) == 0 and not any(atrium.media.iter_hashes())
    atrium.close()


def test_m3_a_file_over_the_limit_in_a_body_that_fits_is_refused(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data", max_upload_bytes=4096)
    name = add_user(atrium, "contributor", ("marketing",))
    big = png_bytes("teal", (64, 48)) + os.urandom(8192)  # a PNG with trailing bytes
    with serving(atrium) as base_url:
        client = http_sign_in(base_url, name)
        response = client.post(
            f"{base_url}/upload",
            data={"csrf_token": form_token(client, base_url), "department": "marketing"},
            files={"file": ("big.png", big, "image/png")},
            allow_redirects=False,
        )
    assert response.status_code == 413 and "ATRIUM_MAX_UPLOAD_MB" in response.text
    assert asset_count(atrium) == 0 and not any((atrium.config.data_dir / "work").iterdir())
    atrium.close()


def test_m3_api_and_sparql_bodies_have_their_own_limits(atrium: Atrium, api_token) -> None:
    token = api_token(atrium, "contributor", ("marketing",))
    lookups = LookupCounter(atrium)
    with serving(atrium) as base_url:
        sparql = raw_post(
            base_url, "/sparql",
            {"Content-Type": "application/sparql-query", "Content-Length": str(10 * MiB)},
            iter([b"SELECT * WHERE { ?s ?p ?o }"]), chunked=False,
        )  # fmt: skip
        results = raw_post(
            base_url, "/api/results",
            {"Content-Type": "text/csv", "Content-Length": str(33 * MiB),
             "Authorization": f"Bearer {token}"},
            iter([b"asset,segment\r\n"]), chunked=False,
        )  # fmt: skip
        chunked_sparql = raw_post(
            base_url, "/sparql", {"Content-Type": "application/sparql-query"},
            endless(b"#" * MiB, 64), chunked=True,
        )  # fmt: skip
        small = requests.post(
            f"{base_url}/sparql", data={"query": "ASK {}"}, headers={"Accept": "application/json"}
        )
    assert sparql[0] == 413 and "/sparql accepts 1 MiB at most" in sparql[1]
    assert results[0] == 413 and "/api/results accepts 32 MiB at most" in results[1]
    assert '"status": 413' in results[1] or '"status":413' in results[1]  # JSON for the API
    assert lookups.calls == 0  # the token was never looked up
    assert chunked_sparql[0] == 413 and chunked_sparql[2] < 32 * MiB
    assert small.status_code == 200 and small.json()["boolean"] is True


def test_m3_atrium_serve_has_waitress_refuse_what_no_view_accepts(atrium: Atrium) -> None:
    from waitress.server import create_server

    app = create_app(atrium)
    options = waitress_options(app, atrium.config)
    largest = atrium.config.max_upload_bytes + MULTIPART_ENVELOPE_BYTES
    assert options["max_request_body_size"] == largest + 1  # waitress refuses >= its limit
    server = create_server(app, host="127.0.0.1", port=0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.effective_port}"
    try:
        status, _, _, seconds = raw_post(
            base_url, "/upload", {**MULTIPART, "Content-Length": str(1024 * MiB)},
            iter([b"x" * 1024]), chunked=False,
        )  # fmt: skip
        within = raw_post(
            base_url, "/sparql", {"Content-Type": "application/sparql-query",
                                  "Content-Length": str(2 * MiB)},
            iter([b" " * (2 * MiB)]), chunked=False,
        )  # fmt: skip
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
    assert status == 413 and seconds < ANSWER_SECONDS
    assert within[0] == 413 and "/sparql accepts 1 MiB at most" in within[1]  # the app's words


# M8 ---------------------------------------------------------------------------------------------


def age(path: Path, when: float = TWO_HOURS_AGO) -> None:
    """Make ``path`` (and everything below it) look untouched since ``when``."""
    for each in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(each, (when, when))


def killed(script: str, data_dir: Path, *args: str) -> None:
    """Run ``script`` in a real process on ``data_dir``; it must die of SIGKILL."""
    env = {**os.environ, "ATRIUM_DATA": str(data_dir), "ATRIUM_BASE_IRI": BASE_IRI}
    env.pop("ATRIUM_STORE", None)
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, env=env, timeout=120)
    assert done.returncode == -signal.SIGKILL, done


KILLED_INGEST = """
import os, signal, sys
from pathlib import Path
from app.config import Config
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
atrium = Atrium(Config.from_env())
atrium.assets.save_validated = lambda *_, **__: os.kill(os.getpid(), signal.SIGKILL)  # media done
ingester = Ingester(atrium)
ingester.run([Path(sys.argv[1])], ingester.resolve(IngestOptions("operations", "internal")))
"""

KILLED_MEDIA_WRITE = """
import os, signal, stat
from app.config import Config
from app.storage.media import MediaStore
real_fsync = os.fsync
def fsync(fd):
    if stat.S_ISREG(os.fstat(fd).st_mode):  # the .part file: written, not yet renamed
        os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)
os.fsync = fsync
MediaStore(Config.from_env().media_dir).put_bytes(b"half a file" * 1000)
"""

KILLED_UPLOAD = """
import os, signal
from app.config import Config
from app.domain.media.ingest import work_folders
with work_folders(Config.from_env()).folder("upload") as folder:
    (folder / "big.png").write_bytes(b"x" * 100_000)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def leftovers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A data folder with one kept asset, then what killed processes left, all two hours old."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ATRIUM_DATA", str(data_dir))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    atrium = make_atrium(data_dir)
    kept = tmp_path / "kept.png"
    kept.write_bytes(png_bytes("navy"))
    ingester = Ingester(atrium)
    ingester.run([kept], ingester.resolve(IngestOptions("operations", "internal")))
    kept_hashes = set(atrium.media.iter_hashes())
    atrium.close()
    orphan = tmp_path / "orphan.png"
    orphan.write_bytes(png_bytes("olive"))
    killed(KILLED_INGEST, data_dir, str(orphan))
    killed(KILLED_MEDIA_WRITE, data_dir)
    killed(KILLED_UPLOAD, data_dir)
    old_style = data_dir / "tmpk3j9x2ab"  # what the upload form left before the sweep
    old_style.mkdir()
    (old_style / "photo.png").write_bytes(b"x" * 50_000)
    age(data_dir / "media")
    age(data_dir / "work")
    age(old_style)
    return {"data_dir": data_dir, "kept": kept_hashes, "orphan": orphan.read_bytes()}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_m8_atrium_cleanup_removes_what_killed_processes_left(leftovers, capsys) -> None:
    data_dir = leftovers["data_dir"]
    media = data_dir / "media"
    stored_before = {p.name for p in media.rglob("*") if p.is_file()}
    orphan_hash = hashlib.sha256(leftovers["orphan"]).hexdigest()
    assert orphan_hash in stored_before  # the killed ingest stored the original...
    assert len(stored_before - leftovers["kept"]) == 4  # ...its 2 renditions, and one .part
    assert any((data_dir / "work").iterdir())

    status, listed = run_cli(capsys, "cleanup", "--dry-run")
    assert status == 0 and "would remove" in listed
    assert {p.name for p in media.rglob("*") if p.is_file()} == stored_before  # nothing went

    status, out = run_cli(capsys, "cleanup")
    assert status == 0
    assert out.count("removed unused media file") == 3 and orphan_hash in out
    assert out.count("removed temporary file") == 1
    assert out.count("removed work folder") == 2 and "tmpk3j9x2ab" in out
    assert "removed 2 work folders, 1 temporary file, 3 unused media files" in out
    remaining = {p.name for p in media.rglob("*") if p.is_file()}
    assert remaining == leftovers["kept"]  # the asset's own files stay
    assert not any((data_dir / "work").iterdir()) and not (data_dir / "tmpk3j9x2ab").exists()

    status, out = run_cli(capsys, "ingest", "--quiet", "--department", "operations",
                          str(data_dir.parent / "kept.png"))  # fmt: skip
    assert "1 duplicates skipped" in out  # the kept asset is whole
    assert run_cli(capsys, "cleanup")[1].strip() == "nothing to sweep"


def test_m8_work_in_progress_is_never_swept(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    sweeper = Sweeper(atrium, grace_seconds=3600)
    media = atrium.media
    with work_folders(atrium.config).folder("upload") as folder:
        (folder / "arriving.png").write_bytes(b"x" * 1000)
        age(folder)  # old, but held by this upload
        media.incoming.mkdir(parents=True, exist_ok=True)
        writing = media.incoming / "tmpwriting.part"
        with open(writing, "wb") as part:
            fcntl.flock(part, fcntl.LOCK_EX)  # as a media write holds its .part file
            age(writing)
            fresh_orphan = media.put_bytes(b"stored a moment ago, its record not yet")
            reused = media.put_bytes(b"an old file put again")
            age(media.path(reused.sha256))
            media.put_bytes(b"an old file put again")  # a writer stores these bytes once more
            report = sweeper.sweep()
        assert folder.is_dir() and writing.exists()
        assert media.exists(fresh_orphan.sha256) and media.exists(reused.sha256)
        assert report.removed == []
    assert not folder.exists()  # the upload ended: its folder went with it
    writing.unlink()
    atrium.close()


def test_m8_a_media_file_being_put_is_not_removed_as_unused(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    media = atrium.media
    stored = media.put_bytes(b"bytes a writer is putting right now")
    age(media.path(stored.sha256))
    with open(media.path(stored.sha256), "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)  # a writer inside put(), about to refresh its time
        assert media.remove_unused(stored.sha256, time.time()) is None
    assert media.exists(stored.sha256)
    assert media.remove_unused(stored.sha256, time.time()) == stored.size
    assert not media.exists(stored.sha256)
    assert media.put_bytes(b"bytes a writer is putting right now").created  # stored anew
    atrium.close()


def test_m8_atrium_serve_sweeps_at_start_and_then_periodically(leftovers) -> None:
    data_dir = leftovers["data_dir"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ATRIUM_SWEEP_MINUTES": "0.02", "PYTHONUNBUFFERED": "1"}
    log = data_dir.parent / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        media = data_dir / "media"
        assert wait_for(lambda: {p.name for p in media.rglob("*") if p.is_file()}
                        == leftovers["kept"])  # fmt: skip
        assert not any((data_dir / "work").iterdir()) and not (data_dir / "tmpk3j9x2ab").exists()
        later = media / "ab" / "cd"
        later.mkdir(parents=True, exist_ok=True)
        stray = later / ("abcd" + "0" * 60)  # an unused media file appearing while serving
        stray.write_bytes(b"unused")
        age(stray)
        assert wait_for(lambda: not stray.exists())  # the next periodic sweep took it
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "removed unused media file" in text and "swept what killed uploads left" in text


def wait_for(condition: Callable[[], bool], seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_m8_a_failing_sweep_is_logged_and_tried_again(atrium: Atrium, caplog) -> None:
    attempts = []

    class Failing(Sweeper):
        def sweep(self, **_: object):  # noqa: ANN202
            attempts.append(time.monotonic())
            raise OSError("disk unplugged")

    periodic = PeriodicSweep(Failing(atrium), interval_seconds=0.05)
    with periodic:
        assert wait_for(lambda: len(attempts) >= 3, 30)
    assert "the sweep of leftovers failed" in caplog.text and "disk unplugged" in caplog.text


# L8 ---------------------------------------------------------------------------------------------


def upload(base_url: str, client: requests.Session, data: bytes, department: str, **form: str):
    """Post an upload as the form does; the answer, not followed."""
    return client.post(
        f"{base_url}/upload",
        data={"csrf_token": form_token(client, base_url), "department": department, **form},
        files={"file": ("photo.png", data, "image/png")},
        allow_redirects=False,
    )


def test_l8_bytes_of_another_departments_restricted_asset_cannot_be_stored(
    atrium: Atrium, tmp_path: Path
) -> None:
    data = png_bytes("maroon")
    photo = tmp_path / "staff.png"
    photo.write_bytes(data)
    ingester = Ingester(atrium)
    settings = ["consentGiven=true", "consentExpires=2030-01-01", "title=Staff photo"]
    options = ingester.resolve(IngestOptions("hr", "restricted", settings=settings))
    assert ingester.run([photo], options).outcomes[0].status == "ingested"
    asset_id = hashlib.sha256(data).hexdigest()[:16]
    marketing = add_user(atrium, "contributor", ("marketing",))
    hr = add_user(atrium, "contributor", ("hr",))
    with serving(atrium) as base_url:
        hidden = upload(base_url, http_sign_in(base_url, marketing), data, "marketing",
                        title="My launch photo")  # fmt: skip
        seen = upload(base_url, http_sign_in(base_url, hr), data, "hr", **{
            "title": "Again", "consentGiven": "true", "consentExpires": "2030-01-01"})  # fmt: skip
    assert hidden.status_code == 409
    assert "already stored as an asset you cannot see; it cannot be stored again" in hidden.text
    assert asset_id not in hidden.text and "Location" not in hidden.headers
    assert "/assets/" not in hidden.text and "departments/hr" not in hidden.text
    assert "Staff photo" not in hidden.text
    assert 'value="My launch photo"' in hidden.text  # what was typed stays in the form
    assert atrium.assets.access_of(asset_id) == ("restricted", "hr")  # untouched
    assert asset_count(atrium) == 1
    assert seen.status_code == 302 and "duplicate=1" in seen.headers["Location"]  # may see it
