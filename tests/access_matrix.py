"""The access matrix the access tests share: one HR-owned asset per access level, served, with a
signed-in session per kind of reader (tests/test_access*.py).

public: anyone; internal: any signed-in user; restricted: members of the owning department
and admins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from conftest import TEST_PASSWORD, add_user, http_sign_in, make_atrium, serving
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

LEVELS = ("public", "internal", "restricted")
READERS = {
    # reader: which levels of an HR-owned asset they may see
    "anonymous": {"public"},
    "viewer-marketing": {"public", "internal"},
    "viewer-hr": {"public", "internal", "restricted"},
    "contributor-hr": {"public", "internal", "restricted"},
    "admin": {"public", "internal", "restricted"},
}
# consent given, so the HR profile is satisfied and a public HR asset is allowed
CONSENT = ["consentGiven=true", "consentExpires=2030-01-01"]
PHOTO_COLOURS = dict(zip(LEVELS, ("red", "green", "blue"), strict=True))


def for_every_reader_and_level(test: Callable) -> Callable:
    """Run ``test(reader=..., level=...)`` once per kind of reader and access level."""
    each_level = pytest.mark.parametrize("level", LEVELS)
    return pytest.mark.parametrize("reader", READERS)(each_level(test))


def role_and_departments(reader: str) -> tuple[str, tuple[str, ...]]:
    """``"viewer-hr"`` → ``("viewer", ("hr",))``; ``"admin"`` → ``("admin", ())``."""
    role, _, department = reader.partition("-")
    return role, (department,) if department else ()


def write_photo(folder: Path, level: str) -> Path:
    """A plain photo in the level's own colour."""
    path = folder / f"{level}.png"
    Image.new("RGB", (200, 100), PHOTO_COLOURS[level]).save(path)
    return path


def ingest_one_per_level(
    atrium: Atrium, write: Callable[[str], Path], titled: bool = False
) -> dict[str, str]:
    """Ingest ``write(level)`` as an HR asset at each level; returns the asset ids by level.
    ``titled``: titled "<level> photo"."""
    ingester = Ingester(atrium)
    assets = {}
    for level in LEVELS:
        title = [f"title={level} photo"] if titled else []
        options = ingester.resolve(IngestOptions("hr", level, settings=[*title, *CONSENT]))
        outcome = ingester.run([write(level)], options).outcomes[0]
        assert outcome.status == "ingested", outcome.reason
        assets[level] = outcome.asset_id
    return assets


def add_readers(
    atrium: Atrium,
    readers: Iterable[str],
    roles: dict[str, tuple[str, tuple[str, ...]]] | None = None,
    suffix: str | None = None,
) -> dict[str, str]:
    """A user for each signed-in reader (its role and departments from its name, or from
    ``roles``); returns the user names by reader. ``suffix``: name them "<reader>-<suffix>"."""
    names = {}
    for reader in readers:
        if reader == "anonymous":
            continue
        role, departments = (roles or {}).get(reader) or role_and_departments(reader)
        if suffix is None:
            names[reader] = add_user(atrium, role, departments)
        else:
            names[reader] = f"{reader}-{suffix}"
            atrium.users.add(names[reader], role, list(departments), TEST_PASSWORD)
    return names


def bearer_headers(atrium: Atrium, reader: str, label: str) -> dict[str, str]:
    """The Authorization header of a new API token for a new user like ``reader``; none for
    anonymous."""
    if reader == "anonymous":
        return {}
    name = add_user(atrium, *role_and_departments(reader))
    return {"Authorization": f"Bearer {atrium.users.issue_token(name, label)[1]}"}


@contextmanager
def matrix_atrium(folder: Path, **settings: object) -> Iterator[Atrium]:
    """An initialised Atrium with its data in ``folder``, closed on exit."""
    atrium = make_atrium(folder / "data", **settings)
    try:
        yield atrium
    finally:
        atrium.close()


@contextmanager
def served_to(atrium: Atrium, names: dict[str, str]) -> Iterator[tuple[str, dict]]:
    """Serve ``atrium``; yields its base URL and a session per reader, signed in as its user
    (``anonymous``: not signed in)."""
    with serving(atrium) as base_url:
        clients = {"anonymous": requests.Session()}
        clients.update({reader: http_sign_in(base_url, name) for reader, name in names.items()})
        yield base_url, clients


# Import it as ``matrix_site`` and ask for ``site``: one per test module.
@pytest.fixture(scope="module", name="site")
def matrix_site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(atrium, base URL, asset id by level, session by reader): one titled HR photo per level."""
    folder = tmp_path_factory.mktemp("access")
    with matrix_atrium(folder) as atrium:
        assets = ingest_one_per_level(atrium, lambda level: write_photo(folder, level), True)
        with served_to(atrium, add_readers(atrium, READERS)) as (base_url, clients):
            yield atrium, base_url, assets, clients
