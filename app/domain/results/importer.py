"""Importing results from marketing tools: CSV files or lists of row objects.

Columns: ``asset`` (id or IRI), ``segment`` (audiences), ``channel`` (channels), ``campaign``
(IRI, notation or label; a campaign not known yet is created, owned by the department of its
first row's asset, its period the earliest start and latest end of its rows, its channels
those of its rows), ``start``, ``end`` (YYYY-MM-DD), ``impressions``, ``clicks``,
``conversions`` and, optionally, ``spend`` and ``revenue``. Row 1 is the first row under the
header. A refused row is named with its reasons and the others still land; the same asset,
segment, channel, campaign and period again replaces the earlier figures.

Rows stream in batches of :data:`BATCH_ROWS`, one store update each. Every distinct name is
resolved once and every asset's home looked up once, a batch's new assets in one query. Each
row is checked in words (:func:`~app.domain.results.observations.problems`, which states the
shape's value constraints); the SHACL shape itself checks one observation of each distinct
combination of segment, channel and measures present (what its other constraints depend on),
since it costs milliseconds per observation.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from pyoxigraph import NamedNode

from app.domain.concepts import ConceptIndex, UnknownConcept
from app.domain.iris import ASSET_ID
from app.domain.results.observations import AMOUNTS, COUNTS, Observation, problems
from app.domain.vocab.history import CLI_ACTOR, Actor
from app.namespaces import sparql_prefixes
from app.storage.graphstore import Scope

BATCH_ROWS = 5000
REQUIRED = ("asset", "segment", "channel", "campaign", "start", "end", *COUNTS)
FORBIDDEN = "you may not record results for this asset"
_SHOWN = 40
_PLACEHOLDER = NamedNode("urn:atrium:campaign-to-resolve")
_HOMES = (
    sparql_prefixes() + "SELECT ?asset ?level ?d ?dept WHERE { VALUES ?asset { {values} } "
    "?asset a dam:Asset ; dam:accessLevel ?level ; dam:department ?d . ?d skos:notation ?dept }"
)


class ResultsFileError(ValueError):
    """The file or body cannot be read as results (not CSV, not UTF-8, no header)."""


@dataclass(frozen=True)
class AssetHome:
    """Where an asset's results go, and who owns it."""

    access: str
    department: str
    department_iri: NamedNode
    graph: NamedNode


@dataclass
class ImportSummary:
    rows: int = 0
    added: int = 0
    replaced: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    campaigns_created: list[tuple[str, str]] = field(default_factory=list)  # (IRI, name)

    def lines(self) -> list[str]:
        lines = [
            f"{self.rows:,} rows: {self.added:,} added, {self.replaced:,} replaced, "
            f"{len(self.refused):,} refused"
        ]
        lines += [f"row {row}: {reason}" for row, reason in self.refused]
        lines += [f"created campaign {name} <{iri}>" for iri, name in self.campaigns_created]
        return lines

    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "added": self.added,
            "replaced": self.replaced,
            "refused": [{"row": row, "reason": reason} for row, reason in self.refused],
            "campaigns_created": [
                {"iri": iri, "name": name} for iri, name in self.campaigns_created
            ],
        }


@dataclass
class _Parsed:
    row: int
    asset_name: str
    asset: NamedNode | None
    campaign: str
    observation: Observation


@dataclass
class _NewCampaign:
    iri: NamedNode
    start: dt.date
    end: dt.date
    channels: dict[str, None]
    created: tuple[dt.date, dt.date]


Rows = Path | TextIO | Iterable[Mapping[str, object]]


