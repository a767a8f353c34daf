"""Collections: named, described, ordered sets of assets and other collections.

- :mod:`.model`: how a collection is stored (standard terms, no blank nodes), its errors;
- :mod:`.record`: its stored record as the administrator sees it (where each quad goes);
- :mod:`.reading`: what a reader sees, always in their scope (pages, lists, the facet);
- :mod:`.writing`: creating, changing, filling, ordering and deleting, owner only, locked
  and versioned, checked with ``shapes/collections.ttl``;
- :mod:`.homes`: memberships follow their asset's access (a record watcher).
"""

from app.domain.collections.homes import MembershipHomes
from app.domain.collections.model import (
    VISIBILITIES,
    Changes,
    Collection,
    CollectionConflict,
    CollectionCycle,
    CollectionError,
    CollectionForbidden,
    CollectionNotFound,
    CollectionRefused,
    Member,
    Summary,
)
from app.domain.collections.reading import Membership
from app.domain.collections.writing import Collections

__all__ = [
    "VISIBILITIES",
    "Changes",
    "Collection",
    "CollectionConflict",
    "CollectionCycle",
    "CollectionError",
    "CollectionForbidden",
    "CollectionNotFound",
    "CollectionRefused",
    "Collections",
    "Member",
    "Membership",
    "MembershipHomes",
    "Summary",
]
