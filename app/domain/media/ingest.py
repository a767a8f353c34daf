"""Ingest: files and folders in, assets out.

The heavy, independent work of each file (hashing, decoding, renditions, embedded metadata)
runs in worker processes (:mod:`app.domain.media.prepare`); the main process checks for
duplicates, builds the record (:mod:`app.domain.media.record`), validates it, writes the media
and then the triples. A bad file is reported by name with a
one-line reason and never stops the run; a refused record leaves no media file behind.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pyoxigraph import NamedNode, Triple

from app.config import Config
from app.domain.assets.records import AssetDraft
from app.domain.assets.validation import Problem, ValidationReport
from app.domain.concepts import ConceptIndex
from app.domain.iris import Iris
from app.domain.media.prepare import PreparedFile, prepare_all
from app.domain.media.record import Describer
from app.domain.operations.health import INGESTED_FILES
from app.domain.people.access import ACCESS_LEVELS
from app.domain.people.audit import Actor
from app.domain.shapes.fields import Field
from app.messages import M_, Message
from app.namespaces import DAM, DCT
from app.storage.graphstore import Term
from app.storage.work_folders import WorkFolders

T = TypeVar("T")
MAX_PENDING_WRITES = 8  # checked records waiting for the writer thread (bounds memory)
VALIDATION_BATCH = 16  # files whose records one SHACL run checks together
WORK_FOLDER = "work"  # ATRIUM_DATA/work/: uploads being received and ingested


def work_folders(config: Config) -> WorkFolders:
    """Where uploads wait while they are ingested: ``ATRIUM_DATA/work/upload-…/``, one private
    folder each, removed when done; what a killed upload leaves is swept
    (:mod:`app.domain.operations.cleanup`)."""
    return WorkFolders(config.data_dir / WORK_FOLDER)


class IngestUsageError(ValueError):
    """The ingest was asked for something impossible (unknown department, bad --set …)."""


@dataclass
class IngestOptions:
    department: str
    access: str = "internal"
    subjects: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # "field=value", as given to --set


@dataclass
class Outcome:
    path: Path
    status: str  # ingested | duplicate | failed
    asset_id: str | None = None
    reason: str = ""
    notes: list[str | Message] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)  # what the profile still asks for

    def missing_fields(self, language: str = "en") -> list[str]:
        """The names of the fields the profile still asks for, in ``language``."""
        return sorted({problem.field_in(language) for problem in self.missing})


@dataclass
class Checked:
    """A record that passed validation, waiting to be written."""

    draft: AssetDraft
    report: ValidationReport
    notes: list[str | Message]


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def with_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.with_status("failed")


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Every regular file named or found below a named folder, hidden files left out."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise IngestUsageError(f"{path}: no such file or folder")
    return found


@dataclass
class Resolved:
    """Ingest options with every name turned into the concept or value it stands for."""

    department: NamedNode
    access: str
    subjects: list[NamedNode]
    values: list[tuple[Field, Term]]

    @property
    def department_name(self) -> str:
        """The department's short name: the last segment of its IRI (``…/departments/hr``)."""
        return self.department.value.rsplit("/", 1)[-1]


