"""An asset's record as a value: the draft a write stores, its version, the access rule, and
the errors a write raises. The repository (repository.py) reads and writes them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.validation import Problem, ValidationReport
from app.domain.people.access import ACCESS_LEVELS
from app.domain.people.audit import AuditEvent
from app.messages import M_, Message
from app.namespaces import DAM, XSD

TRUE = Literal("true", datatype=XSD.boolean)
VERSION_DIGITS = 20  # of hex: 80 bits, ample to tell one record's versions apart
INCOMPLETE_ACCESS = "restricted"  # where an incomplete asset is kept (see access_allowed)


def access_allowed(access: str, *, complete: bool) -> str:
    """The access level an asset may have: an incomplete asset cannot be public (the core
    shape forbids it), so it is kept restricted until its department's required fields are
    filled. The one place that decides it, for ingest, uploads, profiles and access changes."""
    return INCOMPLETE_ACCESS if access == "public" and not complete else access


def changed_paths(iri: NamedNode, old: list[Triple], new: list[Triple]) -> list[NamedNode]:
    """The property paths of the asset whose values differ between two of its records; a change
    under the asset (its file, a rendition) names the property that links to it."""
    differ = set(old) ^ set(new)
    paths = {t.predicate for t in differ if t.subject == iri}
    parts = {t.subject for t in differ if t.subject != iri}
    paths |= {t.predicate for t in (*old, *new) if t.subject == iri and t.object in parts}
    return sorted(paths, key=lambda path: path.value)


def record_version(triples: Iterable[Triple]) -> str:
    """The version of an asset record: a hash of its triples, in whatever order they come.

    It is derived from the record itself, so every write changes it, whichever path made it
    (a form, an access change, SPARQL Update, a profile import), and nothing stores it.
    """
    lines = sorted({str(triple) for triple in triples})
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:VERSION_DIGITS]


class AssetConflict(Exception):
    """The record changed since the draft (or the person's form) was read: nothing was stored.

    ``current_version`` is the version stored now (None: the asset was deleted meanwhile);
    ``last`` the latest change the audit trail knows of, if any.
    """

    def __init__(self, asset_id: str, current_version: str | None, last: AuditEvent | None) -> None:
        self.asset_id = asset_id
        self.current_version = current_version
        self.last = last
        super().__init__(self.words())

    def words(self, since_opened: bool = True) -> Message:
        """What happened, for the person whose change it stopped (without "since you opened
        it" where they did not open the asset, as in a bulk action)."""
        if self.current_version is None:
            if since_opened:
                return M_("someone deleted this asset since you opened it")
            return M_("someone deleted this asset")
        last = self.last
        if last is None:
            if since_opened:
                return M_("someone else changed this asset since you opened it")
            return M_("someone else changed this asset")
        values = {"action": Message(last.action), "agent": last.agent, "time": _minute(last.time)}
        if since_opened:
            return M_(
                "someone else changed this asset since you opened it "
                "(%(action)s by %(agent)s at %(time)s UTC)",
                **values,
            )
        return M_(
            "someone else changed this asset (%(action)s by %(agent)s at %(time)s UTC)", **values
        )


def _minute(time: str) -> str:
    return time[:16].replace("T", " ")


class AssetRefused(Exception):
    """A write broke the core shape; ``report`` says which asset, which field, and why."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__("; ".join(str(problem) for problem in report.refusals))


@dataclass
class AssetDraft:
    """An asset's full record, ready to validate and store."""

    asset_id: str
    iri: NamedNode
    department: str
    access: str
    triples: list[Triple]
    context: list[Triple] = field(default_factory=list)  # rdf:type/inScheme of linked concepts
    version: str | None = None  # of the stored record it was read from; None: not read from one

    def with_flags(self, incomplete: bool) -> list[Triple]:
        """The record with its access level and incomplete flag set as decided."""
        kept = [t for t in self.triples if t.predicate not in (DAM.accessLevel, DAM.incomplete)]
        kept.append(Triple(self.iri, DAM.accessLevel, ACCESS_LEVELS[self.access]))
        if incomplete:
            kept.append(Triple(self.iri, DAM.incomplete, TRUE))
        return kept


@dataclass
class SaveResult:
    asset_id: str
    access: str
    missing: list[Problem]

    @property
    def incomplete(self) -> bool:
        return bool(self.missing)
