"""One lock per key (an asset id), made on first use and dropped when nobody needs it.

Writers that must not overlap for the same key, yet may overlap freely for different keys,
hold ``locks.hold(key)``: the web server's request threads and an ingest's writer thread
creating assets from the same bytes take turns, and the registry holds only the keys some
thread is holding or waiting for at this moment, so it never grows with the number of assets.

The locks serialise the threads of one process. Two processes writing to one remote store
(``atrium ingest`` beside ``atrium serve``) are not serialised by them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class _Entry:
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0  # threads holding or waiting for the lock


class KeyedLocks:
    """Mutual exclusion per key; ``on_contention(key)`` is told when a thread finds the key
    already held or awaited, just before it waits its turn."""

    def __init__(self, on_contention: Callable[[str], None] | None = None) -> None:
        self.on_contention = on_contention
        self._mutex = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key`` for the ``with`` block (re-entrant within one thread)."""
        with self._mutex:
            entry = self._entries.setdefault(key, _Entry())
            entry.users += 1
            contended = entry.users > 1
        try:
            if contended and self.on_contention is not None:
                self.on_contention(key)
            with entry.lock:
                yield
        finally:
            with self._mutex:
                entry.users -= 1
                if entry.users == 0:
                    del self._entries[key]

    def __len__(self) -> int:
        """How many keys are held or awaited now."""
        with self._mutex:
            return len(self._entries)
