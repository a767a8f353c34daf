"""A journal: the file in a data folder that says a long operation is writing into it.

It is written durably before the operation changes anything and removed when it is done, so
one that is still there after a crash says the folder is half-written and by what: commands
refuse to run on it, and the operation can be resumed (``import --resume``, ``rebase``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import ClassVar


class Journal:
    """One kind of journal: its file name, the keys it records, and what to say when the file
    is there but cannot be read (the operation is unfinished all the same)."""

    name: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]
    unreadable: ClassVar[dict[str, str]]

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / self.name

    def unfinished(self) -> dict[str, str] | None:
        """What the unfinished operation was doing; None when none was interrupted."""
        try:
            entry = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            entry = None
        if not isinstance(entry, dict):
            return dict(self.unreadable)
        return {key: str(entry.get(key, "")) for key in self.keys}

    def record(self, entry: dict[str, str]) -> None:
        """Write the journal, with the time it started, so that it survives a crash."""
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        content = json.dumps({**entry, "started": started}).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.part")
        with partial.open("wb") as output:
            output.write(content)
            output.flush()
            os.fsync(output.fileno())
        os.replace(partial, self.path)

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
