"""Department profiles managed as data: checked, previewed, imported without a restart.

Before a profile lands it must be (each refusal names the shape it is about, nothing stored):

1. valid SHACL: the shapes graph conforms to the SHACL-SHACL shapes graph (SHACL 1.0
   Appendix C), and uses SHACL Core only (Atrium does not run SHACL-SPARQL, §5);
2. about assets: a node shape with ``sh:targetClass dam:Asset``;
3. made of kinds Atrium knows (:data:`app.domain.shapes.fields.KNOWN_DATATYPES`);
4. tied to schemes that exist: every concept field's scheme is a stored ``skos:ConceptScheme``;
5. free of clashes: no field redefines a core field's path or takes a core field's name or a
   search page parameter's (``q``, ``page``…), and no field takes the name another department
   uses for another path.

An import first says what it changes: of the department's stored assets, which become
incomplete and which complete. Then it stores the profile and re-validates those assets; one
that becomes incomplete while public is withdrawn to restricted (the ingest rule), and listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import rdflib
from pyshacl import validate
from rdflib import URIRef
from rdflib.namespace import RDF, SH, XSD

from app.domain.assets.records import access_allowed
from app.domain.assets.repository import AssetRepository
from app.domain.assets.stored_literals import stored_datatype
from app.domain.assets.validation import Validator
from app.domain.concepts import department_names
from app.domain.iris import Iris
from app.domain.people.audit import Actor, AuditTrail
from app.domain.search.query import PARAMETERS as SEARCH_PARAMETERS
from app.domain.shapes.catalogue import ShapeCatalogue
from app.domain.shapes.fields import (
    ASSET_CLASS,
    CONCEPT,
    KNOWN_DATATYPES,
    Field,
    datatypes_of,
    field_shapes,
    read_fields,
)
from app.domain.vocab.files import VocabularyFileError, read_vocabulary
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.terms import to_rdflib_graph

BATCH = 200  # assets re-validated per SHACL run
_SPARQL_CONSTRAINTS = (SH.sparql, SH.SPARQLConstraint, SH.select, SH.ask, SH.SPARQLTarget)
_DEPARTMENT_ASSETS = (
    sparql_prefixes()
    + "SELECT ?asset WHERE { ?asset a dam:Asset ; dam:department ?department } ORDER BY ?asset"
)
_SCHEMES = sparql_prefixes() + "SELECT DISTINCT ?scheme WHERE { ?scheme a skos:ConceptScheme }"


class ProfileRefused(ValueError):
    """A profile that cannot be stored; ``problems`` say which shape and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ProfileImpact:
    """What storing a profile does to the department's assets (ids)."""

    department: str
    fields: list[Field]
    assets: int = 0
    become_incomplete: list[str] = field(default_factory=list)
    become_complete: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # were public, now restricted
    stored: bool = False


