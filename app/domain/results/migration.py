"""Stores made before campaigns were concepts: free-text campaigns become campaign concepts.

Until the campaigns vocabulary, the marketing profile's campaign field (``dam:campaign``) was
text, and assets held the campaign's name as a literal. Profiles are installed only where a
department has none, so such a store keeps the text profile after an upgrade. On
``Atrium.init()``, when the stored marketing profile's campaign field is of kind text,
:func:`migrate_campaigns`:

1. links every asset's literal ``dam:campaign`` value to the campaign concept of that name
   (by label or notation, :meth:`Campaigns.find`), creating the ones the campaigns
   vocabulary lacks (owned by the asset's department, with the channels of the assets that
   name it, no period); an empty name is dropped;
2. re-imports the shipped marketing profile through :meth:`Profiles.import_profile`, which
   re-validates the department's assets (re-flagging and auditing those it changes);
3. brings the search index up to date for every asset it touched.

Once the stored profile's field is a concept field, it does nothing: it is idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.concepts import SHAPES_DIR
from app.domain.iris import Iris
from app.domain.results.campaigns import Campaigns
from app.domain.search.index import SearchIndex
from app.domain.shapes.catalogue import ShapeCatalogue
from app.domain.shapes.profiles import Profiles
from app.namespaces import DAM, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope


class MigrationServices(Protocol):
    """What the migration needs of the service (:class:`app.service.Atrium`)."""

    @property
    def iris(self) -> Iris: ...

    @property
    def store(self) -> GraphStore: ...

    @property
    def shapes(self) -> ShapeCatalogue: ...

    @property
    def campaigns(self) -> Campaigns: ...

    @property
    def profiles(self) -> Profiles: ...

    @property
    def search_index(self) -> SearchIndex: ...


DEPARTMENT = "marketing"
SHIPPED_PROFILE = SHAPES_DIR / "profiles" / f"{DEPARTMENT}.ttl"
BATCH = 1000  # values rewritten per store update
TEXT = "text"

log = logging.getLogger(__name__)

_LITERALS = (
    sparql_prefixes()
    + """
SELECT ?g ?asset ?value ?dept ?channel WHERE {
  GRAPH ?g { ?asset a dam:Asset ; dam:campaign ?value . FILTER(isLiteral(?value))
             OPTIONAL { ?asset dam:department ?d } OPTIONAL { ?asset dam:channel ?channel } }
  OPTIONAL { ?d skos:notation ?dept }
}"""
)


@dataclass
class CampaignMigration:
    """What :func:`migrate_campaigns` did (nothing: ``ran`` is False)."""

    ran: bool = False
    values: int = 0  # literal values rewritten
    assets: set[str] = field(default_factory=set)  # asset IRIs touched
    linked: dict[str, str] = field(default_factory=dict)  # name → campaign IRI
    created: list[str] = field(default_factory=list)  # campaign IRIs minted
    dropped: int = 0  # empty names removed
    revalidated: int = 0
    withdrawn: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.ran:
            return []
        lines = [
            f"campaigns: linked {self.values} text values on {len(self.assets)} assets to "
            f"{len(set(self.linked.values()))} campaign concepts ({len(self.created)} created)"
        ]
        lines += [f"created campaign <{iri}>" for iri in self.created]
        if self.dropped:
            lines.append(f"dropped {self.dropped} empty campaign values")
        lines.append(
            f"re-imported the shipped {DEPARTMENT} profile: {self.revalidated} assets "
            f"re-validated, {len(self.withdrawn)} withdrawn to restricted"
        )
        return lines


def needs_migration(atrium: MigrationServices) -> bool:
    """Whether the stored marketing profile's campaign field is still text."""
    fields = atrium.shapes.registry.profiles.get(DEPARTMENT, ())
    campaign = next((f for f in fields if f.path == DAM.campaign), None)
    return campaign is not None and campaign.kind == TEXT


def migrate_campaigns(atrium: MigrationServices) -> CampaignMigration:
    """Turn free-text campaigns into concepts and install the concept profile (see module)."""
    report = CampaignMigration()
    if not needs_migration(atrium):
        return report
    report.ran = True
    rows = atrium.store.select(_LITERALS, scope=Scope.everything())
    values: dict[tuple[str, str, Literal], str | None] = {}  # (graph, asset, literal) → name
    owners: dict[str, str] = {}
    channels: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        literal = row["value"]
        name = literal.value.strip() or None
        values[(row["g"].value, row["asset"].value, literal)] = name
        if name is not None:
            owners.setdefault(name, row["dept"].value if "dept" in row else DEPARTMENT)
            if "channel" in row:
                channels[name].add(row["channel"].value)
    campaigns = atrium.campaigns
    for name, department in sorted(owners.items()):
        found = campaigns.find(name)
        if found is None:
            found = campaigns.create(
                name, department, None, None, [NamedNode(c) for c in sorted(channels[name])]
            )
            report.created.append(found.value)
        report.linked[name] = found.value
    _rewrite(atrium, values, report)
    impact = atrium.profiles.import_profile(atrium.profiles.read(SHIPPED_PROFILE), DEPARTMENT)
    report.revalidated = len(impact.become_complete) + len(impact.become_incomplete)
    report.withdrawn = impact.withdrawn
    ids = [i for i in (atrium.iris.asset_id(a) for a in sorted(report.assets)) if i]
    if ids:
        atrium.search_index.sync(ids)
    for line in report.lines():
        log.info("%s", line)
    return report


def _rewrite(
    atrium: MigrationServices,
    values: dict[tuple[str, str, Literal], str | None],
    report: CampaignMigration,
) -> None:
    """Replace each literal with its campaign's IRI, in the asset's own graph."""
    items = sorted(values.items(), key=lambda item: (item[0][0], item[0][1], item[0][2].value))
    for start in range(0, len(items), BATCH):
        deletes, inserts = [], []
        for (graph, asset, literal), name in items[start : start + BATCH]:
            g, subject = NamedNode(graph), NamedNode(asset)
            deletes.append(Quad(subject, DAM.campaign, literal, g))
            report.assets.add(asset)
            if name is None:
                report.dropped += 1
                continue
            inserts.append(Quad(subject, DAM.campaign, NamedNode(report.linked[name]), g))
            report.values += 1
        atrium.store.change_quads(deletes, inserts)
