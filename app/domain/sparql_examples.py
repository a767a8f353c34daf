"""Example queries for the query page: each teaches one part of Atrium's model.

Their text is built with the configured base IRI (``vocab:``, ``dept:`` prefixes), and every
one runs against the demo collection in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.iris import Iris
from app.namespaces import PREFIXES


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    teaches: str
    body: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "assets-per-department",
        "Assets per department",
        "Every asset has one owning department (dam:department), a concept of the departments "
        "scheme with labels in several languages.",
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
        "Most used subjects",
        "Assets link to subject concepts with dct:subject; the concepts live in SKOS schemes.",
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
        "Assets about people (a concept and everything narrower)",
        "skos:broader* walks down a concept's subtree: staff portraits, teams, customers… are "
        "all people.",
        """SELECT ?asset ?title ?concept WHERE {
  ?concept skos:broader* subjects:people .
  ?asset a dam:Asset ; dct:subject ?concept ; dct:title ?title .
}
ORDER BY ?title""",
    ),
    Example(
        "hr-consent-expiring",
        "HR images whose consent expires this year",
        "Department profiles add fields: HR images carry dam:consentGiven and "
        "dam:consentExpires (an xsd:date).",
        """SELECT ?asset ?title ?expires WHERE {
  ?asset a dam:Asset ; dam:department dept:hr ; dam:consentExpires ?expires .
  OPTIONAL { ?asset dct:title ?title }
  FILTER(YEAR(?expires) = YEAR(NOW()))
}
ORDER BY ?expires""",
    ),
    Example(
        "marketing-by-segment",
        "Marketing results by segment",
        "Marketing assets name their segments (schema:audience) and channels (dam:channel); "
        "performance figures, where recorded, are schema:interactionStatistic counters.",
        """SELECT ?segment (COUNT(DISTINCT ?asset) AS ?assets)
       (SUM(COALESCE(?count, 0)) AS ?interactions) WHERE {
  ?asset a dam:Asset ; dam:department dept:marketing ; schema:audience ?audience .
  ?audience skos:prefLabel ?segment .
  FILTER(LANG(?segment) = "en")
  OPTIONAL { ?asset schema:interactionStatistic/schema:userInteractionCount ?count }
}
GROUP BY ?segment
ORDER BY DESC(?assets)""",
    ),
)


def prologue(iris: Iris) -> str:
    """PREFIX lines for the standard namespaces and for Atrium's own vocabularies."""
    prefixes = dict(PREFIXES)
    prefixes.update(
        vocab=iris.vocab_base,
        dept=f"{iris.vocab_base}departments/",
        subjects=f"{iris.vocab_base}subjects/",
    )
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())


def example_query(example: Example, iris: Iris) -> str:
    return f"{prologue(iris)}\n{example.body}\n"


def default_query(iris: Iris) -> str:
    return example_query(EXAMPLES[0], iris)
