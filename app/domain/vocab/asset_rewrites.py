"""Vocabulary changes that rewrite asset records, made holding those assets' editing locks.

A merge re-tags every asset linked to the merged concept, and reverting it re-tags them back.
Such a change is planned (read from the store) and written holding the same per-asset locks
as an asset's edit (:meth:`~app.domain.assets.repository.AssetRepository.editing`), so no save of
those assets lands between the plan and the write: a save in progress finishes first and the change
is planned on the saved record; a save that comes later finds the record at a new version (the
version is a hash of the record's triples, so the re-tag changes it by itself) and the person
who opened the asset before the change gets the usual conflict, their input kept.

Which assets a change rewrites is known only once it is planned, and planning reads records an
edit may change: so a change is planned once without locks, to learn its assets, then again
holding their locks. When the second plan rewrites an asset the first did not (someone tagged
one meanwhile), the locks are let go and taken again with that asset too, all in one order, so
that two holders never wait for each other. Each round holds more assets than the last, so the
rounds end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

from app.domain.iris import Iris
from app.domain.vocab.history import Change


class AssetLocks(Protocol):
    """The per-asset locks of asset editing (an
    :class:`~app.domain.assets.repository.AssetRepository`)."""

    def editing(self, *asset_ids: str) -> AbstractContextManager[object]:
        """Held around a read, change and write of the assets' records; taken in one order."""


class NoAssetLocks:
    """For an editor that shares no process with asset writers."""

    def editing(self, *asset_ids: str) -> AbstractContextManager[object]:
        return nullcontext()


def rewritten_assets(change: Change, iris: Iris) -> list[str]:
    """Ids of the assets whose records ``change`` rewrites, in lock order."""
    ids = {
        iris.asset_id(quad.subject.value)
        for quad in change.removed + change.added
        if iris.is_asset_graph(quad.graph_name.value)
    }
    return sorted(asset_id for asset_id in ids if asset_id)


@contextmanager
def planned_holding_locks(
    locks: AssetLocks, plan: Callable[[], Change], iris: Iris
) -> Iterator[Change]:
    """The change ``plan()`` makes, planned holding the locks of every asset it rewrites; the
    locks stay held for the ``with`` block, which writes it. ``plan`` must read the store
    afresh on each call (it may raise to refuse the change)."""
    change = plan()
    held = set(rewritten_assets(change, iris))
    while held:
        with locks.editing(*held):
            change = plan()
            wanted = set(rewritten_assets(change, iris))
            if wanted <= held:
                yield change
                return
        held |= wanted
    yield change
