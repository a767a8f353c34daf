"""Rights in time: embargo and expiry dates take an asset out of public view.

Which dates count is said by the ontology, not here: a property that is ``rdfs:subPropertyOf
dam:notBefore`` is an embargo (``dct:available``: public only from that day), one of
``dam:notAfter`` an expiry (``schema:expires``, the HR consent's ``dam:consentExpires``: public
up to and with that day). A public asset outside its dates is *out of time*.

Two things follow, so that it leaves public view whether anyone reads it or not:

- on read, :meth:`RightsDates.hides` tells the asset repository to show an out-of-time public
  asset to no one who may see only public assets, even before the check below has run;
- :class:`~app.domain.assets.rights_check.RightsCheck` (at the start of ``atrium serve``, every
  ``ATRIUM_RIGHTS_CHECK_MINUTES`` and the moment the next date passes, see below) moves each
  out-of-time public asset to internal through the asset repository (so the search index,
  results and collections follow), says why on the asset (``dam:withdrawnBecause``) and audits
  it as ``rights-check``; an asset it withdrew whose dates allow it again (an embargo that
  ended) goes back to public.

The graph stays the one source of truth for every read path (search, facets, counts, SPARQL,
collections, zips, share links): rather than each of them filtering by date, the periodic check
is also armed for the earliest upcoming moment a date passes (:meth:`RightsDates.next_change`:
midnight UTC starting an embargo's day, or ending an expiry's), and re-armed after every asset
write (:class:`RightsAlarm`, one of the repository's watchers, which also has the written
asset checked at once), so a public asset leaves public view within moments of its date or
of a write that puts it out of time, whether anyone reads it or not. Writes by other processes on a
shared remote store do not re-arm it; the interval and the check on read cover those.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.iris import Iris
from app.domain.people.access import ACCESS_LEVELS
from app.namespaces import DAM, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

RIGHTS_AGENT = "rights-check"  # the actor of the audit events; user names are IRI path segments

_DATE_PROPERTIES = (
    sparql_prefixes()
    + """SELECT ?property ?kind WHERE {
  VALUES ?kind { dam:notBefore dam:notAfter } ?property rdfs:subPropertyOf ?kind }"""
)
_DATED = "SELECT DISTINCT ?asset WHERE { VALUES ?p { %s } ?asset a <%s> ; ?p ?date }"
_DATES = "SELECT DISTINCT ?p ?date WHERE { VALUES ?p { %s } ?asset a <%s> ; ?p ?date }"
_WITHDRAWN = "SELECT DISTINCT ?asset WHERE { ?asset <%s> ?why }"


# A little after midnight, so that the check woken then reads the new day.
_PAST_MIDNIGHT = dt.timedelta(milliseconds=50)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return now().date()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class RightsDates:
    """The embargo and expiry properties the ontology declares, and what they say of a record."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris

    @cached_property
    def _properties(self) -> dict[str, frozenset[NamedNode]]:
        rows = self.store.select(_DATE_PROPERTIES, scope=Scope.of([self.iris.ontology_graph.value]))
        kinds: dict[str, set[NamedNode]] = {DAM.notBefore.value: set(), DAM.notAfter.value: set()}
        for row in rows:
            kinds[row["kind"].value].add(row["property"])
        return {kind: frozenset(found) for kind, found in kinds.items()}

    @property
    def not_before(self) -> frozenset[NamedNode]:
        return self._properties[DAM.notBefore.value]

    @property
    def not_after(self) -> frozenset[NamedNode]:
        return self._properties[DAM.notAfter.value]

    def reason(self, asset: NamedNode, triples: Iterable[Triple], on: dt.date) -> str | None:
        """Why the record keeps ``asset`` out of public view on day ``on``; None: it does not."""
        reasons = []
        for triple in triples:
            if triple.subject != asset or not isinstance(triple.object, Literal):
                continue
            day = _day(triple.object)
            if day is None:
                continue
            if triple.predicate in self.not_after and day < on:
                reasons.append(f"expired on {day.isoformat()}")
            elif triple.predicate in self.not_before and on < day:
                reasons.append(f"embargoed until {day.isoformat()}")
        return "; ".join(sorted(reasons)) or None

    def hides(self, asset: NamedNode, triples: list[Triple], scope: Scope) -> bool:
        """Whether a reader of ``scope`` must not see this record: it is public but out of time,
        and the reader may see public assets only (anyone who may see internal ones still does,
        as the rights check will make it)."""
        if scope.graphs is None or self.iris.asset_graph("internal", "").value in scope.graphs:
            return False
        public = Triple(asset, DAM.accessLevel, ACCESS_LEVELS["public"])
        return public in triples and self.reason(asset, triples, today()) is not None

    def dated_public_assets(self) -> list[NamedNode]:
        properties = " ".join(str(p) for p in self.not_before | self.not_after)
        if not properties:
            return []
        public = Scope.of([self.iris.asset_graph("public", "").value])
        rows = self.store.select(_DATED % (properties, DAM.Asset.value), scope=public)
        return [row["asset"] for row in rows]

    def next_change(self, after: dt.datetime) -> dt.datetime | None:
        """The earliest moment after ``after`` at which a public or withdrawn asset comes into
        or goes out of its dates (an embargo's day begins, an expiry's day ends); None: none."""
        kinds = [(p, dt.timedelta(0)) for p in self.not_before]
        kinds += [(p, dt.timedelta(days=1)) for p in self.not_after]  # public with that day
        if not kinds:
            return None
        offsets = {p: offset for p, offset in kinds}
        graphs = [self.iris.asset_graph(level, "").value for level in ("public", "internal")]
        query = _DATES % (" ".join(str(p) for p in offsets), DAM.Asset.value)
        moments = []
        for row in self.store.select(query, scope=Scope.of(graphs)):
            day = _day(row["date"]) if isinstance(row["date"], Literal) else None
            if day is not None:
                moment = _midnight(day) + offsets[row["p"]] + _PAST_MIDNIGHT
                if moment > after:
                    moments.append(moment)
        return min(moments, default=None)

    def withdrawn_assets(self) -> list[NamedNode]:
        internal = Scope.of([self.iris.asset_graph("internal", "").value])
        rows = self.store.select(_WITHDRAWN % DAM.withdrawnBecause.value, scope=internal)
        return [row["asset"] for row in rows]


def _day(value: Literal) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.value[:10])
    except ValueError:
        return None


class RightsAlarm:
    """A watcher of asset writes (see the repository's ``Watchers``): after each, it tells the
    periodic checks armed on it which asset was written; they check that asset at once and
    look again for the next date that passes."""

    def __init__(self) -> None:
        self._armed: list[Callable[[str], None]] = []
        self._lock = threading.Lock()

    def arm(self, wake: Callable[[str], None]) -> None:
        with self._lock:
            self._armed.append(wake)

    def disarm(self, wake: Callable[[str], None]) -> None:
        with self._lock:
            if wake in self._armed:
                self._armed.remove(wake)

    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        yield  # a write that failed changed nothing: no wake
        with self._lock:
            armed = list(self._armed)
        for wake in armed:
            wake(asset_id)
