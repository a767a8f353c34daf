"""Stores made before campaigns were concepts: ``Atrium.init()`` turns their free-text
campaigns into campaign concepts and installs the concept-kind marketing profile."""

from __future__ import annotations

import rdflib
from conftest import REPO
from pyoxigraph import Literal, NamedNode
from search_helpers import put_asset

from app.namespaces import DAM, SKOS, sparql_prefixes
from app.service import Atrium
from app.storage.graphstore import Scope

_OLD_CAMPAIGN = """
@prefix dam: <https://w3id.org/atrium/ns#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<shapes/profiles/marketing#campaign-value> a sh:PropertyShape ;
    sh:path dam:campaign ;
    dam:facet true ;
    sh:name "campaign"@en ;
    sh:description "The name of the campaign the asset was made for."@en ;
    sh:order 1 ;
    sh:datatype xsd:string ;
    sh:minLength 1 ;
    sh:message "must be the campaign's name, as text that is not empty"@en .
"""
_VALUES = sparql_prefixes() + "SELECT ?v WHERE { ?asset dam:campaign ?v }"
_CAMPAIGNS = sparql_prefixes() + "SELECT ?c WHERE { ?c a dam:Campaign }"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def old_store(atrium: Atrium) -> None:
    """Make the store look like one from before: the text profile, no campaigns vocabulary."""
    base = atrium.iris.vocab_base
    shapes = rdflib.Graph().parse(REPO / "shapes/profiles/marketing.ttl", publicID=base)
    shape = rdflib.URIRef(base + "shapes/profiles/marketing#campaign-value")
    shapes.remove((shape, None, None))
    for node in set(shapes.subjects(rdflib.RDF.type, SH.NodeShape)):
        if str(node).endswith("#CampaignConcept"):
            for _, _, member in shapes.triples((node, SH.property, None)):
                shapes.remove((member, None, None))
            shapes.remove((node, None, None))
    shapes.parse(data=_OLD_CAMPAIGN, format="turtle", publicID=base)
    atrium.shapes.store_shapes("marketing", shapes, "marketing")
    atrium.store.replace_graph(atrium.iris.vocab_graph("campaigns"), [])
    assert atrium.fields.profiles["marketing"][0].kind == "text"


def with_campaign(atrium: Atrium, title: str, name: str, **options: object) -> str:
    extra = [(DAM.campaign, Literal(name))]
    if "channel" in options:
        extra.append((DAM.channel, atrium.iris.concept(f"channels/{options.pop('channel')}")))
    return put_asset(atrium, title, extra=extra, **options)


def campaign_of(atrium: Atrium, asset_id: str) -> list[str]:
    rows = atrium.store.select(
        _VALUES, scope=Scope.everything(), bindings={"asset": atrium.iris.asset(asset_id)}
    )
    return sorted(row["v"].value for row in rows)


def test_init_links_text_campaigns_to_concepts_and_installs_the_concept_profile(
    atrium: Atrium,
) -> None:
    old_store(atrium)
    fair = with_campaign(atrium, "Stand at the fair", "Eurobike 2024")
    spring = with_campaign(atrium, "Spring poster", "Frühjahrskollektion 2025", access="internal")
    summer = with_campaign(atrium, "Summer sale flyer", "Summer sale 2025", channel="print")
    also_summer = with_campaign(atrium, "Summer sale banner", "Summer sale 2025", channel="web")
    assert atrium.assets.missing_fields(fair) == []

    atrium.init()

    report = atrium.migration
    assert report.ran and report.values == 4 and len(report.assets) == 4
    campaigns = atrium.iris.vocab_base + "campaigns/"
    assert campaign_of(atrium, fair) == [campaigns + "eurobike-2024"]
    assert campaign_of(atrium, spring) == [campaigns + "spring-collection-2025"]
    (created,) = report.created
    assert campaign_of(atrium, summer) == campaign_of(atrium, also_summer) == [created]
    record = {(t.predicate, t.object) for t in atrium.store.construct(
        "CONSTRUCT { ?c ?p ?o } WHERE { ?c ?p ?o }",
        scope=Scope.everything(),
        bindings={"c": NamedNode(created)},
    )}  # fmt: skip
    assert (SKOS.prefLabel, Literal("Summer sale 2025", language="en")) in record
    assert (DAM.department, atrium.iris.concept("departments/marketing")) in record
    assert {o for p, o in record if p == DAM.channel} == {
        atrium.iris.concept("channels/print"),
        atrium.iris.concept("channels/web"),
    }
    field = atrium.fields.profiles["marketing"][0]
    assert (field.kind, field.scheme, field.facet) == ("concept", campaigns.rstrip("/"), True)
    for asset_id in (fair, spring, summer, also_summer):
        assert atrium.assets.missing_fields(asset_id) == [], asset_id
        assert atrium.assets.access_of(asset_id)[0] in ("public", "internal")
    assert report.withdrawn == []
    assert any("1 created" in line for line in report.lines())


def test_the_migration_runs_once(atrium: Atrium) -> None:
    old_store(atrium)
    asset_id = with_campaign(atrium, "Stand at the fair", "Trade fair 2019")
    atrium.init()
    first = campaign_of(atrium, asset_id)
    count = len(atrium.store.select(_CAMPAIGNS, scope=Scope.everything()))
    atrium.init()
    assert not atrium.migration.ran and atrium.migration.lines() == []
    assert campaign_of(atrium, asset_id) == first
    assert len(atrium.store.select(_CAMPAIGNS, scope=Scope.everything())) == count


def test_an_empty_campaign_name_is_dropped(atrium: Atrium) -> None:
    old_store(atrium)
    asset_id = with_campaign(atrium, "Untitled draft", "  ")
    atrium.init()
    assert atrium.migration.dropped == 1 and atrium.migration.created == []
    assert campaign_of(atrium, asset_id) == []


def test_a_new_store_has_nothing_to_migrate(atrium: Atrium) -> None:
    assert not atrium.migration.ran
    assert atrium.fields.profiles["marketing"][0].kind == "concept"
    shipped = atrium.store.select(_CAMPAIGNS, scope=Scope.everything())
    assert len(shipped) == 24