class Ingester:
    """Stores prepared files as assets; the concept index is loaded once per run."""

    def __init__(self, atrium, agent: Actor | str | None = None) -> None:  # noqa: ANN001 - app.service.Atrium
        self.atrium = atrium
        self.agent = agent
        self.actor = Actor.of(agent)  # whom the audit trail names (a user name; None: the CLI)
        self.iris: Iris = atrium.iris
        self.concepts: ConceptIndex = atrium.concepts()

    def resolve(self, options: IngestOptions) -> Resolved:
        """Check the options before any file is touched; IngestUsageError says what is wrong."""
        if options.access not in ACCESS_LEVELS:
            raise IngestUsageError(
                f"unknown access level {options.access!r}; use one of {', '.join(ACCESS_LEVELS)}"
            )
        try:
            department = self.concepts.resolve(options.department, "departments")
            notation = department.value.rsplit("/", 1)[-1]
            return Resolved(
                department,
                options.access,
                [self.concepts.resolve_subject(name) for name in options.subjects],
                [self._setting(text, notation) for text in options.settings],
            )
        except ValueError as error:  # UnknownConcept is a ValueError too
            raise IngestUsageError(str(error)) from None

    def _setting(self, text: str, department: str) -> tuple[Field, Term]:
        name, sep, value = text.partition("=")
        if not sep:
            raise IngestUsageError(f"--set {text!r}: write it as FIELD=VALUE")
        chosen = self.atrium.fields.field(name, department)
        return chosen, chosen.parse(value, self.concepts)

    def run(
        self,
        paths: list[Path],
        options: Resolved,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> IngestReport:
        """Ingest ``paths``: workers decode, this thread checks, a writer thread stores.

        The writer overlaps the media files' fsyncs and the store writes with the checking of
        the next file; outcomes still come out in the order of ``paths``.
        """
        return self.run_items(
            ((prepared, options) for prepared in self._prepared(paths)), on_outcome
        )

    def _prepared(self, paths: list[Path]) -> Iterator[PreparedFile]:
        config = self.atrium.config
        return prepare_all(paths, config.max_image_pixels, config.ingest_workers)

    def run_items(
        self,
        items: Iterable[tuple[PreparedFile, Resolved]],
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> IngestReport:
        report = IngestReport()
        claimed: set[str] = set()  # ids checked in this run, perhaps not yet written
        pending: deque[Future[Outcome]] = deque()

        def finish_oldest() -> None:
            outcome = pending.popleft().result()
            report.outcomes.append(outcome)
            INGESTED_FILES.add("ingest", outcome.status)
            if on_outcome:
                on_outcome(outcome)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
            for batch in _chunks(items, VALIDATION_BATCH):
                for prepared, checked in self.check_batch(batch, claimed):
                    if isinstance(checked, Outcome):
                        pending.append(_done(checked))
                    else:
                        pending.append(writer.submit(self.write, prepared, checked))
                    while pending and (pending[0].done() or len(pending) > MAX_PENDING_WRITES):
                        finish_oldest()
            while pending:
                finish_oldest()
        return report

    def store(self, prepared: PreparedFile, options: Resolved) -> Outcome:
        """Check and store one prepared file."""
        checked = self.check(prepared, options, set())
        return checked if isinstance(checked, Outcome) else self.write(prepared, checked)

    def check(
        self, prepared: PreparedFile, options: Resolved, claimed: set[str]
    ) -> Outcome | Checked:
        """Everything before writing: duplicates, the record, and its validation."""
        return self.check_batch([(prepared, options)], claimed)[0][1]

    def check_batch(
        self, batch: list[tuple[PreparedFile, Resolved]], claimed: set[str]
    ) -> list[tuple[PreparedFile, Outcome | Checked]]:
        """:meth:`check` for several files, validating each department's drafts in one run."""
        decided: dict[int, Outcome | Checked] = {}
        drafts: dict[str, list[tuple[int, AssetDraft]]] = defaultdict(list)
        for index, (prepared, options) in enumerate(batch):
            early = self._early_outcome(prepared, claimed)
            if early is not None:
                decided[index] = early
                continue
            draft = self.describe(prepared, prepared.sha256[:16], options)
            drafts[draft.department].append((index, draft))
        for entries in drafts.values():
            reports = self.atrium.assets.validate_many([draft for _, draft in entries])
            for index, draft in entries:
                decided[index] = self._decide(batch[index][0], draft, reports[draft.asset_id])
        return [(prepared, decided[index]) for index, (prepared, _) in enumerate(batch)]

    def _early_outcome(self, prepared: PreparedFile, claimed: set[str]) -> Outcome | None:
        """A failed or duplicate file's outcome; None (and the id claimed) for a new one."""
        if prepared.error:
            return Outcome(prepared.path, "failed", reason=prepared.error)
        asset_id = prepared.sha256[:16]
        if asset_id in claimed:
            return _duplicate(prepared, asset_id)
        duplicate = self.duplicate_of(prepared)
        if duplicate is None:
            claimed.add(asset_id)
        return duplicate

    def duplicate_of(self, prepared: PreparedFile) -> Outcome | None:
        """The "duplicate" outcome if an asset with these bytes is stored already, else None.

        An early answer that spares a known duplicate's checks; :meth:`write` asks again,
        holding the asset's lock, and that answer is the one that counts.
        """
        holder = self.atrium.assets.holder_of(prepared.sha256)  # its file now or earlier
        return _duplicate(prepared, holder) if holder is not None else None

    def _decide(
        self, prepared: PreparedFile, draft: AssetDraft, report: ValidationReport
    ) -> Outcome | Checked:
        notes: list[str | Message] = []
        asked = draft.access
        report = self.atrium.assets.settle_access(draft, report)
        if draft.access != asked:
            kept = M_(
                "kept %(access)s until its department's required fields are filled",
                access=Message(draft.access),
            )
            notes.append(kept)
        if not report.accepted:
            refusal = "; ".join(str(problem) for problem in report.refusals)
            return Outcome(prepared.path, "failed", draft.asset_id, f"refused: {refusal}")
        return Checked(draft, report, notes)

    def write(self, prepared: PreparedFile, checked: Checked) -> Outcome:
        """Store the media files, then the record; a failed record leaves no new media file.

        One hash, one asset: writers of the same bytes (parallel uploads, the ingest's writer
        thread) take turns on the asset's lock; the first creates the asset with its own
        department and access, the others find it stored and are told "duplicate".
        """
        draft = checked.draft
        with self.atrium.assets.creating(draft.asset_id):
            duplicate = self.duplicate_of(prepared)
            if duplicate is not None:
                return duplicate
            created = self.write_media(prepared)
            try:
                result = self.atrium.assets.save_validated(
                    draft, checked.report, actor=self.actor, action="created"
                )
            except BaseException:
                self.remove_media(created)
                raise
        missing = list(result.missing) if result.incomplete else []
        return Outcome(
            prepared.path, "ingested", draft.asset_id, notes=list(checked.notes), missing=missing
        )

    def write_media(self, prepared: PreparedFile) -> list[str]:
        """Store the file and its renditions; the hashes of those that were not stored yet
        (what :meth:`remove_media` takes away again when the record is refused)."""
        media = self.atrium.media
        stored = [media.put_file(prepared.path, hashed=(prepared.sha256, prepared.size))]
        stored += [media.put_bytes(r.data, r.sha256) for r in prepared.renditions.values()]
        return [s.sha256 for s in stored if s.created]

    def remove_media(self, hashes: list[str]) -> None:
        for sha256 in hashes:
            self.atrium.media.delete(sha256)

    def describe(self, prepared: PreparedFile, asset_id: str, options: Resolved) -> AssetDraft:
        """The asset's record from what the file says and what the options add."""
        iri = self.iris.asset(asset_id)
        triples = Describer(self.iris, asset_id, self.concepts).describe(prepared)
        triples.append(Triple(iri, DAM.department, options.department))
        triples += [Triple(iri, DCT.subject, s) for s in options.subjects]
        triples = _unique(_apply_settings(iri, triples, options.values))
        linked = [t.object for t in triples if isinstance(t.object, NamedNode)]
        return AssetDraft(
            asset_id,
            iri,
            options.department_name,
            options.access,
            triples,
            self.concepts.context_triples(linked),
        )


def _apply_settings(
    iri: NamedNode, triples: list[Triple], values: list[tuple[Field, Term]]
) -> list[Triple]:
    """--set values win over embedded ones: a single-valued field set by hand replaces them."""
    replaced = {f.path for f, _ in values if not f.repeatable}
    kept = [t for t in triples if not (t.subject == iri and t.predicate in replaced)]
    return kept + [Triple(iri, f.path, value) for f, value in values]


def _unique(triples: list[Triple]) -> list[Triple]:
    return list(dict.fromkeys(triples))


def _duplicate(prepared: PreparedFile, asset_id: str) -> Outcome:
    return Outcome(prepared.path, "duplicate", asset_id, "same bytes as asset " + asset_id)


def _done(outcome: Outcome) -> Future[Outcome]:
    future: Future[Outcome] = Future()
    future.set_result(outcome)
    return future


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
