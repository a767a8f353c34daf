"""The results index on disk: one ``.npz`` file in the data folder, so that a start after a
million observations does not read them all back from the graph.

The file names the results revision it stands for (the state graph's identifier and count,
see :mod:`.index`); it is used only when the store says that same revision, so a stale or
foreign file is never read as current. It is written to a temporary name and renamed.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

Revision = tuple[str, int]  # the state graph's identifier (one per store) and write count


def save(
    path: Path,
    revision: Revision,
    codes: Mapping[str, Sequence[str]],
    columns: Mapping[str, np.ndarray],
) -> None:
    arrays = {f"column_{name}": values for name, values in columns.items()}
    arrays |= {f"codes_{name}": np.asarray(values, dtype=str) for name, values in codes.items()}
    identifier, count = np.asarray(revision[0]), np.asarray(revision[1])
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as output:
        np.savez(output, identifier=identifier, count=count, **arrays)
        output.flush()
        os.fsync(output.fileno())
    os.replace(partial, path)


def load(
    path: Path, revision: Revision
) -> tuple[dict[str, list[str]], dict[str, np.ndarray]] | None:
    """(codes, columns) as saved for ``revision``; None when there is none or it is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if (str(saved["identifier"]), int(saved["count"])) != revision:
                return None
            codes, columns = {}, {}
            for key in saved.files:
                kind, _, name = key.partition("_")
                if kind == "codes":
                    codes[name] = saved[key].tolist()
                elif kind == "column":
                    columns[name] = saved[key]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return codes, columns
