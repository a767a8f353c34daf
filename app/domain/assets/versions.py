"""Versions of an asset's file: a new file for the same asset, its history, and revert.

A new version keeps the asset's IRI, department, access level and everything people wrote
about it. What the file itself says follows the new file: the file's own record
(``<asset>/file``: name, type, size, hash), the renditions, made again by the ingest path
(:func:`app.domain.media.prepare.prepare`), and the fields the shapes mark ``dam:fromFile`` (format,
type, pixel size, camera…; shapes/core.ttl).

Every file the asset has had is a version in its record (PROV-O, DCTERMS, schema.org; the
ontology, ontologies/atrium.ttl, shows the triples), so the versions are read, moved and
deleted with the record, under the same access, and the media cleanup keeps their files (it
keeps every ``dam:sha256`` the graph names). An asset that was never given a new file has one
version, its file as ingested; the first new file writes both. A revert makes an earlier file
current again as a new version (``dam:revertsTo``), so nothing is lost. Both are audited.

One hash, one asset (:meth:`~app.domain.assets.repository.AssetRepository.holder_of`): a new version
whose bytes are another asset's file is refused, and bytes equal to the current file change nothing.
The write holds the asset's lock and the new bytes' hash lock (the ingest's, so an upload of the
same bytes as a new asset takes turns with it), and checks the record's version as an edit does:
a stale one raises :class:`~app.domain.assets.records.AssetConflict` and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.records import AssetDraft
from app.domain.media.ingest import Ingester, work_folders
from app.domain.media.prepare import PreparedFile, prepare
from app.domain.media.record import Describer
from app.domain.people.audit import Actor
from app.messages import M_
from app.namespaces import DAM, DCAT, DCT, PROV, RDF, SCHEMA, XSD, sparql_prefixes
from app.storage.graphstore import Scope

# The predicates of the fields whose values the file gives (dam:fromFile), in any shapes graph.
_FROM_FILE = (
    sparql_prefixes()
    + "SELECT DISTINCT ?path WHERE { GRAPH ?g { ?shape dam:fromFile true ; sh:path ?path } }"
)
_LINKS_TO_FILES = (DAM.hasFile, DAM.hasRendition)  # what a new file replaces whole
_FILE_NAME_BYTES = 200  # of an earlier file's name, as a revert writes it to a work folder


class VersionRefused(ValueError):
    """The new version was not stored; the message says why, in words for the uploader."""


class NothingChanged(VersionRefused):
    """The bytes are the asset's current file already."""


class UnusableFile(VersionRefused):
    """The file cannot be read or decoded (empty, truncated, corrupt, too many pixels…)."""


