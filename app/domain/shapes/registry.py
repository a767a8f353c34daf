"""The field registry: every field of the core shape and of each department profile.

Derived from the shapes alone (:mod:`app.domain.shapes.fields`); the CLI's ``--set``, the
forms, the asset page, the facets, the text index, the concept-usage guard, autocompletion and
the SPARQL examples all read it, so a new profile needs no Python change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from pyoxigraph import NamedNode

from app.domain.shapes.fields import CHOICE, CONCEPT, Field, UnknownField, sort_key


@dataclass(frozen=True)
class FieldRegistry:
    core: tuple[Field, ...]
    profiles: Mapping[str, tuple[Field, ...]]  # department notation → its profile's fields

    @classmethod
    def of(cls, core: Iterable[Field], profiles: Mapping[str, Iterable[Field]]) -> FieldRegistry:
        return cls(tuple(core), {d: tuple(fields) for d, fields in sorted(profiles.items())})

    @property
    def departments(self) -> tuple[str, ...]:
        """The departments that have a profile, in alphabetical order."""
        return tuple(self.profiles)

    def fields_for(self, department: str | None) -> list[Field]:
        """The core fields, then the department profile's (core ones win a shared path)."""
        core_paths = {f.path for f in self.core}
        own = [f for f in self.profiles.get(department or "", ()) if f.path not in core_paths]
        return [*self.core, *sorted(own, key=sort_key)]

    def editable(self, department: str | None) -> list[Field]:
        return [f for f in self.fields_for(department) if f.editable]

    def field(self, name: str, department: str | None = None) -> Field:
        """A field by its name (``consentGiven``) or prefixed name (``dam:consentGiven``)."""
        short = name.strip().split(":")[-1]
        for candidate in self.fields_for(department):
            if candidate.name == short and candidate.editable:
                return candidate
        known = ", ".join(f.name for f in self.editable(department))
        where = f" for the {department} department" if department else ""
        raise UnknownField(f"unknown field {name!r}{where}; known fields: {known}")

    @cached_property
    def all_fields(self) -> tuple[Field, ...]:
        """Each path once: the core field, else the first profile that declares it."""
        seen: dict[NamedNode, Field] = {}
        for candidate in (*self.core, *(f for fs in self.profiles.values() for f in fs)):
            seen.setdefault(candidate.path, candidate)
        return tuple(seen.values())

    def by_path(self, path: str) -> Field | None:
        return next((f for f in self.all_fields if f.path.value == path), None)

    @cached_property
    def concept_paths(self) -> tuple[NamedNode, ...]:
        """Every predicate by which an asset links a concept: what the usage guard counts."""
        return tuple(f.path for f in self.all_fields if f.kind == CONCEPT)

    @cached_property
    def claimed_schemes(self) -> frozenset[str]:
        """Schemes a concept field names; every other scheme holds subjects."""
        every = (*self.core, *(f for fields in self.profiles.values() for f in fields))
        return frozenset(f.scheme for f in every if f.kind == CONCEPT and f.scheme)

    def field_of_scheme(self, scheme: str | None) -> Field | None:
        """The field whose values come from ``scheme`` (None or unclaimed: the subject field)."""
        for candidate in self.all_fields:
            if candidate.kind == CONCEPT and candidate.scheme == scheme and scheme:
                return candidate
        return next((f for f in self.all_fields if f.is_subject), None)

    @cached_property
    def facets(self) -> tuple[Field, ...]:
        """The fields that are search facets: concept and choice fields unless opted out."""
        return tuple(f for f in self.all_fields if f.facet and f.kind != "resource")

    @cached_property
    def searchable(self) -> tuple[Field, ...]:
        return tuple(f for f in self.all_fields if f.searchable)

    @cached_property
    def facet_signature(self) -> str:
        """Changes whenever what the search index holds would: facets or searched fields."""
        parts = [f"{f.name} {f.path.value} {f.kind} {f.scheme}" for f in self.facets]
        parts += [f"searched {f.kind} {f.path.value}" for f in self.searchable]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


__all__ = ["CHOICE", "CONCEPT", "Field", "FieldRegistry", "UnknownField"]
