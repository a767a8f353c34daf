"""What was read from a store, kept while the store's write count stays the same.

A page that counts a 10,000-concept scheme, or a keystroke that looks labels up, need not read
the graph again when nothing was written since. The write count (:meth:`GraphStore.write_count`)
moves with every write, a remote store's with every Atrium process's (``write_stamps``); a store
that cannot tell has none, and then nothing is kept. The count is read before the value, so a
write during the read leaves the value at the older count, read again next time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from app.storage.graphstore import GraphStore

V = TypeVar("V")


class ReadCache(Generic[V]):
    """Values by key, each kept with the write count it was read at; at most ``keep`` keys.
    With ``reading``, the values are read from the graphs whose names start with it, and
    outlive the writes that the store knows went to other graphs."""

    def __init__(self, store: GraphStore, keep: int = 64, reading: str = "") -> None:
        self.store = store
        self.keep = keep
        self.reading = reading
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()

    def get(
        self,
        key: Hashable,
        read: Callable[[], V],
        worth_keeping: Callable[[V], bool] | None = None,
    ) -> V:
        """The value kept for ``key`` if nothing was written since; else ``read()``, kept
        (unless ``worth_keeping`` says otherwise of it)."""
        counter = self.store.write_count(self.reading)
        if counter is None or self.keep == 0:
            return read()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == counter:
                self._kept.move_to_end(key)
                return kept[1]
        value = read()
        if worth_keeping is not None and not worth_keeping(value):
            return value
        with self._lock:
            self._kept[key] = (counter, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        return value