class StoredElsewhere(VersionRefused):
    """The bytes are another asset's file, now or in an earlier version: ``holder``. Whether
    the uploader may learn which is for the caller to decide: the message does not say."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(
            "this file is already stored as another asset; a version of this asset cannot "
            "be another asset's file"
        )


@dataclass(frozen=True)
class FileVersion:
    """One file an asset has had."""

    number: int
    sha256: str
    name: str
    mime: str
    size: int
    uploaded: str  # when, ISO 8601 ("" when unknown)
    uploader: str | None  # a user name (atrium-cli: the command line); None when unknown
    restores: int | None = None  # a revert: the number of the version it made current again
    current: bool = False


class FileVersions:
    """Uploads, lists and reverts the files of assets; ``agent``: the user (None: the CLI)."""

    def __init__(self, atrium, agent: Actor | str | None = None) -> None:  # noqa: ANN001 - app.service.Atrium
        self.atrium = atrium
        self.agent = agent
        self.actor = Actor.of(agent)
        self.iris = atrium.iris

    def history(self, asset_id: str, scope: Scope) -> list[FileVersion] | None:
        """The asset's versions, newest (the current one) first; None when ``scope`` does not
        see the asset."""
        triples = self.atrium.assets.record(asset_id, scope)
        return self.versions_in(asset_id, triples) if triples else None

    def versions_in(self, asset_id: str, triples: list[Triple]) -> list[FileVersion]:
        """The versions an asset's record describes (one, its file, if it was never versioned)."""
        iri = self.iris.asset(asset_id)
        nodes = {t.object for t in triples if t.subject == iri and t.predicate == DCT.hasVersion}
        facts: dict[NamedNode, dict[NamedNode, str]] = defaultdict(dict)
        for t in triples:
            if t.subject in nodes:
                facts[t.subject][t.predicate] = t.object.value
        if not facts:
            return [self._first(asset_id, triples)]
        numbers = {node.value: int(f.get(SCHEMA.version, 0)) for node, f in facts.items()}
        versions = [_version(f, numbers) for f in facts.values()]
        versions.sort(key=lambda version: version.number, reverse=True)
        return [_as_current(versions[0]), *versions[1:]]

    def count_in(self, asset_id: str, triples: list[Triple]) -> int:
        """How many versions an asset's record describes, without reading anything else."""
        iri = self.iris.asset(asset_id)
        listed = sum(1 for t in triples if t.subject == iri and t.predicate == DCT.hasVersion)
        return listed or 1

    def upload(
        self, asset_id: str, path: Path, *, expected_version: str | None = None
    ) -> FileVersion:
        """Make the file at ``path`` the asset's current file, as a new version.

        ``expected_version``: the record's version the uploader saw (its ETag). Raises
        :class:`VersionRefused` (why), :class:`~app.domain.assets.records.AssetConflict` (stale),
        :class:`~app.domain.assets.records.AssetRefused` (the shapes), KeyError (no such
        asset)."""
        prepared = prepare(path, self.atrium.config.max_image_pixels)
        if prepared.error:
            raise UnusableFile(f"{path.name}: {prepared.error}")
        return self._store(asset_id, prepared, expected_version, restores=None)

    def revert(
        self, asset_id: str, number: int, *, expected_version: str | None = None
    ) -> FileVersion:
        """Make version ``number``'s file current again, as a new version; raises as
        :meth:`upload` does, and KeyError for a version the asset never had."""
        versions = self.history(asset_id, Scope.everything())
        chosen = next((v for v in versions or [] if v.number == number), None)
        if chosen is None:
            raise KeyError(f"asset {asset_id} has no version {number}")
        if chosen.current:
            raise NothingChanged(
                M_("version %(number)s is the current file already", number=str(number))
            )
        with work_folders(self.atrium.config).folder("revert") as folder:
            # under its own name, which tells the decoder its type as the upload did
            path = folder / _safe_name(chosen.name)
            shutil.copyfile(self.atrium.media.path(chosen.sha256), path)
            prepared = prepare(path, self.atrium.config.max_image_pixels)
            if prepared.error:
                raise UnusableFile(f"version {number}: {prepared.error}")
            return self._store(asset_id, prepared, expected_version, restores=chosen)

    def _store(
        self,
        asset_id: str,
        prepared: PreparedFile,
        expected_version: str | None,
        restores: FileVersion | None,
    ) -> FileVersion:
        assets = self.atrium.assets
        ingester = Ingester(self.atrium, self.agent)
        with assets.editing(asset_id, prepared.sha256[:16]):
            draft = assets.stored_draft(asset_id)
            if draft is None:
                raise KeyError(asset_id)
            if expected_version is not None and expected_version != draft.version:
                raise assets.conflict(asset_id, draft.version)
            versions = self.versions_in(asset_id, draft.triples)
            if prepared.sha256 == versions[0].sha256:
                raise NothingChanged(M_("this file is the asset's current file already"))
            holder = assets.holder_of(prepared.sha256)
            if holder is not None and holder != asset_id:
                raise StoredElsewhere(holder)
            added = self._revise(draft, prepared, ingester, versions, restores)
            created = ingester.write_media(prepared)
            action = "reverted" if restores else "versioned"
            try:
                assets.save(draft, actor=self.actor, action=action)
            except BaseException:
                ingester.remove_media(created)
                raise
        return added

    def _revise(
        self,
        draft: AssetDraft,
        prepared: PreparedFile,
        ingester: Ingester,
        versions: list[FileVersion],
        restores: FileVersion | None,
    ) -> FileVersion:
        """Turn ``draft`` into the record with the new file: its file, renditions and the
        facts it gives replaced, the people's fields kept, the new version added."""
        iri, asset_id = draft.iri, draft.asset_id
        fresh = Describer(self.iris, asset_id, ingester.concepts).describe(prepared)
        replaced = self._from_file() | set(_LINKS_TO_FILES)
        old_nodes = _linked(draft.triples, iri)
        new_nodes = _linked(fresh, iri)
        draft.triples = [
            t
            for t in draft.triples
            if t.subject not in old_nodes and not (t.subject == iri and t.predicate in replaced)
        ]
        draft.triples += [
            t
            for t in fresh
            if t.subject in new_nodes or (t.subject == iri and t.predicate in replaced)
        ]
        if not any(t.predicate == DCT.hasVersion for t in draft.triples):
            draft.triples += self._version_triples(asset_id, versions[0], previous=None)
        added = FileVersion(
            number=versions[0].number + 1,
            sha256=prepared.sha256,
            name=prepared.path.name,
            mime=prepared.mime,
            size=prepared.size,
            uploaded=_now(),
            uploader=self.actor.name,
            restores=restores.number if restores else None,
            current=True,
        )
        draft.triples += self._version_triples(asset_id, added, previous=versions[0])
        linked = [t.object for t in draft.triples if isinstance(t.object, NamedNode)]
        draft.context = ingester.concepts.context_triples(linked)
        return added

    def _version_triples(
        self, asset_id: str, version: FileVersion, previous: FileVersion | None
    ) -> list[Triple]:
        iri, node = self.iris.asset(asset_id), self.iris.asset_version(asset_id, version.number)
        triples = [
            Triple(iri, DCT.hasVersion, node),
            Triple(node, RDF.type, DAM.FileVersion),
            Triple(node, DCT.isVersionOf, iri),
            Triple(node, SCHEMA.version, _integer(version.number)),
            Triple(node, SCHEMA.name, Literal(version.name)),
            Triple(node, SCHEMA.encodingFormat, Literal(version.mime)),
            Triple(node, DCAT.byteSize, _integer(version.size)),
            Triple(node, DAM.sha256, Literal(version.sha256)),
        ]
        if version.uploaded:
            moment = Literal(version.uploaded, datatype=XSD.dateTime)
            triples.append(Triple(node, PROV.generatedAtTime, moment))
        if version.uploader:
            triples.append(Triple(node, PROV.wasAttributedTo, self.iris.user(version.uploader)))
        if previous is not None:
            earlier = self.iris.asset_version(asset_id, previous.number)
            triples.append(Triple(node, PROV.wasRevisionOf, earlier))
        if version.restores is not None:
            restored = self.iris.asset_version(asset_id, version.restores)
            triples.append(Triple(node, DAM.revertsTo, restored))
        return triples

    def _first(self, asset_id: str, triples: list[Triple]) -> FileVersion:
        """The only version of an asset never given a new file: its file, as ingested."""
        iri, file = self.iris.asset(asset_id), self.iris.asset_file(asset_id)
        facts = {t.predicate: t.object.value for t in triples if t.subject == file}
        own = {t.predicate: t.object.value for t in triples if t.subject == iri}
        created = [e for e in self.atrium.audit.history(iri) if e.action == "created"]
        return FileVersion(
            number=1,
            sha256=facts.get(DAM.sha256, ""),
            name=facts.get(SCHEMA.name, ""),
            mime=facts.get(SCHEMA.encodingFormat, ""),
            size=int(facts.get(DCAT.byteSize, 0) or 0),
            uploaded=own.get(DCT.dateSubmitted) or (created[-1].time if created else ""),
            uploader=created[-1].agent if created else None,
            current=True,
        )

    def _from_file(self) -> set[NamedNode]:
        rows = self.atrium.store.select(_FROM_FILE, scope=Scope.everything())
        return {row["path"] for row in rows if isinstance(row["path"], NamedNode)}


