"""The rights check: withdraws out-of-time public assets and restores those whose dates
allow them again, once (:class:`RightsCheck`) or in the background (:class:`PeriodicRightsCheck`).

Which dates count, and the alarm that wakes the background check, are in
:mod:`app.domain.assets.rights`; this module stands on the asset repository, which that one
does not know.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets import rights  # its today() and now(): one clock for reads and checks
from app.domain.assets.records import AssetRefused
from app.domain.assets.repository import AssetRepository
from app.domain.assets.rights import RIGHTS_AGENT, RightsAlarm
from app.domain.iris import Iris
from app.domain.operations.periodic import Periodic, log
from app.domain.people.audit import Actor
from app.namespaces import DAM


class RightsServices(Protocol):
    """What the check needs of the service (:class:`app.service.Atrium`)."""

    @property
    def iris(self) -> Iris: ...

    @property
    def assets(self) -> AssetRepository: ...

    @property
    def rights_alarm(self) -> RightsAlarm: ...


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

    def __init__(self, atrium: RightsServices) -> None:
        self.atrium = atrium
        self.dates = atrium.assets.rights

    def run(self, on: dt.date | None = None) -> RightsReport:
        on = on or rights.today()
        report = RightsReport()
        for asset in self.dates.dated_public_assets():
            self._withdraw_if_due(asset, on, report)
        for asset in self.dates.withdrawn_assets():
            self._restore_if_due(asset, on, report)
        return report

    def run_for(self, asset_ids: Iterable[str], on: dt.date | None = None) -> RightsReport:
        """Withdraw those of ``asset_ids`` that are public and out of time (just written)."""
        on = on or rights.today()
        report = RightsReport()
        for asset_id in sorted(set(asset_ids)):
            self._withdraw_if_due(self.atrium.iris.asset(asset_id), on, report)
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
        try:
            self.atrium.assets.save(draft, actor=Actor.service(RIGHTS_AGENT))  # type: ignore[arg-type]
        except AssetRefused as refused:
            report.refused[draft.asset_id] = str(refused)  # type: ignore[attr-defined]
            return False
        return True


class PeriodicRightsCheck(Periodic):
    """Runs the rights check at once, then every ``interval_seconds`` (0: no interval) and at
    the moment the next date passes, in a background thread until stopped; a write of an asset
    re-arms it (:class:`RightsAlarm`). A failed run is logged and tried again next time."""

    wakeable = True

    def __init__(self, check: RightsCheck, interval_seconds: float) -> None:
        self.check = check
        self._written: set[str] = set()  # assets written since the last wake, to check at once
        self._written_lock = threading.Lock()
        super().__init__("rights check", self._check, interval_seconds, "the rights check failed")

    def start(self) -> PeriodicRightsCheck:
        self.check.atrium.rights_alarm.arm(self._on_write)
        super().start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.check.atrium.rights_alarm.disarm(self._on_write)
        super().stop(timeout)

    def _on_write(self, asset_id: str) -> None:
        with self._written_lock:
            self._written.add(asset_id)
        self.wake()

    def when_woken(self) -> None:
        with self._written_lock:
            written, self._written = self._written, set()
        report = self.check.run_for(written)
        if report.withdrawn or report.refused:
            log.info("%s: %s", self.name, report.summary())

    def due_in(self) -> float | None:
        moment = rights.now()
        upcoming = self.check.dates.next_change(moment)
        return None if upcoming is None else (upcoming - moment).total_seconds()

    def _check(self) -> str:
        report = self.check.run()
        return report.summary() if report.withdrawn or report.restored or report.refused else ""
