"""The web rendition of a video browsers cannot play: H.264 in MP4, at most 720p, AAC sound.

It is made in the background, never during ingest: :class:`WebRenditions` watches every
record written (it is one of the asset repository's watchers) and, once started (the server
starts it), two threads with queues look at each video asset written, and at start at every
video still waiting, and make what is needed (:func:`app.domain.media.video.transcode`).
:meth:`WebRenditions.make_pending` does the same work in the caller's thread
(``atrium renditions``).

Its state is kept in the asset's record, on the rendition ``<asset>/web``, with schema.org's
action vocabulary (https://schema.org/ActionStatusType): ``schema:actionStatus``
``PotentialActionStatus`` (queued), ``ActiveActionStatus`` (making), ``CompletedActionStatus``
(ready: with its ``dam:sha256``, size, pixel size and ``schema:encodingFormat`` video/mp4) or
``FailedActionStatus`` (failed, ``schema:error`` saying why). A video browsers play as it is
gets no such node. A state "making" found at start was left by a stopped server: made again.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import av
from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.records import AssetConflict, AssetRefused
from app.domain.media.images import BadFile
from app.domain.media.ingest import work_folders
from app.domain.media.video import Stopped, probe_needs_web_rendition, transcode
from app.namespaces import DAM, DCAT, EXIF, PROV, RDF, SCHEMA, XSD, sparql_prefixes
from app.storage.graphstore import Scope

log = logging.getLogger("atrium")

KIND = "web"  # the rendition's IRI is <asset>/web
MIME = "video/mp4"
STATES = {
    "queued": SCHEMA.PotentialActionStatus,
    "making": SCHEMA.ActiveActionStatus,
    "ready": SCHEMA.CompletedActionStatus,
    "failed": SCHEMA.FailedActionStatus,
}
_NAMES = {status.value: name for name, status in STATES.items()}
_STOP, _SCAN = object(), object()

# Video assets with no web rendition yet, or one still queued or being made.
_PENDING = (
    sparql_prefixes()
    + """SELECT DISTINCT ?asset WHERE {
  ?asset a dam:Asset ; dam:hasFile ?file .
  ?file schema:encodingFormat ?mime . FILTER(STRSTARTS(?mime, "video/"))
  OPTIONAL { ?asset dam:hasRendition ?web . ?web schema:actionStatus ?status }
  FILTER(!BOUND(?status) || ?status IN (schema:PotentialActionStatus, schema:ActiveActionStatus))
}"""
)


@dataclass(frozen=True)
class WebRenditionState:
    """What the record says of an asset's web rendition."""

    state: str  # queued | making | ready | failed
    reason: str | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready" and bool(self.sha256)


def state_of(triples: list[Triple], node: NamedNode) -> WebRenditionState | None:
    """The web rendition's state in a record (None: there is none)."""
    values = {t.predicate: t.object for t in triples if t.subject == node}
    status = values.get(SCHEMA.actionStatus)
    if status is None or status.value not in _NAMES:
        return None

    def text(predicate: NamedNode) -> str | None:
        return values[predicate].value if predicate in values else None

    def number(predicate: NamedNode) -> int | None:
        found = text(predicate)
        return int(found) if found and found.isdigit() else None

    return WebRenditionState(
        _NAMES[status.value],
        text(SCHEMA.error),
        text(DAM.sha256),
        number(EXIF.imageWidth),
        number(EXIF.imageLength),
    )


# --- the runner -------------------------------------------------------------------------------


