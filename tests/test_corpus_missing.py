"""Without the shared corpus, its tests skip with one line saying what is missing, unless the
corpus is required (``ATRIUM_REQUIRE_CORPUS``, set by .ci/run)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO

CORPUS_TEST_FILES = ["tests/test_images.py", "tests/test_media_store.py"]
MISSING = "/nonexistent/atrium-corpus"


def pytest_without_corpus(**extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATRIUM_CORPUS": MISSING, **extra_env}
    for name in ("CI", "ATRIUM_REQUIRE_CORPUS"):
        if name not in extra_env:
            env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, *CORPUS_TEST_FILES],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_corpus_tests_skip_cleanly_without_the_corpus() -> None:
    result = pytest_without_corpus()
    assert result.returncode == 0, result.stdout + result.stderr
    skip_lines = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skip_lines, result.stdout
    for line in skip_lines:
        assert f"corpus missing: no {MISSING}/images" in line, line
        assert "ATRIUM_CORPUS" in line


def test_corpus_tests_fail_where_the_corpus_is_required() -> None:
    result = pytest_without_corpus(ATRIUM_REQUIRE_CORPUS="1")
    assert result.returncode != 0, result.stdout
    assert "ATRIUM_REQUIRE_CORPUS is set" in result.stdout
