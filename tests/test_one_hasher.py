"""One file hasher (:func:`app.storage.media.hash_file`): an ingest hashes each original once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

import app.domain.media.prepare as prepare_module
import app.storage.media as media_module
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.storage.media import MediaStore, hash_bytes, hash_file


def _photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for number in range(count):
        path = folder / f"photo-{number}.jpg"
        Image.new("RGB", (64 + number, 48), (40 * number, 90, 200)).save(path, "JPEG")
        paths.append(path)
    return paths


@pytest.fixture
def hashed(monkeypatch) -> Counter[Path]:
    """Every call of the one file hasher, by path, wherever it was imported."""
    calls: Counter[Path] = Counter()

    def counting(path: Path) -> tuple[str, int]:
        calls[Path(path)] += 1
        return hash_file(path)

    monkeypatch.setattr(media_module, "hash_file", counting)
    monkeypatch.setattr(prepare_module, "hash_file", counting)
    return calls


def test_an_ingest_hashes_each_original_once(atrium: Atrium, tmp_path: Path, hashed) -> None:
    paths = _photos(tmp_path / "in", 3)
    ingester = Ingester(atrium)
    report = ingester.run(paths, ingester.resolve(IngestOptions(department="marketing")))
    assert [o.status for o in report.outcomes] == ["ingested"] * 3, report.outcomes
    assert hashed == Counter({path: 1 for path in paths})
    for path in paths:
        sha256, _ = hash_file(path)
        assert atrium.media.path(sha256).read_bytes() == path.read_bytes()


def test_a_wrong_hash_handed_to_the_store_stores_nothing(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    source = tmp_path / "file.bin"
    source.write_bytes(b"the real bytes")
    wrong = hash_bytes(b"other bytes")
    with pytest.raises(OSError, match="content changed"):
        store.put_file(source, hashed=(wrong, source.stat().st_size))
    assert not store.exists(wrong)
    assert list(store.iter_hashes()) == []


def test_hash_file_and_hash_bytes_agree(tmp_path: Path) -> None:
    source = tmp_path / "file.bin"
    source.write_bytes(b"x" * 3_000_000)  # several chunks
    assert hash_file(source) == (hash_bytes(source.read_bytes()), 3_000_000)
