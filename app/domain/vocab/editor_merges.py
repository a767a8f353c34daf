"""Merges and reverts: the changes that may rewrite asset records.

A merge of A into B re-tags every asset linked to A (by any concept field of any shape, in
every asset graph: :mod:`.merge` says which merges make sense) with B, moves A's narrower
concepts under B, takes A out of the hierarchy and marks it ``owl:deprecated true`` with
``dct:isReplacedBy B``: A keeps its labels, so a search can still find the assets tagged with A
by them. A change that rewrites asset records (a merge, its revert) is planned and written
holding those assets' editing locks (:mod:`.asset_rewrites`), so it and an edit of one of them
never overwrite each other.
"""

from __future__ import annotations

from pyoxigraph import NamedNode, Quad

import app.domain.vocab.asset_rewrites as asset_rewrites
import app.domain.vocab.hierarchy as hierarchy
from app.domain.vocab.editor_base import (
    TRUE,
    EditorBase,
    NotFound,
    Refused,
    _label_of,
    _refuse_if,
)
from app.domain.vocab.hierarchy import quads
from app.domain.vocab.history import MERGED, REVERTED, Actor, Change, ChangeRecord
from app.messages import M_
from app.namespaces import DCT, OWL, SKOS
from app.storage.graphstore import Scope

_HIERARCHY = {SKOS.broader, SKOS.narrower, SKOS.related, SKOS.topConceptOf, SKOS.hasTopConcept}
_PRESENT = (
    "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES (?s ?p ?o ?g) {{ {rows} }} GRAPH ?g {{ ?s ?p ?o }} }}"
)


class MergeEditor(EditorBase):
    """Merging one concept into another, and reverting any earlier change."""

    def merge(self, source: NamedNode, target: NamedNode, version: str, actor: Actor) -> None:
        """Merge ``source`` into ``target`` (see the module's documentation)."""
        with self._lock:
            graph = self.graph_of(source)
            target_graph = self.graph_of(target)
            self._check_version(source, graph, version)

            def plan() -> Change:
                own, incoming = self._statements(source, graph)
                target_own, _ = self._statements(target, target_graph)
                problems = self.merges.problems(source, target, own, target_own)
                _refuse_if({"target": problems} if problems else {})
                change = Change(
                    "merged",
                    str(MERGED(source=_label_of(own), target=_label_of(target_own))),
                    [source, target],
                )
                change.removed += quads(
                    [t for t in own + incoming if t.predicate in _HIERARCHY], graph
                )
                hierarchy.move_children(
                    change, graph, target_graph, source, target, own, incoming, self._statements
                )
                replaced = [(OWL.deprecated, TRUE), (DCT.isReplacedBy, target)]
                change.added += [Quad(source, p, o, graph) for p, o in replaced]
                self.merges.retag(change, source, target)
                return change

            with asset_rewrites.planned_holding_locks(self.asset_locks, plan, self.iris) as change:
                self._apply(change, actor)

    def revert(self, change_iri: NamedNode, actor: Actor) -> None:
        """Apply the inverse of an earlier change, as a new change."""
        with self._lock:
            record = self.history.get(change_iri)
            if record is None:
                raise NotFound(f"no change <{change_iri.value}>")
            if record.reverted_by:
                raise Refused({"revert": [M_("this change has been reverted already")]})
            if not (record.added or record.removed):
                raise Refused(
                    {"revert": [M_("an import cannot be reverted; import the earlier file again")]}
                )
            touched = self.history.touched(change_iri)

            def plan() -> Change:  # checked again holding the locks of the assets it re-tags
                if not self._still_applies(record):
                    raise Refused({"revert": [M_("later changes touched the same statements; "
                                                 "revert them first, newest first")]})  # fmt: skip
                return Change(
                    "reverted",
                    str(REVERTED(change=record.summary)),
                    touched,
                    removed=record.added,
                    added=record.removed,
                    reverts=change_iri,
                )

            with asset_rewrites.planned_holding_locks(self.asset_locks, plan, self.iris) as change:
                self._apply(change, actor)

    def _still_applies(self, record: ChangeRecord) -> bool:
        """True when every statement the change added is there and none it removed is."""
        return self._present(record.added) == len(set(record.added)) and not self._present(
            record.removed
        )

    def _present(self, statements: list[Quad]) -> int:
        count = 0
        unique = sorted(set(statements), key=str)
        for start in range(0, len(unique), 500):
            rows = " ".join(
                f"({q.subject} {q.predicate} {q.object} {q.graph_name})"
                for q in unique[start : start + 500]
            )
            result = self.store.select(_PRESENT.format(rows=rows), scope=Scope.everything())
            count += int(result[0]["n"].value)
        return count
