"""The field registry read from the shipped shapes: names, kinds, cardinality, groups."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from app.domain.shapes.fields import PROFILE_GROUP_ORDER, UnknownField, read_fields
from app.domain.shapes.registry import FieldRegistry
from app.namespaces import DAM, SCHEMA

REPO = Path(__file__).resolve().parents[1]
BASE = "http://atrium.test/vocab/"


def shapes(path: str) -> rdflib.Graph:
    return rdflib.Graph().parse(REPO / "shapes" / path, format="turtle", publicID=BASE)


@pytest.fixture(scope="module")
def registry() -> FieldRegistry:
    profiles = sorted((REPO / "shapes" / "profiles").glob("*.ttl"))
    return FieldRegistry.of(
        read_fields(shapes("core.ttl"), None),
        {p.stem: read_fields(shapes(f"profiles/{p.name}"), p.stem) for p in profiles},
    )


def test_every_shipped_department_has_a_profile(registry):
    assert registry.departments == (
        "heritage", "hr", "legal", "marketing", "operations", "publishing", "research", "training"
    )  # fmt: skip


def test_hr_fields_are_required_booleans_and_dates(registry):
    hr = registry.profiles["hr"]
    assert [(f.name, f.path, f.kind, f.required) for f in hr] == [
        ("consentGiven", DAM.consentGiven, "boolean", True),
        ("consentExpires", DAM.consentExpires, "date", True),
    ]
    assert all(f.department == "hr" and f.description() for f in hr)


def test_marketing_fields_are_optional_and_concepts_name_their_scheme(registry):
    marketing = {f.name: f for f in registry.profiles["marketing"]}
    assert [f.required for f in marketing.values()] == [False, False, False]
    assert marketing["audience"].path == SCHEMA.audience
    assert marketing["audience"].scheme == BASE + "audiences"
    assert marketing["channel"].facet and marketing["campaign"].facet
    assert marketing["campaign"].is_concept
    assert marketing["campaign"].scheme == BASE + "campaigns"


def test_labels_come_in_several_languages(registry):
    title = registry.field("title")
    assert (title.label("en"), title.label("de"), title.label("fr")) == ("title", "Titel", "titre")
    assert title.label("es") == "title"  # the fallback order: English first


def test_core_fields_atrium_fills_are_not_editable(registry):
    editable = [f.name for f in registry.editable(None)]
    assert editable == [
        "title", "description", "creator", "keywords", "copyrightNotice", "rights", "subject",
        "available", "expires",
    ]  # fmt: skip
    with pytest.raises(UnknownField, match="known fields: title"):
        registry.field("identifier")


def test_a_department_adds_its_own_fields_after_the_core_ones(registry):
    names = [f.name for f in registry.editable("legal")]
    assert names[-3:] == ["contractReference", "retentionUntil", "jurisdiction"]
    with pytest.raises(UnknownField, match="for the marketing department"):
        registry.field("contractReference", "marketing")


def test_profile_fields_without_a_group_go_under_the_profile(registry):
    consent = registry.field("consentGiven", "hr")
    assert consent.group.label() == "HR asset"
    assert consent.group.order == PROFILE_GROUP_ORDER
    assert registry.field("title").group.label("de") == "Beschreibung"


def test_sh_in_makes_a_choice_and_a_facet(registry):
    choices = [f for f in registry.all_fields if f.kind == "choice" and f.department]
    assert choices, "a shipped profile uses sh:in"
    assert all(f.facet and f.choices for f in choices)


def test_concept_paths_cover_every_concept_field(registry):
    concept_fields = {f.path for f in registry.all_fields if f.is_concept}
    assert set(registry.concept_paths) == concept_fields
    assert {"rights", "subject", "type", "department", "site", "channel"} <= {
        f.name for f in registry.all_fields if f.is_concept
    }


def test_the_subject_field_is_the_only_one_without_a_scheme(registry):
    assert [f.name for f in registry.all_fields if f.is_subject] == ["subject"]
    assert BASE + "subjects" not in registry.claimed_schemes
    assert BASE + "jurisdictions" in registry.claimed_schemes
