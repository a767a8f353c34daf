"""Describing an asset with a form: its fields, their values, what a person typed, and why a
write was refused, in words next to the field it is about.

The fields are the editable ones of the field registry (:mod:`app.domain.shapes`), the same
that ``atrium ingest --set`` fills: the core shape's, then those the department's profile adds,
each with a widget chosen by its kind and marked required where a shape asks for it
(``sh:minCount``). What a person typed is read field by field, so a malformed date or an
unknown concept is reported next to its field before anything is validated; a SHACL refusal
(:class:`~app.domain.assets.records.AssetRefused`) is put next to the field whose ``sh:path`` it
names, and the rest (access level, file) above the form. When someone else saved the asset since the
form was opened (:class:`~app.domain.assets.records.AssetConflict`), the form comes back with the
person's input and :func:`stored_differences` shows what is stored now.

A text field that takes one value per language (``sh:uniqueLang``, as title and description)
has one box per language the form offers, and one for a text of no stated language: the box of
language ``de`` is named ``title@de``, the other plain ``title``, so a client that posts a
single ``title`` still sets the one untagged title.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.records import AssetDraft
from app.domain.assets.validation import Problem
from app.domain.concepts import ConceptIndex
from app.domain.search.concept_lookup import ConceptLookup
from app.domain.shapes.fields import CHOICE, CONCEPT, Field
from app.domain.shapes.registry import FieldRegistry
from app.messages import M_, Message
from app.storage.graphstore import Term

EMPTY_SUBJECT_INPUTS = 3  # blank subject boxes a form offers, for more without JavaScript
_WIDGET_OF_KIND = {"boolean": "boolean", "date": "date", "datetime": "datetime",
                   "number": "number", CHOICE: "select"}  # fmt: skip


@dataclass
class FormField:
    """One field of the form, with its current values and what is wrong with them."""

    field: Field
    requirement: str = ""  # why it must be filled ("" when it need not be)
    help: str = ""
    label: str = ""
    values: list[str] = field(default_factory=list)  # as the form shows them
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) to choose from
    errors: list[str] = field(default_factory=list)
    languages: tuple[str, ...] = ()  # the languages of a one-per-language field's boxes
    by_language: dict[str, str] = field(default_factory=dict)  # its texts ("": no language)
    language: str = "en"  # the reader's, for the shapes' words in what is wrong

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def per_language(self) -> bool:
        return self.field.kind == "langtext" and self.field.unique_lang and bool(self.languages)

    @property
    def language_boxes(self) -> list[tuple[str, str, str]]:
        """(language, input name, text) of each box of a one-per-language field."""
        return [
            (code, f"{self.name}@{code}" if code else self.name, self.by_language.get(code, ""))
            for code in ("", *self.languages)
        ]

    @property
    def widget(self) -> str:
        """How the form asks for it: text, lines, textarea, select, concepts, boolean, date,
        datetime, number, or languages (a box per language)."""
        if self.per_language:
            return "languages"
        kind = self.field.kind
        if kind == CONCEPT:
            return "concepts" if self.field.is_subject else "select"
        if kind in _WIDGET_OF_KIND:
            return _WIDGET_OF_KIND[kind]
        if self.field.repeatable:
            return "lines"
        return "textarea" if self.field.multiline else "text"

    @property
    def inputs(self) -> list[str]:
        """The values of a "concepts" field, plus empty boxes for more."""
        return self.values + [""] * EMPTY_SUBJECT_INPUTS


def form_fields(
    registry: FieldRegistry,
    department: str,
    vocabulary: ConceptLookup,
    language: str,
    record: Iterable[Triple] = (),
    asset: NamedNode | None = None,
    languages: tuple[str, ...] = (),
) -> list[FormField]:
    """The editable fields of ``department``'s assets, filled from ``record`` if given; a
    one-per-language field offers a box for each of ``languages``."""
    fields = [_form_field(f, language, languages) for f in registry.editable(department)]
    current = [t for t in record if asset is None or t.subject == asset]
    for form_field in fields:
        _fill(form_field, vocabulary, language, current)
    return fields


def _form_field(chosen: Field, language: str, languages: tuple[str, ...]) -> FormField:
    requirement = ""
    if chosen.required:
        requirement = (
            f"required by the {chosen.department} profile" if chosen.department else "required"
        )
    help_text, label = chosen.description(language), chosen.label(language)
    return FormField(chosen, requirement, help_text, label, languages=languages, language=language)


def _fill(form_field: FormField, vocabulary: ConceptLookup, language: str, record: list) -> None:
    found = [t.object for t in record if t.predicate == form_field.field.path]
    if form_field.widget == "concepts":
        form_field.values = [vocabulary.label(o.value, language) for o in found]
    elif form_field.per_language:
        form_field.by_language = {_language_of(o): o.value for o in found}
        form_field.languages = _with_stored(form_field.languages, form_field.by_language)
        form_field.values = [o.value for o in found]
    else:
        form_field.values = [o.value for o in found]
    scheme = form_field.field.scheme
    if form_field.field.kind == CHOICE:
        form_field.options = [
            (c.value, c.value.rsplit("#", 1)[-1]) for c in form_field.field.choices
        ]
    elif scheme:
        form_field.options = sorted(
            ((iri, vocabulary.label(iri, language)) for iri, concept in vocabulary.concepts.items()
             if scheme in concept.schemes and not concept.deprecated),
            key=lambda option: option[1].casefold(),
        )  # fmt: skip


def _language_of(value: Term) -> str:
    return (value.language or "") if isinstance(value, Literal) else ""


def _with_stored(offered: tuple[str, ...], stored: Mapping[str, str]) -> tuple[str, ...]:
    """The languages offered, and after them those the record has besides (kept on save)."""
    return offered + tuple(sorted(code for code in stored if code and code not in offered))


def read_form(
    fields: list[FormField], form: Mapping, concepts: ConceptIndex
) -> dict[str, list[Term]]:
    """The values typed into each field (errors go to the fields); [] means cleared."""
    typed: dict[str, list[Term]] = {}
    for form_field in fields:
        if form_field.per_language:
            typed[form_field.name] = _read_languages(form_field, form, concepts)
            continue
        texts = _texts(form_field, form)
        form_field.values = texts
        values = []
        for text in texts:
            try:
                values.append(form_field.field.parse(text, concepts, form_field.language))
            except ValueError as error:  # UnknownConcept is one too
                form_field.errors.append(_without_field_name(str(error), form_field))
        if not form_field.field.repeatable and len(values) > 1:
            form_field.errors.append("takes one value")
        typed[form_field.name] = values
    return typed


def _read_languages(form_field: FormField, form: Mapping, concepts: ConceptIndex) -> list[Term]:
    """The texts of a one-per-language field's boxes: tagged with their box's language, but
    the plain box's, which states none."""
    form_field.by_language = {}
    values: list[Term] = []
    for code, name, _ in form_field.language_boxes:
        text = (form.get(name) or "").strip()
        if not text:
            continue
        form_field.by_language[code] = text
        try:
            value = form_field.field.parse(text, concepts, form_field.language)
        except ValueError as error:
            form_field.errors.append(_without_field_name(str(error), form_field))
            continue
        values.append(Literal(value.value, language=code) if code else value)
    form_field.values = list(form_field.by_language.values())
    return values


