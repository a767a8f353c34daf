"""A zip of many assets, written as a stream of bytes: never built in memory nor on disk.

:func:`stream_zip` yields the zip chunk by chunk while it is written (Python's ``zipfile``
writes to a stream it cannot seek, with a data descriptor after each entry), so a zip of a
thousand originals costs the memory of one chunk. It holds:

- ``metadata.csv`` first: one row per asset, its columns the fields of the shapes (every field
  of the core shape and of the department profiles, by name), plus the asset's id, IRI, file
  name in the zip, department and access level; concept values are their labels;
- the originals, under the names a single download gets (:func:`~app.domain.assets.downloads.
  download_name`), made unique within the zip.

Which assets go in is decided while the zip is written, with the reader's scope: an asset the
reader may not see is left out (and not named in the CSV). Each asset that goes in is audited
as "downloaded" by the reader.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Protocol

from pyoxigraph import NamedNode, Triple

from app.domain.assets.downloads import download_name, extension_for
from app.domain.people.access import ACCESS_NAMES
from app.domain.people.audit import Actor
from app.domain.search.concept_lookup import ConceptLookup
from app.messages import M_
from app.namespaces import DAM, DCT, SCHEMA
from app.storage.graphstore import Scope

if TYPE_CHECKING:
    from app.config import Config
    from app.domain.assets.repository import AssetRepository
    from app.domain.iris import Iris
    from app.domain.people.audit import AuditTrail
    from app.domain.search.engine import SearchEngine
    from app.domain.shapes.registry import FieldRegistry
    from app.storage.media import MediaStore


class ZipServices(Protocol):
    """What a zip needs of the service (:class:`app.service.Atrium`)."""

    @property
    def config(self) -> Config: ...

    @property
    def iris(self) -> Iris: ...

    @property
    def fields(self) -> FieldRegistry: ...

    @property
    def assets(self) -> AssetRepository: ...

    @property
    def audit(self) -> AuditTrail: ...

    @property
    def media(self) -> MediaStore: ...

    @property
    def search(self) -> SearchEngine: ...


CHUNK_BYTES = 1 << 16  # read from a media file at a time
METADATA_NAME = "metadata.csv"
VALUE_SEPARATOR = " | "  # between the values of a repeatable field in one CSV cell
_FIXED_COLUMNS = ("id", "iri", "file", "department", "access")


class TooManyForZip(ValueError):
    """More assets than one zip may hold."""


@dataclass(frozen=True)
class _Entry:
    """One original to put in the zip."""

    asset_id: str
    name: str
    sha256: str
    size: int


class _Chunks(io.RawIOBase):
    """A write-only stream that keeps what was written until :meth:`take` hands it on."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken, self.parts = b"".join(self.parts), []
        return taken


def check_count(count: int, limit: int) -> None:
    """:class:`TooManyForZip` when ``count`` assets are more than a zip may hold."""
    if count > limit:
        raise TooManyForZip(
            M_(
                "at most %(limit)s assets go in one zip or bulk action, and more were chosen: "
                "narrow the search or choose fewer",
                limit=limit,
            )
        )


def metadata_columns(atrium: ZipServices) -> list[str]:
    """The CSV's columns: the fixed ones, then every field of the shapes by name."""
    names = [f.name for f in atrium.fields.all_fields]
    return [*_FIXED_COLUMNS, *(n for n in dict.fromkeys(names) if n not in _FIXED_COLUMNS)]


