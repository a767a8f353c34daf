"""The fields a person (or ``atrium ingest --set``) may fill in on an asset.

One table for the CLI, the forms and the asset page: each field's predicate, the kind of value
it takes, and for concept fields the scheme its values come from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from app.domain.vocabularies import ConceptIndex
from app.namespaces import DAM, DC, DCT, SCHEMA, XSD
from app.storage.graphstore import Term


@dataclass(frozen=True)
class Field:
    name: str
    predicate: NamedNode
    kind: str  # string | boolean | date | concept
    label: str
    scheme: str | None = None
    repeatable: bool = False


FIELDS: dict[str, Field] = {
    field.name: field
    for field in (
        Field("title", DCT.title, "string", "title"),
        Field("description", DCT.description, "string", "description"),
        Field("creator", DC.creator, "string", "creator", repeatable=True),
        Field("copyright", DC.rights, "string", "copyright notice"),
        Field("rights", DCT.rights, "concept", "rights statement", scheme="rights"),
        Field("keyword", SCHEMA.keywords, "string", "keyword", repeatable=True),
        Field("subject", DCT.subject, "concept", "subject", repeatable=True),
        Field("consentGiven", DAM.consentGiven, "boolean", "consent given"),
        Field("consentExpires", DAM.consentExpires, "date", "consent expires"),
        Field("site", DAM.site, "concept", "site", scheme="sites"),
        Field("eventDate", DAM.eventDate, "date", "event date"),
        Field("campaign", DAM.campaign, "string", "campaign"),
        Field("channel", DAM.channel, "concept", "channel", scheme="channels", repeatable=True),
        Field(
            "audience", SCHEMA.audience, "concept", "segment", scheme="audiences", repeatable=True
        ),
    )
}
FIELDS_BY_PREDICATE: dict[str, Field] = {f.predicate.value: f for f in FIELDS.values()}


def field_named(name: str) -> Field:
    """A field by its short name (``consentGiven``) or prefixed name (``dam:consentGiven``)."""
    short = name.strip().split(":")[-1]
    if short not in FIELDS:
        raise ValueError(f"unknown field {name!r}; known fields: {', '.join(FIELDS)}")
    return FIELDS[short]


def parse_value(field: Field, text: str, concepts: ConceptIndex) -> Term:
    """The RDF value of ``text`` for ``field``; ValueError with a readable reason if it is bad."""
    text = text.strip()
    if not text:
        raise ValueError(f"{field.label}: empty value")
    if field.kind == "concept" and field.scheme is None:
        return concepts.resolve_subject(text)
    if field.kind == "concept":
        return concepts.resolve(text, field.scheme)
    if field.kind == "boolean":
        if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError(f"{field.label}: {text!r} is not true or false")
        return Literal(str(text.lower() in ("true", "yes", "1")).lower(), datatype=XSD.boolean)
    if field.kind == "date":
        try:
            return Literal(dt.date.fromisoformat(text).isoformat(), datatype=XSD.date)
        except ValueError:
            raise ValueError(f"{field.label}: {text!r} is not a date like 2027-03-31") from None
    return Literal(text)
