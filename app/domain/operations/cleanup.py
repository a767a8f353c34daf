"""Sweeping what killed uploads and ingests leave in the data folder.

What a killed process can leave behind, and where:

- an upload's work folder, ``ATRIUM_DATA/work/upload-…/``, holding the received file (up to
  ``ATRIUM_MAX_UPLOAD_MB``); versions before the sweep left ``ATRIUM_DATA/tmpXXXXXXXX/``;
- a media write's temporary file, ``media/.incoming/….part`` (older versions wrote
  ``.….part`` beside its target);
- media files no asset record references: an ingest killed between storing an asset's files and
  its record, and the files of deleted assets.

Work in progress is never touched: work folders and ``.part`` files are locked by the process
writing them (the lock goes when it dies), and a leftover must also be older than the grace
period; a media file's age counts from the last time someone stored those bytes, so bytes being
ingested right now are never "unused", and no media file is "unused" while an ``atrium import``
is unfinished (the graph is not whole yet). ``atrium serve`` sweeps everything at start and every
``ATRIUM_SWEEP_MINUTES``; every other command, when it opens the data folder, sweeps the quick
part (work folders and ``.incoming``); ``atrium cleanup`` sweeps on demand.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal

from app.domain.assets.downloads import human_size
from app.domain.media.ingest import work_folders
from app.domain.operations.backup import ImportJournal
from app.domain.operations.periodic import Periodic
from app.namespaces import sparql_prefixes
from app.storage.graphstore import Scope
from app.storage.work_folders import newest_change, remove_tree_if_idle, tree_size

log = logging.getLogger("atrium.cleanup")

# tempfile.mkdtemp's names, as the upload form made them directly in the data folder
_OLD_UPLOAD_FOLDER = re.compile(r"tmp[a-z0-9_]{8}")
_REFERENCE_BATCH = 500  # hashes asked about in one query


@dataclass(frozen=True)
class Removed:
    what: str  # "work folder", "temporary file" or "unused media file"
    path: Path
    size: int


@dataclass
class SweepReport:
    removed: list[Removed] = field(default_factory=list)
    dry_run: bool = False

    @property
    def freed_bytes(self) -> int:
        return sum(item.size for item in self.removed)

    def summary(self) -> str:
        if not self.removed:
            return "nothing to sweep"
        counts = Counter(item.what for item in self.removed)
        kinds = ", ".join(f"{n} {what}{'s' if n > 1 else ''}" for what, n in counts.items())
        verb = "would remove" if self.dry_run else "removed"
        return f"{verb} {kinds} ({human_size(self.freed_bytes)})"


_REFERENCED = (
    sparql_prefixes() + "SELECT DISTINCT ?hash { VALUES ?hash { {values} } ?file dam:sha256 ?hash }"
)


class Sweeper:
    """Removes the leftovers of killed work from one Atrium's data folder."""

    def __init__(
        self,
        atrium,  # noqa: ANN001 - app.service.Atrium
        grace_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.atrium = atrium
        self.grace_seconds = (
            atrium.config.sweep_grace_seconds if grace_seconds is None else grace_seconds
        )
        self.clock = clock

    def sweep(self, *, walk_media: bool = True, dry_run: bool = False) -> SweepReport:
        """Remove what is abandoned and older than the grace period. ``walk_media=False``: only
        the quick part (work folders, ``media/.incoming``); the whole media store otherwise,
        for old-style ``.part`` files and unused media files."""
        before = self.clock() - self.grace_seconds
        report = SweepReport(dry_run=dry_run)
        self._sweep_work_folders(before, report)
        self._sweep_partials(before, walk_media, report)
        if walk_media and ImportJournal(self.atrium.config.data_dir).unfinished() is None:
            self._sweep_unused_media(before, report)  # not while an import fills the graph
        return report

    def _sweep_work_folders(self, before: float, report: SweepReport) -> None:
        folders = work_folders(self.atrium.config)
        for leftover in folders.abandoned(before):
            if report.dry_run or folders.remove(leftover, before):
                self._removed(report, "work folder", leftover.path, leftover.size)
        for path in self._old_upload_folders(before):
            size = tree_size(path)
            if report.dry_run or remove_tree_if_idle(path, before):
                self._removed(report, "work folder", path, size)

    def _old_upload_folders(self, before: float) -> Iterator[Path]:
        data_dir = self.atrium.config.data_dir
        if not data_dir.is_dir():
            return
        for path in sorted(data_dir.iterdir()):
            if not _OLD_UPLOAD_FOLDER.fullmatch(path.name) or path.is_symlink():
                continue
            if path.is_dir() and newest_change(path) < before:
                yield path

    def _sweep_partials(self, before: float, everywhere: bool, report: SweepReport) -> None:
        media = self.atrium.media
        for path in media.abandoned_partials(before, everywhere=everywhere):
            size = path.stat().st_size if report.dry_run else media.remove_partial(path, before)
            if size is not None:
                self._removed(report, "temporary file", path, size)

    def _sweep_unused_media(self, before: float, report: SweepReport) -> None:
        media = self.atrium.media
        for batch in _batches(media.unused_since(before), _REFERENCE_BATCH):
            used = self._referenced(batch)
            for sha256 in batch:
                if sha256 in used:
                    continue
                path = media.path(sha256)
                size = (
                    path.stat().st_size if report.dry_run else media.remove_unused(sha256, before)
                )
                if size is not None:
                    self._removed(report, "unused media file", path, size)

    def _referenced(self, hashes: list[str]) -> set[str]:
        """Which of ``hashes`` some record in the graph (any graph) names as a file's."""
        terms = [Literal(sha256) for sha256 in hashes]
        rows = self.atrium.store.select_values(_REFERENCED, terms, scope=Scope.everything())
        return {row["hash"].value for row in rows}

    def _removed(self, report: SweepReport, what: str, path: Path, size: int) -> None:
        report.removed.append(Removed(what, path, size))
        data_dir = self.atrium.config.data_dir
        shown = path.relative_to(data_dir) if path.is_relative_to(data_dir) else path
        verb = "would remove" if report.dry_run else "removed"
        log.info("%s %s %s (%s bytes)", verb, what, shown, f"{size:,}")


def sweep_quickly(atrium) -> str:  # noqa: ANN001 - app.service.Atrium
    """The quick part of the sweep, as a command opening the data folder runs it: what it
    removed in words ("" for nothing). A failure is logged, never raised: it must not stop
    the command."""
    try:
        report = Sweeper(atrium).sweep(walk_media=False)
    except OSError as error:
        log.warning("could not sweep the leftovers of killed uploads: %s", error)
        return ""
    return report.summary() if report.removed else ""


class PeriodicSweep(Periodic):
    """Sweeps at once and then every ``interval_seconds`` (0: only once) in a background
    thread, until stopped; a failed sweep is logged and tried again next time."""

    def __init__(self, sweeper: Sweeper, interval_seconds: float) -> None:
        self.sweeper = sweeper
        super().__init__("sweep", self._sweep, interval_seconds, "the sweep of leftovers failed")

    def _sweep(self) -> str:
        report = self.sweeper.sweep()
        return report.summary() if report.removed else ""


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
