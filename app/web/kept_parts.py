"""Parts of a page rendered once for an answer the domain keeps, and shown again with it.

The search engine keeps its answer to a search while neither the store nor the index moves,
and hands the very same :class:`~app.domain.search.SearchResult` to every identical search of
a reader with the same access (:meth:`SearchEngine.search`). The search page's facets and
results are written from that answer, the request's query string (the links) and the
interface language alone, and were most of the page's time (1.3 and 0.8 of its 2.5 ms at
10,000 assets); the JSON of ``/api/search`` is written from the same. So they are rendered once
per answer and kept beside it:

- an entry holds a weak reference to its answer, and is used only while that answer is the
  very object the page was given: once the engine lets an answer go (a write, the store moved,
  too many kept), its parts are never shown again (over a remote store, a write by any Atrium
  process lets the answers go: its write stamp moves the count);
- the key holds everything else such a part may read: the part's name, the site's address and
  root, the query string and the interface language. Nothing of the reader goes into a part (the
  selection bar, with its CSRF token and the reader's collections, stays outside), and an
  answer is already the answer for one reader's access.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from flask import Flask, current_app, request
from flask_babel import get_locale
from jinja2.runtime import Macro
from markupsafe import Markup

EXTENSION = "atrium.kept_parts"


class KeptParts:
    """Rendered parts by (answer, part, request), at most ``keep`` of them; a part goes with
    its answer (over a remote store no answer is kept, and its parts would otherwise stay)."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[weakref.ref[object], str]] = OrderedDict()
        # Filled by the answers' weak reference callbacks, which may run in any thread at any
        # moment, even while this one holds the lock: they only note the key, get() drops it.
        self._gone: deque[Hashable] = deque()

    def get(self, answer: object, key: Hashable, render: Callable[[], str]) -> str:
        """The part kept for ``answer`` and ``key``, else ``render()``, kept."""
        entry_key = (id(answer), key)  # the id alone could be a dead answer's: see the entry's ref
        with self._lock:
            self._drop_gone()
            entry = self._kept.get(entry_key)
            if entry is not None and entry[0]() is answer:
                self._kept.move_to_end(entry_key)
                return entry[1]
        text = render()
        if self.keep:
            gone = self._gone.append
            with self._lock:
                self._kept[entry_key] = (weakref.ref(answer, lambda _: gone(entry_key)), text)
                self._kept.move_to_end(entry_key)
                while len(self._kept) > self.keep:
                    self._kept.popitem(last=False)
        return text

    def __len__(self) -> int:
        with self._lock:
            self._drop_gone()
            return len(self._kept)

    def _drop_gone(self) -> None:
        while self._gone:
            entry_key = self._gone.popleft()
            entry = self._kept.get(entry_key)
            if entry is not None and entry[0]() is None:  # not a newer answer's, with that id
                del self._kept[entry_key]


def kept(answer: object, name: str, render: Callable[[], str]) -> str:
    """The part ``name`` of ``answer`` for this request's URL and language, rendered by
    ``render`` the first time only."""
    parts: KeptParts = current_app.extensions[EXTENSION]
    key = (name, request.host_url, request.script_root, request.query_string, str(get_locale()))
    return parts.get(answer, key, render)


def _kept_part(answer: object, part: Macro) -> Markup:
    """The template global ``kept_part(answer, macro)``."""
    return Markup(kept(answer, part.name, part))


def install_kept_parts(app: Flask, keep: int) -> None:
    app.extensions[EXTENSION] = KeptParts(keep)
    app.jinja_env.globals["kept_part"] = _kept_part