class ResultsImporter:
    """``ResultsImporter(atrium).run(path_or_rows)``; with ``may_record``, only the assets it
    allows take results, and the others are refused exactly like unknown assets. ``bulk``:
    new observations go through the store's bulk loader (:meth:`Observations.write`), for
    large files loaded from the command line. ``actor``: who creates the campaigns named
    that do not exist yet."""

    def __init__(
        self,
        atrium,  # noqa: ANN001 - app.service.Atrium
        may_record: Callable[[AssetHome], bool] | None = None,
        batch_rows: int = BATCH_ROWS,
        *,
        bulk: bool = False,
        actor: Actor = CLI_ACTOR,
    ) -> None:
        self.atrium = atrium
        self.bulk = bulk
        self.actor = actor
        self.iris = atrium.iris
        self.may_record = may_record
        self.batch_rows = batch_rows
        self.campaigns = atrium.campaigns
        self._homes: dict[str, AssetHome | None] = {}
        self._graphs: dict[str, NamedNode] = {}  # the results graph of each asset found
        self._concepts: ConceptIndex | None = None
        self._resolved: dict[tuple[str, str], NamedNode | str] = {}
        self._campaign_names: dict[str, str] = {}
        self._new: dict[str, _NewCampaign] = {}
        self._shape_checked: dict[tuple[str, ...], list[str]] = {}

    def run(self, source: Rows) -> ImportSummary:
        summary = ImportSummary()
        self._concepts = self.atrium.concepts()
        self._campaign_names = self.campaigns.names()
        if isinstance(source, Path):
            try:
                with source.open(encoding="utf-8-sig", newline="") as text:
                    self._run(_csv_rows(text), summary)
            except OSError as error:
                raise ResultsFileError(f"cannot read {source}: {error.strerror}") from None
        elif isinstance(source, io.TextIOBase):
            self._run(_csv_rows(source), summary)
        else:
            self._run(source, summary)
        self._finish_campaigns(summary)
        return summary

    def _run(self, rows: Iterable[Mapping[str, object]], summary: ImportSummary) -> None:
        pending: list[_Parsed] = []
        for number, row in enumerate(_checked_rows(rows), start=1):
            summary.rows = number
            parsed = self._parse(number, row, summary)
            if parsed is not None:
                pending.append(parsed)
            if len(pending) >= self.batch_rows:
                self._flush(pending, summary)
                pending = []
        self._flush(pending, summary)

    # --- one row ---------------------------------------------------------------------------

    def _parse(
        self, number: int, row: Mapping[str, object], summary: ImportSummary
    ) -> _Parsed | None:
        values = {name: _text(row.get(name)) for name in (*REQUIRED, *AMOUNTS)}
        reasons = [f"missing column {n}" for n in REQUIRED if values[n] is None]
        reasons += [f"no {n} given" for n in REQUIRED if values[n] == ""]
        if reasons:
            summary.refused.append((number, "; ".join(reasons)))
            return None
        segment = self._concept(values["segment"], "audiences", "segment")
        channel = self._concept(values["channel"], "channels", "channel")
        reasons = [r for r in (segment, channel) if isinstance(r, str)]
        dates = {n: _date(n, values[n]) for n in ("start", "end")}
        counts = {n: _count(n, values[n]) for n in COUNTS}
        amounts = {n: _amount(n, values[n]) for n in AMOUNTS}
        reasons += [
            v for v in (*dates.values(), *counts.values(), *amounts.values()) if isinstance(v, str)
        ]
        if reasons:
            summary.refused.append((number, "; ".join(reasons)))
            return None
        observation = Observation(
            asset=self._asset(values["asset"]) or _PLACEHOLDER,
            segment=segment,  # type: ignore[arg-type]
            channel=channel,  # type: ignore[arg-type]
            campaign=_PLACEHOLDER,
            **dates,  # type: ignore[arg-type]
            **counts,  # type: ignore[arg-type]
            **amounts,  # type: ignore[arg-type]
        )
        found = problems(observation)
        if found:
            summary.refused.append((number, "; ".join(map(str, found))))
            return None
        asset = None if observation.asset == _PLACEHOLDER else observation.asset
        return _Parsed(number, values["asset"], asset, values["campaign"], observation)  # type: ignore[arg-type]

    def _concept(self, name: str, slug: str, what: str) -> NamedNode | str:
        key = (slug, name)
        if key not in self._resolved:
            try:
                self._resolved[key] = self._concepts.resolve(name, slug)  # type: ignore[union-attr]
            except UnknownConcept as error:
                message = str(error)
                unknown = message.startswith("no concept")
                self._resolved[key] = f"unknown {what} {_quoted(name)}" if unknown else message
        return self._resolved[key]

    def _asset(self, name: str) -> NamedNode | None:
        if ASSET_ID.match(name):
            return self.iris.asset(name)
        asset_id = self.iris.asset_id(name)
        return self.iris.asset(asset_id) if asset_id else None

    # --- one batch -------------------------------------------------------------------------

    def _flush(self, pending: list[_Parsed], summary: ImportSummary) -> None:
        self._look_up_homes({p.asset.value for p in pending if p.asset is not None})
        accepted: list[tuple[int, Observation]] = []
        for parsed in pending:
            home = self._homes.get(parsed.asset.value) if parsed.asset is not None else None
            if home is None or (self.may_record is not None and not self.may_record(home)):
                unknown = f"unknown asset {_quoted(parsed.asset_name)}"
                summary.refused.append((parsed.row, FORBIDDEN if self.may_record else unknown))
                continue
            campaign = self._campaign(parsed, home, summary)
            accepted.append(
                (parsed.row, dataclasses.replace(parsed.observation, campaign=campaign))
            )
        accepted = self._shape_checked_rows(accepted, summary)
        added, replaced = self.atrium.observations.write(
            [o for _, o in accepted], self._graphs, bulk=self.bulk
        )
        summary.added += added
        summary.replaced += replaced

    def _look_up_homes(self, assets: set[str]) -> None:
        new = sorted(a for a in assets if a not in self._homes)
        if not new:
            return
        self._homes.update(dict.fromkeys(new))
        found = self.atrium.store.select_values(
            _HOMES, [NamedNode(a) for a in new], scope=Scope.everything()
        )
        for row in found:
            access = row["level"].value.rsplit("#", 1)[-1].lower()
            department = row["dept"].value
            graph = self.iris.results_graph(access, department)
            self._homes[row["asset"].value] = AssetHome(access, department, row["d"], graph)
            self._graphs[row["asset"].value] = graph

    def _campaign(self, parsed: _Parsed, home: AssetHome, summary: ImportSummary) -> NamedNode:
        key = parsed.campaign.casefold()
        observation = parsed.observation
        if key not in self._campaign_names:
            iri = self.campaigns.create(
                parsed.campaign, home.department_iri, observation.start, observation.end,
                [observation.channel], self.actor,
            )  # fmt: skip
            self._campaign_names[key] = iri.value
            period = (observation.start, observation.end)
            self._new[iri.value] = _NewCampaign(iri, *period, {}, period)
            summary.campaigns_created.append((iri.value, parsed.campaign))
        iri = self._campaign_names[key]
        if iri in self._new:
            new = self._new[iri]
            new.start, new.end = min(new.start, observation.start), max(new.end, observation.end)
            new.channels[observation.channel.value] = None
        return NamedNode(iri)

    def _shape_checked_rows(
        self, accepted: list[tuple[int, Observation]], summary: ImportSummary
    ) -> list[tuple[int, Observation]]:
        kept = []
        for row, observation in accepted:
            signature = (
                observation.segment.value,
                observation.channel.value,
                *(str(getattr(observation, n) is None) for n in AMOUNTS),
            )
            if signature not in self._shape_checked:
                self._shape_checked[signature] = self._shape_problems(observation)
            found = self._shape_checked[signature]
            if found:
                summary.refused.append((row, "; ".join(found)))
            else:
                kept.append((row, observation))
        return kept

    def _shape_problems(self, observation: Observation) -> list[str]:
        context = self._concepts.context_triples([observation.segment, observation.channel])  # type: ignore[union-attr]
        found = self.atrium.observations.shape_problems([observation], context)
        return [p.field_and_message_in("en") for each in found.values() for p in each]

    def _finish_campaigns(self, summary: ImportSummary) -> None:
        """Widen each campaign created to the period and channels of all its rows."""
        for new in self._new.values():
            channels = list(new.channels)
            if (new.start, new.end) != new.created or len(channels) > 1:
                self.campaigns.set_period(new.iri, new.start, new.end, channels)
        summary.refused.sort()


def _checked_rows(rows: Iterable[Mapping[str, object]]) -> Iterator[Mapping[str, object]]:
    for row in rows:
        if not isinstance(row, Mapping):
            raise ResultsFileError("each row must be an object of column names and values")
        yield row


def _csv_rows(text: TextIO) -> Iterator[dict[str, str]]:
    try:
        reader = csv.DictReader(text)
        if reader.fieldnames is None:
            raise ResultsFileError("the file is empty: it needs a header row of column names")
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
        yield from reader
    except (csv.Error, UnicodeDecodeError) as error:
        raise ResultsFileError(f"not readable as UTF-8 CSV: {error}") from None


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip()


def _quoted(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def _date(name: str, value: str) -> dt.date | str:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return f"{name} is not a date like 2026-03-01: {_quoted(value)}"


def _count(name: str, value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return f"{name} is not a whole number: {_quoted(value)}"


def _amount(name: str, value: str | None) -> Decimal | None | str:
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        return f"{name} is not an amount like 1250.50: {_quoted(value)}"
    return Decimal(format(amount, "f"))
