"""Example queries for the query page: each teaches one part of Atrium's model.

Their text is built with the configured base IRI (``vocab:``, ``dept:`` prefixes), and every
one runs against the demo collection in the tests. Besides the fixed ones, each department
profile gets an example written from its fields (:func:`examples`).

Titles and what each teaches are messages (:class:`~app.messages.Message`): English as
text, in the reader's language where the web shows them; a profile's example names its fields
by their ``sh:name`` in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.iris import Iris
from app.domain.shapes.fields import Field
from app.domain.shapes.registry import FieldRegistry
from app.messages import M_, Message
from app.namespaces import PREFIXES


@dataclass(frozen=True)
class Example:
    name: str
    title: Message
    teaches: Message
    body: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "assets-per-department",
        M_("Assets per department"),
        M_(
            "Every asset has one owning department (dam:department), a concept of the departments "
            "scheme with labels in several languages."
        ),
        """SELECT ?department (COUNT(?asset) AS ?assets) WHERE {
  ?asset a dam:Asset ; dam:department ?d .
  ?d skos:prefLabel ?department .
  FILTER(LANG(?department) = "en")
}
GROUP BY ?department
ORDER BY DESC(?assets)""",
    ),
    Example(
        "most-used-concepts",
        M_("Most used subjects"),
        M_("Assets link to subject concepts with dct:subject; the concepts live in SKOS schemes."),
        """SELECT ?concept ?label (COUNT(?asset) AS ?uses) WHERE {
  ?asset a dam:Asset ; dct:subject ?concept .
  OPTIONAL { ?concept skos:prefLabel ?label . FILTER(LANG(?label) = "en") }
}
GROUP BY ?concept ?label
ORDER BY DESC(?uses)
LIMIT 20""",
    ),
    Example(
        "assets-by-subtree",
        M_("Assets about people (a concept and everything narrower)"),
        M_(
            "skos:broader* walks down a concept's subtree: staff portraits, teams, customers… are "
            "all people."
        ),
        """SELECT ?asset ?title ?concept WHERE {
  ?concept skos:broader* subjects:people .
  ?asset a dam:Asset ; dct:subject ?concept ; dct:title ?title .
}
ORDER BY ?title""",
    ),
    Example(
        "results-per-segment",
        M_("Results per segment and channel (a segment includes its narrower ones)"),
        M_(
            "Results are W3C Data Cube observations (qb:Observation), each credited to the segment "
            "it reached (dam:segment). skos:broader* rolls them up: consumers include students and "
            "families, customers include every customer segment. The inner DISTINCT counts each "
            "observation once per segment; impressions, clicks and conversions are different "
            "measures, so each has its own sum and they are never added together."
        ),
        """SELECT ?segment ?segmentLabel ?channelLabel ?impressions ?clicks ?conversions WHERE {
  {
    SELECT ?segment ?channel (SUM(?i) AS ?impressions) (SUM(?c) AS ?clicks)
           (SUM(?v) AS ?conversions) WHERE {
      { SELECT DISTINCT ?o ?segment WHERE {
          ?o a qb:Observation ; dam:segment ?reached .
          ?reached skos:broader* ?segment .
      } }
      ?o dam:channel ?channel ; dam:impressions ?i ; dam:clicks ?c ; dam:conversions ?v .
    }
    GROUP BY ?segment ?channel
  }
  OPTIONAL { ?segment skos:prefLabel ?segmentLabel . FILTER(LANG(?segmentLabel) = "en") }
  OPTIONAL { ?channel skos:prefLabel ?channelLabel . FILTER(LANG(?channelLabel) = "en") }
}
ORDER BY ?segmentLabel ?channelLabel""",
    ),
    Example(
        "made-for-versus-reached",
        M_("Made for a segment versus results observed in it"),
        M_(
            "Two different claims: schema:audience says which segments an asset was made for; "
            "dam:segment on an observation says which segment its results were observed in. Per "
            "segment reached (rolled up through skos:broader*), this splits the results between "
            "assets made for it (their audience is the segment, inside it or includes it) and "
            "assets made for someone else, or for no segment at all."
        ),
        """SELECT ?segment ?segmentLabel ?madeForIt ?assets ?impressions ?clicks ?conversions