class WebRenditions:
    """Makes the web renditions of the assets of one Atrium (``app.service.Atrium``).

    Two threads: one takes a quick look at each asset written (a video browsers cannot play
    with no web rendition yet is recorded as queued at once), the other makes the renditions,
    one video at a time, so that a video waiting behind another shows as queued meanwhile.
    """

    def __init__(self, atrium) -> None:  # noqa: ANN001 - app.service.Atrium
        self.atrium = atrium
        self._looks: queue.Queue[object] = queue.Queue()
        self._makes: queue.Queue[object] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._plays_as_is: set[str] = set()  # hashes of originals found playable
        self._lock = threading.Lock()

    # RecordWatcher: the asset repository calls this around every write of a record
    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        yield
        if self._threads and threading.current_thread() not in self._threads:
            self._looks.put(asset_id)

    def start(self) -> None:
        """Start the threads (once): they look at every waiting video first."""
        with self._lock:
            if self._threads:
                return
            self._stopping.clear()
            self._threads = [
                threading.Thread(target=work, name=f"web-renditions-{name}", daemon=True)
                for name, work in (("look", self._look_loop), ("make", self._make_loop))
            ]
            self._looks.put(_SCAN)
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads, abandoning a rendition being made (made again at next start)."""
        with self._lock:
            threads, self._threads = self._threads, []
        if threads:
            self._stopping.set()
            self._looks.put(_STOP)
            self._makes.put(_STOP)
            for thread in threads:
                thread.join(timeout)

    def wait_until_idle(self, timeout: float) -> bool:
        """Whether everything written before was looked at, and made, within ``timeout``
        seconds (for tests)."""
        done = threading.Event()
        self._looks.put(done)  # the look thread hands it on to the make thread, in turn
        return done.wait(timeout)

    def _look_loop(self) -> None:
        while (item := self._looks.get()) is not _STOP:
            try:
                if isinstance(item, threading.Event):
                    self._makes.put(item)
                elif item is _SCAN:
                    for asset_id in self.pending():
                        self._looks.put(asset_id)
                elif self.look(str(item)):
                    self._makes.put(item)
            except Exception:  # the runner must outlive any one video
                log.exception("web rendition: looking at %s failed", item)

    def _make_loop(self) -> None:
        while (item := self._makes.get()) is not _STOP:
            try:
                if isinstance(item, threading.Event):
                    item.set()
                else:
                    self.make(str(item))
            except Stopped:
                return
            except Exception:  # the runner must outlive any one video
                log.exception("web rendition: making %s failed", item)

    def pending(self) -> list[str]:
        """The video assets that may need a web rendition made."""
        rows = self.atrium.store.select(_PENDING, scope=Scope.everything())
        found = (self.atrium.iris.asset_id(row["asset"].value) for row in rows)
        return [asset_id for asset_id in found if asset_id]

    def make_pending(self) -> dict[str, WebRenditionState]:
        """Make every web rendition still to be made, here and now; the state of each."""
        waiting = [asset_id for asset_id in self.pending() if self.look(asset_id)]
        made = {asset_id: self.make(asset_id) for asset_id in waiting}
        return {asset_id: state for asset_id, state in made.items() if state is not None}

    def look(self, asset_id: str) -> bool:
        """Whether the asset's web rendition is to be made: a video browsers cannot play with
        none yet (then recorded as queued), or one queued or left half made."""
        found = self._original(asset_id)
        if found is None:
            return False
        sha256, mime, state = found
        if state is not None:
            return state.state in ("queued", "making")
        if sha256 in self._plays_as_is or not self._needs_one(sha256, mime):
            self._plays_as_is.add(sha256)
            return False
        return self._record(asset_id, "queued") is not None

    def make(self, asset_id: str) -> WebRenditionState | None:
        """Make the web rendition :meth:`look` found waiting; its state after (None: the asset
        went meanwhile). Raises :class:`Stopped` when :meth:`stop` is called meanwhile."""
        found = self._original(asset_id)
        if found is None or found[2] is None or found[2].state not in ("queued", "making"):
            return found[2] if found else None
        sha256 = found[0]
        self._record(asset_id, "making")
        with work_folders(self.atrium.config).folder("web-rendition") as folder:
            target = folder / "web.mp4"
            try:
                original = self.atrium.media.path(sha256)
                width, height = transcode(original, target, self._stopping.is_set)
            except BadFile as bad:
                return self._record(asset_id, "failed", reason=bad.reason)
            except (av.FFmpegError, OSError) as error:
                return self._record(asset_id, "failed", reason=f"cannot be made: {error}")
            stored = self.atrium.media.put_file(target)
            size = target.stat().st_size
        return self._record(asset_id, "ready", made=(stored.sha256, size, width, height))

    def _original(self, asset_id: str) -> tuple[str, str, WebRenditionState | None] | None:
        """The hash and type of a video asset's stored file and its web rendition's state;
        None for any other asset, or one whose file is not stored."""
        iris, media = self.atrium.iris, self.atrium.media
        triples = self.atrium.assets.record(asset_id, Scope.everything())
        file_node = iris.asset_file(asset_id)
        file = {t.predicate: t.object.value for t in triples if t.subject == file_node}
        mime, sha256 = file.get(SCHEMA.encodingFormat, ""), file.get(DAM.sha256, "")
        if not mime.startswith("video/") or len(sha256) != 64 or not media.exists(sha256):
            return None
        return sha256, mime, state_of(triples, iris.rendition(asset_id, KIND))

    def _needs_one(self, sha256: str, mime: str) -> bool:
        try:
            return probe_needs_web_rendition(self.atrium.media.path(sha256), mime)
        except BadFile:
            return True  # then the making says why it cannot be done

    def _record(
        self,
        asset_id: str,
        state: str,
        *,
        reason: str | None = None,
        made: tuple[str, int, int, int] | None = None,
    ) -> WebRenditionState | None:
        """Write the rendition's state into the record (the rest of it as it is now)."""
        assets, iris = self.atrium.assets, self.atrium.iris
        node, asset = iris.rendition(asset_id, KIND), iris.asset(asset_id)
        for _ in range(3):  # a person's edit in between: read it again and retry
            with assets.editing(asset_id):
                draft = assets.stored_draft(asset_id)
                if draft is None:
                    return None  # deleted meanwhile
                kept = [t for t in draft.triples if t.subject != node and t.object != node]
                draft.triples = kept + rendition_triples(asset, node, state, reason, made)
                try:
                    assets.save(draft)
                except AssetConflict:
                    continue
                except AssetRefused as refusal:
                    log.warning("web rendition of %s not recorded: %s", asset_id, refusal)
                    return None
            return state_of(draft.triples, node)
        return None


def rendition_triples(
    asset: NamedNode,
    node: NamedNode,
    state: str,
    reason: str | None = None,
    made: tuple[str, int, int, int] | None = None,
) -> list[Triple]:
    """The web rendition's triples in its asset's record, in ``state``."""
    triples = [
        Triple(asset, DAM.hasRendition, node),
        Triple(node, RDF.type, DAM.Rendition),
        Triple(node, DAM.renditionOf, asset),
        Triple(node, SCHEMA.actionStatus, STATES[state]),
    ]
    if reason:
        triples.append(Triple(node, SCHEMA.error, Literal(reason)))
    if made is not None:
        sha256, size, width, height = made
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        triples += [
            Triple(node, SCHEMA.encodingFormat, Literal(MIME)),
            Triple(node, DAM.sha256, Literal(sha256)),
            Triple(node, DCAT.byteSize, _integer(size)),
            Triple(node, EXIF.imageWidth, _integer(width)),
            Triple(node, EXIF.imageLength, _integer(height)),
            Triple(node, PROV.generatedAtTime, Literal(now, datatype=XSD.dateTime)),
        ]
    return triples


def _integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD.integer)
