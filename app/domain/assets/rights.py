"""Rights in time: embargo and expiry dates take an asset out of public view.

Which dates count is said by the ontology, not here: a property that is ``rdfs:subPropertyOf
dam:notBefore`` is an embargo (``dct:available``: public only from that day), one of
``dam:notAfter`` an expiry (``schema:expires``, the HR consent's ``dam:consentExpires``: public
up to and with that day). A public asset outside its dates is *out of time*.

Two things follow, so that it leaves public view whether anyone reads it or not:

- on read, :meth:`RightsDates.hides` tells the asset repository to show an out-of-time public
  asset to no one who may see only public assets, even before the check below has run;
- :class:`RightsCheck` (at the start of ``atrium serve`` and every
  ``ATRIUM_RIGHTS_CHECK_MINUTES``) moves each out-of-time public asset to internal through the
  asset repository (so the search index, results and collections follow), says why on the
  asset (``dam:withdrawnBecause``) and audits it as ``rights-check``; an asset it withdrew whose
  dates allow it again (an embargo that ended) goes back to public.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.iris import Iris
from app.domain.operations.periodic import Periodic
from app.domain.people.access import ACCESS_LEVELS
from app.domain.people.audit import Actor
from app.namespaces import DAM, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

if TYPE_CHECKING:
    from app.service import Atrium


RIGHTS_AGENT = "rights-check"  # the actor of the audit events; user names are IRI path segments

_DATE_PROPERTIES = (
    sparql_prefixes()
    + """SELECT ?property ?kind WHERE {
  VALUES ?kind { dam:notBefore dam:notAfter } ?property rdfs:subPropertyOf ?kind }"""
)
_DATED = "SELECT DISTINCT ?asset WHERE { VALUES ?p { %s } ?asset a <%s> ; ?p ?date }"
_WITHDRAWN = "SELECT DISTINCT ?asset WHERE { ?asset <%s> ?why }"


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


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

    def withdrawn_assets(self) -> list[NamedNode]:
        internal = Scope.of([self.iris.asset_graph("internal", "").value])
        rows = self.store.select(_WITHDRAWN % DAM.withdrawnBecause.value, scope=internal)
        return [row["asset"] for row in rows]


def _day(value: Literal) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.value[:10])
    except ValueError:
        return None


@dataclass
class RightsReport:
    withdrawn: dict[str, str] = field(default_factory=dict)  # asset id: why
    restored: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # asset id: why it could not change

    def summary(self) -> str:
        parts = [f"withdrew {asset} ({why})" for asset, why in self.withdrawn.items()]
        parts += [f"made {asset} public again" for asset in self.restored]
        parts += [f"could not change {asset}: {why}" for asset, why in self.refused.items()]
        return "; ".join(parts) or "every public asset is within its dates"


class RightsCheck:
    """Withdraws out-of-time public assets and restores those whose dates allow them again."""

    def __init__(self, atrium: Atrium) -> None:
        self.atrium = atrium
        self.dates = atrium.assets.rights

    def run(self, on: dt.date | None = None) -> RightsReport:
        on = on or today()
        report = RightsReport()
        for asset in self.dates.dated_public_assets():
            self._withdraw_if_due(asset, on, report)
        for asset in self.dates.withdrawn_assets():
            self._restore_if_due(asset, on, report)
        return report

    def _withdraw_if_due(self, asset: NamedNode, on: dt.date, report: RightsReport) -> None:
        asset_id = self.atrium.iris.asset_id(asset.value)
        assets = self.atrium.assets
        with assets.editing(asset_id):
            draft = assets.stored_draft(asset_id)
            why = draft and self.dates.reason(asset, draft.triples, on)
            if draft is None or draft.access != "public" or not why:
                return
            draft.access = "internal"
            kept = [t for t in draft.triples if t.predicate != DAM.withdrawnBecause]
            draft.triples = [*kept, Triple(asset, DAM.withdrawnBecause, Literal(why))]
            self._save(asset, draft, report)
        report.withdrawn.setdefault(asset_id, why)

    def _restore_if_due(self, asset: NamedNode, on: dt.date, report: RightsReport) -> None:
        asset_id = self.atrium.iris.asset_id(asset.value)
        assets = self.atrium.assets
        with assets.editing(asset_id):
            draft = assets.stored_draft(asset_id)
            if draft is None or draft.access != "internal":
                return
            if self.dates.reason(asset, draft.triples, on) is not None:
                return
            draft.access = "public"
            draft.triples = [t for t in draft.triples if t.predicate != DAM.withdrawnBecause]
            if self._save(asset, draft, report):
                report.restored.append(asset_id)

    def _save(self, asset: NamedNode, draft: object, report: RightsReport) -> bool:
        from app.domain.assets.repository import AssetRefused

        try:
            self.atrium.assets.save(draft, actor=Actor.service(RIGHTS_AGENT))  # type: ignore[arg-type]
        except AssetRefused as refused:
            report.refused[draft.asset_id] = str(refused)  # type: ignore[attr-defined]
            return False
        return True


class PeriodicRightsCheck(Periodic):
    """Runs the rights check at once and then every ``interval_seconds`` (0: only once) in a
    background thread, until stopped; a failed run is logged and tried again next time."""

    def __init__(self, check: RightsCheck, interval_seconds: float) -> None:
        self.check = check
        super().__init__("rights check", self._check, interval_seconds, "the rights check failed")

    def _check(self) -> str:
        report = self.check.run()
        return report.summary() if report.withdrawn or report.restored or report.refused else ""