def _texts(form_field: FormField, form: Mapping) -> list[str]:
    raw = form.getlist(form_field.name)  # type: ignore[attr-defined]
    if form_field.widget == "lines":
        raw = [line for text in raw for line in text.splitlines()]
    return [text.strip() for text in raw if text and text.strip()]


def _without_field_name(message: str, form_field: FormField) -> str:
    prefix = f"{form_field.field.label(form_field.language)}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def apply_values(
    draft: AssetDraft,
    fields: list[FormField],
    typed: dict[str, list[Term]],
    concepts: ConceptIndex,
    *,
    keep_empty: bool,
) -> None:
    """Replace the draft's values of each typed field; ``keep_empty``: a blank field changes
    nothing (an upload keeps what the file's embedded metadata said)."""
    for name, values in typed.items():
        if keep_empty and not values:
            continue
        predicate = next(f.field.path for f in fields if f.name == name)
        draft.triples = [
            t for t in draft.triples if not (t.subject == draft.iri and t.predicate == predicate)
        ]
        draft.triples += [Triple(draft.iri, predicate, value) for value in values]
    linked = [t.object for t in draft.triples if isinstance(t.object, NamedNode)]
    draft.context = concepts.context_triples(linked)


def place_problems(
    fields: list[FormField], problems: Iterable[Problem], language: str = "en"
) -> list[str | Message]:
    """Put each problem next to its field, in ``language``; returns those about no field of
    the form. A message the shapes do not give (one of Atrium's own English sentences) stays a
    message id, for the web to translate where it shows it."""
    by_predicate = {f.field.path.value: f for f in fields}
    general: list[str | Message] = []
    for problem in problems:
        form_field = by_predicate.get(problem.path or "")
        message = problem.message_in(language)
        if form_field is not None:
            form_field.errors.append(message)
        elif problem.message_texts:
            general.append(f"{problem.field_in(language)}: {message}")
        else:
            field_name = problem.field_in(language)
            general.append(M_("%(field)s: %(message)s", field=field_name, message=Message(message)))
    return general


def stored_differences(typed: list[FormField], stored: list[FormField]) -> list[FormField]:
    """The fields of ``stored`` (a form filled from the record as it is now) whose values
    differ from what the person typed into ``typed``: what someone else changed, for the
    person to compare with their input after a conflict."""

    def comparable(values: list[str]) -> list[str]:
        return sorted(value.casefold() for value in values)

    mine = {form_field.name: comparable(form_field.values) for form_field in typed}
    return [f for f in stored if comparable(f.values) != mine.get(f.name, [])]