class Profiles:
    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        shapes: ShapeCatalogue,
        assets: AssetRepository,
        audit: AuditTrail,
    ) -> None:
        self.store = store
        self.iris = iris
        self.shapes = shapes
        self.assets = assets
        self.audit = audit

    def read(self, path: Path) -> rdflib.Graph:
        """Parse a profile file (Turtle, RDF/XML, N-Triples, JSON-LD) with Atrium's base."""
        try:
            return read_vocabulary(path, self.iris.vocab_base)
        except VocabularyFileError as error:
            raise ProfileRefused([str(error)]) from None

    def check(self, shapes: rdflib.Graph, department: str) -> list[Field]:
        """The profile's fields; ProfileRefused if it breaks a rule of the module docstring."""
        departments = department_names(self.store, self.shapes.registry)
        if department not in departments:
            known = ", ".join(departments)
            raise ProfileRefused([f"no department {department!r} (known: {known})"])
        problems = _shacl_problems(shapes)
        if not problems and not set(shapes.subjects(SH.targetClass, ASSET_CLASS)):
            problems.append("no node shape has sh:targetClass dam:Asset: it would check nothing")
        if problems:
            raise ProfileRefused(problems)
        fields = read_fields(shapes, department)
        problems += _unknown_kinds(shapes)
        problems += self._missing_schemes(fields)
        problems += self._clashes(fields, department)
        if problems:
            raise ProfileRefused(problems)
        return fields

    def preview(self, shapes: rdflib.Graph, department: str) -> ProfileImpact:
        """Check the profile and say what storing it would change; nothing is written."""
        impact = ProfileImpact(department, self.check(shapes, department))
        before = self.shapes.validator
        after = before.with_profile(department, shapes)
        for batch in self._batches(department):
            impact.assets += len(batch)
            was = _incomplete(before, self.assets.records_with_context(batch), department)
            now = _incomplete(after, self.assets.records_with_context(batch), department)
            impact.become_incomplete += sorted(now - was)
            impact.become_complete += sorted(was - now)
        return impact

    def import_profile(
        self,
        shapes: rdflib.Graph,
        department: str,
        *,
        dry_run: bool = False,
        agent: str | None = None,
    ) -> ProfileImpact:
        """Store the profile (after :meth:`preview`) and re-flag the assets it changes; each
        re-flagged asset gets a "changed" event by ``agent`` (None: the CLI) in the audit."""
        impact = self.preview(shapes, department)
        if dry_run:
            return impact
        self.shapes.store_shapes(department, shapes, department)
        for asset_iri in impact.become_incomplete + impact.become_complete:
            asset_id = self.iris.asset_id(asset_iri)
            if not asset_id:
                continue
            with self.assets.editing(asset_id):  # no edit lands between the read and the save
                draft = self.assets.stored_draft(asset_id)
                if draft is None:
                    continue
                complete = asset_iri not in impact.become_incomplete
                allowed = access_allowed(draft.access, complete=complete)
                if allowed != draft.access:
                    draft.access = allowed
                    impact.withdrawn.append(asset_iri)
                self.assets.save(draft, actor=Actor.of(agent))
        impact.stored = True
        return impact

    # --- checks -------------------------------------------------------------------------------

    def _missing_schemes(self, fields: list[Field]) -> list[str]:
        stored = {
            row["scheme"].value for row in self.store.select(_SCHEMES, scope=Scope.everything())
        }
        return [
            f"field {f.name}: the scheme <{f.scheme}> is not stored; import its vocabulary first "
            "(atrium vocab import FILE)"
            for f in fields
            if f.kind == CONCEPT and f.scheme and f.scheme not in stored
        ]

    def _clashes(self, fields: list[Field], department: str) -> list[str]:
        registry = self.shapes.registry
        core = {f.path: f for f in registry.core}
        core_names = {f.name: f for f in registry.core}
        others = {f.name: f for d, fs in registry.profiles.items() if d != department for f in fs}
        problems = []
        for own in fields:
            if own.name in SEARCH_PARAMETERS:
                problems.append(
                    f"field {own.name}: the name is a parameter of the search page; use a "
                    "property with another local name"
                )
            elif own.path in core:
                problems.append(
                    f"field {own.name}: <{own.path.value}> is a core field; a profile adds "
                    "fields, it cannot redefine the core ones"
                )
            elif own.name in core_names:
                problems.append(
                    f"field {own.name}: the name is taken by the core field <"
                    f"{core_names[own.name].path.value}>; use a property with another local name"
                )
            elif own.name in others and others[own.name].path != own.path:
                other = others[own.name]
                problems.append(
                    f"field {own.name}: the {other.department} profile uses this name for <"
                    f"{other.path.value}>; use a property with another local name"
                )
        return problems

    def _batches(self, department: str) -> Iterator[list]:
        rows = self.store.select(
            _DEPARTMENT_ASSETS,
            scope=Scope.everything(),
            bindings={"department": self.iris.concept(f"departments/{department}")},
        )
        assets = [row["asset"] for row in rows]
        for start in range(0, len(assets), BATCH):
            yield assets[start : start + BATCH]


def _incomplete(validator: Validator, records: list, department: str) -> set[str]:
    report = validator.check(to_rdflib_graph(records), department)
    return {problem.focus for problem in report.missing}


def _shacl_problems(shapes: rdflib.Graph) -> list[str]:
    """Problems with the shapes graph as SHACL: SHACL-SHACL results, and SHACL-SPARQL use."""
    problems = [
        f"shape {_short(s)}: uses SHACL-SPARQL ({_short(p)}), which Atrium does not run; "
        "write it with SHACL Core constraints"
        for s, p, _ in shapes
        if p in _SPARQL_CONSTRAINTS or (p == RDF.type and _ in _SPARQL_CONSTRAINTS)
    ]
    meta = rdflib.Graph().parse(
        str(resources.files("pyshacl") / "assets" / "shacl-shacl.ttl"), format="turtle"
    )
    conforms, report, _ = validate(shapes, shacl_graph=meta, inference="none")
    if not conforms:
        for result in report.objects(None, SH.result):
            focus = report.value(result, SH.focusNode)
            path = report.value(result, SH.resultPath)
            message = report.value(result, SH.resultMessage) or "is not valid SHACL"
            where = f" ({_short(path)})" if path is not None else ""
            problems.append(f"shape {_short(focus)}{where}: {message}")
    return sorted(set(problems))


def _unknown_kinds(shapes: rdflib.Graph) -> list[str]:
    problems = []
    for shape in field_shapes(shapes):
        for datatype in datatypes_of(shapes, shape):
            if datatype not in KNOWN_DATATYPES:
                known = ", ".join(sorted(_short(d) for d in KNOWN_DATATYPES))
                problems.append(
                    f"shape {_short(shape)}: sh:datatype {_short(datatype)} is not a kind Atrium "
                    f"knows; use one of {known}"
                )
            elif (kept := stored_datatype(datatype)) != datatype:
                problems.append(
                    f"shape {_short(shape)}: sh:datatype {_short(datatype)}: the store keeps such "
                    f"values as {_short(kept)}, so no stored value would match; use sh:datatype "
                    f"{_short(kept)} (with sh:minInclusive / sh:maxInclusive for a range)"
                )
    return problems


def _short(node: object) -> str:
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, namespace in (("sh:", str(SH)), ("xsd:", str(XSD)), ("rdf:", str(RDF))):
            if text.startswith(namespace):
                return prefix + text[len(namespace) :]
        return f"<{text}>"
    return str(node) if not isinstance(node, rdflib.BNode) else "(a blank node)"