WHERE {
  {
    SELECT ?segment ?madeForIt (COUNT(DISTINCT ?asset) AS ?assets) (SUM(?i) AS ?impressions)
           (SUM(?c) AS ?clicks) (SUM(?v) AS ?conversions) WHERE {
      { SELECT DISTINCT ?o ?segment WHERE {
          ?o a qb:Observation ; dam:segment ?reached .
          ?reached skos:broader* ?segment .
      } }
      ?o dam:observedAsset ?asset ; dam:impressions ?i ; dam:clicks ?c ; dam:conversions ?v .
      BIND(EXISTS {
        ?asset schema:audience ?aimed .
        { ?aimed skos:broader* ?segment } UNION { ?segment skos:broader+ ?aimed }
      } AS ?madeForIt)
    }
    GROUP BY ?segment ?madeForIt
  }
  OPTIONAL { ?segment skos:prefLabel ?segmentLabel . FILTER(LANG(?segmentLabel) = "en") }
}
ORDER BY ?segmentLabel DESC(?madeForIt)""",
    ),
)


def examples(fields: FieldRegistry, language: str = "en") -> tuple[Example, ...]:
    """The fixed examples, then one per department profile, written from its fields (named
    in ``language``)."""
    return EXAMPLES + tuple(
        _profile_example(d, fields.profiles[d], language) for d in fields.departments
    )


def _profile_example(department: str, fields: tuple[Field, ...], language: str) -> Example:
    """The department's assets with the values of each field its profile adds."""
    shown = [f for f in fields if f.kind != "resource"]
    columns, patterns = [], []
    for f in shown:
        value = f"?{f.name}_value"
        if f.is_concept:
            label = f"?{f.name}_label"
            patterns.append(
                f"  OPTIONAL {{ ?asset <{f.path.value}> {value} .\n"
                f"             OPTIONAL {{ {value} skos:prefLabel {label} . "
                f'FILTER(LANG({label}) = "en") }} }}'
            )
            shown_value = f"COALESCE({label}, STR({value}))"
        else:
            patterns.append(f"  OPTIONAL {{ ?asset <{f.path.value}> {value} }}")
            shown_value = f"STR({value})"
        columns.append(f'(GROUP_CONCAT(DISTINCT {shown_value}; separator=", ") AS ?{f.name})')
    names = ", ".join(f"{f.name} ({f.label(language)})" for f in shown)
    body = (
        f"SELECT ?asset ?title {' '.join(columns)} WHERE {{\n"
        f"  ?asset a dam:Asset ; dam:department dept:{department} .\n"
        "  OPTIONAL { ?asset dct:title ?title }\n" + "\n".join(patterns) + "\n}\n"
        "GROUP BY ?asset ?title\nORDER BY ?title\nLIMIT 100"
    )
    return Example(
        f"profile-{department}",
        M_("What the %(department)s profile records", department=department),
        M_(
            "Each department's SHACL profile adds fields; the %(department)s profile's are "
            "%(fields)s. This query is written from the profile itself.",
            department=department,
            fields=names,
        ),
        body,
    )


def prologue(iris: Iris) -> str:
    """PREFIX lines for the standard namespaces and for Atrium's own vocabularies."""
    prefixes = dict(PREFIXES)
    prefixes.update(
        vocab=iris.vocab_base,
        dept=f"{iris.vocab_base}departments/",
        subjects=f"{iris.vocab_base}subjects/",
        audiences=f"{iris.vocab_base}audiences/",
        campaigns=f"{iris.vocab_base}campaigns/",
    )
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())


def example_query(example: Example, iris: Iris) -> str:
    return f"{prologue(iris)}\n{example.body}\n"


def default_query(iris: Iris) -> str:
    return example_query(EXAMPLES[0], iris)