def _version(facts: dict[NamedNode, str], numbers: dict[str, int]) -> FileVersion:
    agent = facts.get(PROV.wasAttributedTo)
    restored = facts.get(DAM.revertsTo)
    return FileVersion(
        number=int(facts.get(SCHEMA.version, 0)),
        sha256=facts.get(DAM.sha256, ""),
        name=facts.get(SCHEMA.name, ""),
        mime=facts.get(SCHEMA.encodingFormat, ""),
        size=int(facts.get(DCAT.byteSize, 0) or 0),
        uploaded=facts.get(PROV.generatedAtTime, ""),
        uploader=agent.rsplit("/", 1)[-1] if agent else None,
        restores=numbers.get(restored) if restored else None,
    )


def _as_current(version: FileVersion) -> FileVersion:
    return replace(version, current=True)


def _linked(triples: list[Triple], iri: NamedNode) -> set[NamedNode]:
    """The file and rendition nodes the asset links to."""
    return {
        t.object
        for t in triples
        if t.subject == iri and t.predicate in _LINKS_TO_FILES and isinstance(t.object, NamedNode)
    }


def _safe_name(name: str) -> str:
    """An earlier file's recorded name as one path component of at most 200 bytes."""
    cleaned = name.replace("/", "_").replace("\0", "_").lstrip(".") or "file"
    stem, dot, suffix = cleaned.rpartition(".")
    ending = f".{suffix}" if dot and stem and len(suffix) <= 16 else ""
    room = _FILE_NAME_BYTES - len(ending.encode())
    kept = (stem if ending else cleaned).encode()[:room].decode("utf-8", "ignore")
    return (kept or "file") + ending


def _integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD.integer)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
