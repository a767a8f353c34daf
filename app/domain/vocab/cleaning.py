"""``atrium vocab import --clean``: skosify (https://github.com/NatLibFi/Skosify) before import.

Skosify adds what SKOS implies (skos:inScheme, top concepts, skos:narrower for each
skos:broader), resolves two prefLabels in one language by moving one to altLabel, and with
``break_cycles=True`` removes a link of each broader cycle. It reports through the ``logging``
module; its messages are caught here and sorted into what it *did* and what it *could not fix*,
next to a count of the triples it added and removed per property.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import rdflib
import skosify

from app.domain.vocab.files import VocabularyFileError
from app.namespaces import PREFIXES

# Options passed to skosify (keyword arguments, as its Config names them).
SKOSIFY_OPTIONS = {
    "break_cycles": True,
    "mark_top_concepts": True,
    "narrower": True,
    "eliminate_redundancy": False,
    "preflabel_policy": "shortest",
}
_DID = ("removed", "removing", "choosing", "marking", "setting", "moving", "adding", "converting")
_EXAMPLES = 3


@dataclass
class CleaningReport:
    """What skosify changed, and what it warned about without fixing."""

    changes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    unfixed: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def clean(graph: rdflib.Graph) -> tuple[rdflib.Graph, CleaningReport]:
    """Run skosify on ``graph``; the cleaned graph, and what changed."""
    with _captured() as collected:
        try:
            cleaned = skosify.skosify(graph, **SKOSIFY_OPTIONS)
        except SystemExit as error:  # skosify exits when it cannot find a namespace
            raise VocabularyFileError("skosify could not clean the file") from error
    report = CleaningReport(changes=_triple_changes(graph, cleaned))
    skosify_records = [r for r in collected.records if not r.name.startswith("rdflib")]
    report.actions, report.unfixed = _sorted_messages(skosify_records)
    return cleaned, report


@contextmanager
def _captured() -> Iterator[_Collect]:
    """Collect log records; the root logger gets a handler so logging does not print them."""
    handler = _Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _triple_changes(before: rdflib.Graph, after: rdflib.Graph) -> list[str]:
    added = Counter(_qname(p) for _, p, _ in after - before)
    removed = Counter(_qname(p) for _, p, _ in before - after)
    lines = [f"added {n:,} {p}" for p, n in sorted(added.items())]
    return lines + [f"removed {n:,} {p}" for p, n in sorted(removed.items())]


def _qname(predicate: rdflib.term.Node) -> str:
    iri = str(predicate)
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _sorted_messages(records: list[logging.LogRecord]) -> tuple[list[str], list[str]]:
    """Skosify's messages, the repeated ones counted: (what it did, what it could not fix)."""
    did: dict[str, list[str]] = {}
    unfixed: dict[str, list[str]] = {}
    for record in records:
        message = record.getMessage()
        lowered = message.lower()
        if any(word in lowered for word in _DID):
            did.setdefault(_kind(message), []).append(message)
        elif record.levelno >= logging.WARNING:
            unfixed.setdefault(_kind(message), []).append(message)
    return _summarise(did), _summarise(unfixed)


def _kind(message: str) -> str:
    """Messages that differ only in IRIs and numbers are of one kind."""
    return re.sub(r"\S*[:/0-9]\S*", "…", message)


def _summarise(groups: dict[str, list[str]]) -> list[str]:
    lines = []
    for messages in groups.values():
        unique = list(dict.fromkeys(messages))
        lines += unique[:_EXAMPLES]
        if len(unique) > _EXAMPLES:
            lines.append(f"… and {len(unique) - _EXAMPLES:,} more like the above")
    return lines
