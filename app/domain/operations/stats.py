"""What the store holds, for ``atrium stats`` and monitoring."""

from __future__ import annotations

from app.domain.people.access import ACCESS_NAMES
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

_COUNTS = (
    sparql_prefixes()
    + """
SELECT
  (COUNT(DISTINCT ?asset) AS ?assets)
  (SUM(IF(BOUND(?incomplete), 1, 0)) AS ?incomplete)
WHERE { ?asset a dam:Asset . OPTIONAL { ?asset dam:incomplete true . BIND(1 AS ?incomplete) } }
"""
)
_CONCEPTS = sparql_prefixes() + "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a skos:Concept }"
_SCHEMES = sparql_prefixes() + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a skos:ConceptScheme }"
_BY_DEPARTMENT = (
    sparql_prefixes()
    + """
SELECT ?key (COUNT(?asset) AS ?n) WHERE {
  ?asset a dam:Asset ; dam:department ?d . ?d skos:notation ?key
}
GROUP BY ?key ORDER BY ?key
"""
)
_BY_ACCESS = (
    sparql_prefixes()
    + """
SELECT ?key (COUNT(?asset) AS ?n) WHERE { ?asset dam:accessLevel ?key } GROUP BY ?key
"""
)


def store_stats(store: GraphStore) -> dict[str, object]:
    """Counts of assets, concepts, schemes and triples, by department and by access level."""
    everything = Scope.everything()

    def number(query: str, name: str = "n") -> int:
        rows = store.select(query, scope=everything)
        return int(rows[0][name].value) if rows and name in rows[0] else 0

    def grouped(query: str) -> dict[str, int]:
        return {
            row["key"].value: int(row["n"].value) for row in store.select(query, scope=everything)
        }

    by_access = {ACCESS_NAMES.get(k, k): n for k, n in grouped(_BY_ACCESS).items()}
    return {
        "assets": number(_COUNTS, "assets"),
        "incomplete": number(_COUNTS, "incomplete"),
        "concepts": number(_CONCEPTS),
        "schemes": number(_SCHEMES),
        "triples": store.triple_count(),
        "graphs": len(store.graphs()),
        "by_department": grouped(_BY_DEPARTMENT),
        "by_access": {level: by_access.get(level, 0) for level in ACCESS_NAMES.values()},
    }
