"""Holding a collection for a change: its lock, then the checks every change makes first."""

from __future__ import annotations

from typing import Protocol

from pyoxigraph import NamedNode

from app.domain.collections.model import (
    CollectionConflict,
    CollectionForbidden,
    CollectionNotFound,
)
from app.domain.collections.record import StoredCollection
from app.domain.iris import Iris
from app.domain.keyed_locks import KeyedLocks
from app.domain.people.access import Reader
from app.messages import M_
from app.storage.graphstore import Scope


class EditedCollections(Protocol):
    """What an edit needs of the collections it edits
    (:class:`app.domain.collections.writing.Collections`)."""

    iris: Iris
    locks: KeyedLocks

    def stored(self, collection_id: str) -> StoredCollection | None: ...

    def _sees(self, member: NamedNode, scope: Scope) -> bool: ...


class Editing:
    """Holds the collection's lock; yields its stored record once the reader's right to change
    it and the version they saw are checked."""

    def __init__(
        self,
        owner: EditedCollections,
        collection_id: str,
        reader: Reader,
        scope: Scope,
        expected_version: str | None,
    ) -> None:
        self.collections = owner
        self.collection_id = collection_id
        self.reader = reader
        self.scope = scope
        self.expected_version = expected_version
        self.hold = owner.locks.hold(collection_id)

    def __enter__(self) -> StoredCollection:
        self.hold.__enter__()
        try:
            return self._checked()
        except BaseException:
            self.hold.__exit__(None, None, None)
            raise

    def _checked(self) -> StoredCollection:
        collections, reader = self.collections, self.reader
        iri = collections.iris.collection(self.collection_id)
        stored = (
            collections.stored(self.collection_id)
            if collections.iris.collection_id(iri.value)
            else None
        )
        if stored is None or not collections._sees(iri, self.scope):
            raise CollectionNotFound(M_("no collection %(id)s", id=self.collection_id))
        if not (reader.admin or (reader.signed_in and reader.name == stored.owner)):
            raise CollectionForbidden(M_("only its owner and administrators change a collection"))
        if self.expected_version is not None and self.expected_version != stored.version:
            raise CollectionConflict(stored.version)
        return stored

    def __exit__(self, *exc_info: object) -> None:
        self.hold.__exit__(*exc_info)