def stream_zip(
    atrium: ZipServices,
    asset_ids: Sequence[str],
    scope: Scope,
    actor: Actor,
    language: str = "en",
) -> Iterator[bytes]:
    """The zip of the assets ``scope`` sees among ``asset_ids``, chunk by chunk."""
    check_count(len(asset_ids), atrium.config.max_zip_assets)
    out = _Chunks()
    vocabulary = atrium.search.concept_lookup(scope)
    fields = list({f.name: f for f in reversed(atrium.fields.all_fields)}.values())[::-1]
    columns = metadata_columns(atrium)
    entries: list[_Entry] = []
    used: set[str] = {METADATA_NAME}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        info = zipfile.ZipInfo(METADATA_NAME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            text = io.TextIOWrapper(member, encoding="utf-8", newline="")
            rows = csv.writer(text)
            rows.writerow(columns)
            for asset_id in asset_ids:
                triples = atrium.assets.record(asset_id, scope)
                if not triples:
                    continue  # not there, or not for this reader: not named either
                entry = _entry(atrium, asset_id, triples, used)
                row = _row(atrium, asset_id, triples, entry, fields, vocabulary, language)
                rows.writerow([row.get(column, "") for column in columns])
                if entry is not None:
                    entries.append(entry)
                text.flush()
                yield out.take()
            text.flush()
            text.detach()
        yield out.take()
        for entry in entries:
            yield from _write_original(atrium, archive, entry, out)
            atrium.audit.record("downloaded", atrium.iris.asset(entry.asset_id), actor)
    yield out.take()


def _entry(
    atrium: ZipServices, asset_id: str, triples: list[Triple], used: set[str]
) -> _Entry | None:
    """Where the asset's original goes in the zip (None: it has no stored file)."""
    iris = atrium.iris
    file = _facts(triples, iris.asset_file(asset_id))
    sha256 = file.get(DAM.sha256, "")
    if len(sha256) != 64 or not atrium.media.exists(sha256):
        return None
    mime = file.get(SCHEMA.encodingFormat, "application/octet-stream")
    original = file.get(SCHEMA.name, "")
    title = _facts(triples, iris.asset(asset_id)).get(DCT.title)
    name = _unique(download_name(title, original, asset_id, extension_for(mime, original)), used)
    return _Entry(asset_id, name, sha256, atrium.media.path(sha256).stat().st_size)


def _write_original(
    atrium: ZipServices, archive: zipfile.ZipFile, entry: _Entry, out: _Chunks
) -> Iterator[bytes]:
    info = zipfile.ZipInfo(entry.name)
    info.file_size = entry.size  # so zipfile knows whether the entry needs ZIP64
    info.compress_type = zipfile.ZIP_STORED  # media files are compressed already
    with atrium.media.open(entry.sha256) as source, archive.open(info, "w") as member:
        while chunk := source.read(CHUNK_BYTES):
            member.write(chunk)
            yield out.take()
    yield out.take()


def _row(
    atrium: ZipServices,
    asset_id: str,
    triples: list[Triple],
    entry: _Entry | None,
    fields: list,
    vocabulary: ConceptLookup,
    language: str,
) -> dict[str, str]:
    """The asset's CSV cells by column; the fixed columns win over a field of the same name."""
    asset = atrium.iris.asset(asset_id)
    own = [t for t in triples if t.subject == asset]
    facts = {t.predicate: t.object.value for t in own}
    row = {
        "id": asset_id,
        "iri": asset.value,
        "file": entry.name if entry is not None else "",
        "department": facts.get(DAM.department, "").rsplit("/", 1)[-1],
        "access": ACCESS_NAMES.get(facts.get(DAM.accessLevel, ""), ""),
    }
    for chosen in fields:
        values = [_shown(t.object, vocabulary, language) for t in own if t.predicate == chosen.path]
        row.setdefault(chosen.name, VALUE_SEPARATOR.join(values))
    return row


def _shown(value: object, vocabulary: ConceptLookup, language: str) -> str:
    if isinstance(value, NamedNode) and value.value in vocabulary.concepts:
        return vocabulary.label(value.value, language)
    return getattr(value, "value", str(value))


def _facts(triples: list[Triple], node: NamedNode) -> dict[NamedNode, str]:
    return {t.predicate: t.object.value for t in triples if t.subject == node}


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext``… when the zip holds it already."""
    candidate, number = name, 1
    path = PurePath(name)
    while candidate.casefold() in used:
        number += 1
        candidate = f"{path.stem}-{number}{path.suffix}"
    used.add(candidate.casefold())
    return candidate
