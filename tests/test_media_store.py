"""The content-addressed media store: addressing, deduplication, atomic writes, safety."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from conftest import CORPUS_IMAGES

import app.storage.media as media_module
from app.storage.media import MediaStore, StoredFile

CORPUS = CORPUS_IMAGES


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_put_bytes_stores_under_the_sha256_in_two_folder_levels(store: MediaStore) -> None:
    data = b"hello, atrium"
    sha256 = hashlib.sha256(data).hexdigest()

    stored = store.put_bytes(data)

    assert stored == StoredFile(sha256, len(data), created=True)
    assert store.path(sha256) == store.root / sha256[:2] / sha256[2:4] / sha256
    assert store.path(sha256).read_bytes() == data
    with store.open(sha256) as handle:
        assert handle.read() == data


@pytest.mark.corpus("images")
def test_put_file_streams_a_real_image_and_keeps_it_byte_for_byte(store: MediaStore) -> None:
    source = CORPUS / "pillow__flower.jpg"
    expected = hashlib.sha256(source.read_bytes()).hexdigest()

    stored = store.put_file(source)

    assert stored.sha256 == expected
    assert stored.size == source.stat().st_size
    assert stored.created
    assert store.path(expected).read_bytes() == source.read_bytes()


def test_put_file_reads_in_chunks(store: MediaStore, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(media_module, "CHUNK_SIZE", 1000)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(10_500))

    stored = store.put_file(big)

    assert store.path(stored.sha256).read_bytes() == big.read_bytes()


@pytest.mark.corpus("images")
def test_same_bytes_are_stored_once(store: MediaStore, tmp_path: Path) -> None:
    copy = tmp_path / "copy.jpg"
    copy.write_bytes((CORPUS / "pillow__iptc.jpg").read_bytes())

    first = store.put_file(CORPUS / "pillow__iptc.jpg")
    second = store.put_file(copy)
    third = store.put_bytes(copy.read_bytes())

    assert first.created
    assert not second.created
    assert not third.created
    assert first.sha256 == second.sha256 == third.sha256
    assert all_files(store.root) == [store.path(first.sha256)]


def test_iter_hashes_lists_stored_files_and_skips_strays(store: MediaStore) -> None:
    hashes = {store.put_bytes(bytes([n]) * 10).sha256 for n in range(5)}
    stray_folder = store.path(next(iter(hashes))).parent
    (stray_folder / ".leftover.part").write_bytes(b"half a file")
    (store.root / "README").write_text("not media")

    assert set(store.iter_hashes()) == hashes


def test_iter_hashes_of_an_empty_store(tmp_path: Path) -> None:
    assert list(MediaStore(tmp_path / "nowhere").iter_hashes()) == []


def test_delete_removes_the_file(store: MediaStore) -> None:
    sha256 = store.put_bytes(b"to be removed").sha256

    assert store.delete(sha256)
    assert not store.exists(sha256)
    assert not store.delete(sha256)
    assert store.put_bytes(b"to be removed").created


@pytest.mark.corpus("images")
def test_failed_rename_leaves_no_temporary_file_and_nothing_stored(
    store: MediaStore, monkeypatch
) -> None:
    def crash(*_args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)

    with pytest.raises(OSError, match="disk gone"):
        store.put_file(CORPUS / "pillow__hopper.gif")

    assert all_files(store.root) == []
    assert list(store.iter_hashes()) == []


def test_failed_fsync_of_the_data_leaves_no_temporary_file(
    store: MediaStore, tmp_path: Path, monkeypatch
) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(5000))
    monkeypatch.setattr(media_module, "CHUNK_SIZE", 1000)
    real_fsync = os.fsync

    def failing_fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        if stat.S_ISREG(os.fstat(descriptor).st_mode):  # the data file, not a folder
            raise OSError("no space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)

    with pytest.raises(OSError, match="no space"):
        store.put_file(source)

    assert all_files(store.root) == []
    assert store.path(hashlib.sha256(source.read_bytes()).hexdigest()).parent.is_dir()


def test_a_file_changed_while_stored_is_refused(
    store: MediaStore, tmp_path: Path, monkeypatch
) -> None:
    source = tmp_path / "moving.txt"
    source.write_bytes(b"version one")
    original_hash_file = media_module.hash_file

    def hash_then_change(path: Path) -> tuple[str, int]:
        result = original_hash_file(path)
        path.write_bytes(b"version two, longer")
        return result

    monkeypatch.setattr(media_module, "hash_file", hash_then_change)

    with pytest.raises(OSError, match="changed while being stored"):
        store.put_file(source)

    assert all_files(store.root) == []


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "../" + "a" * 61,
        "a" * 64 + "\n",
        "/" + "a" * 63,
        "",
        None,
    ],
)
def test_anything_but_64_lowercase_hex_digits_is_refused(store: MediaStore, bad) -> None:
    for operation in (store.path, store.exists, store.open, store.delete):
        with pytest.raises(ValueError):
            operation(bad)
