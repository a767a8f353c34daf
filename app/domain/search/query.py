"""What a search asks for: the parameters of ``/``, ``/search`` and ``/api/search``, parsed once.

Every state of the search page lives in its URL, so a search can be bookmarked and shared:

- ``q``: the text;
- one repeatable parameter per facet, named after its field, holding IRIs for concept fields
  and plain text for the others: ``?subject=IRI&subject=IRI&department=IRI&keywords=harbour``;
  values of one facet combine with OR, facets with AND;
- ``from`` and ``to``: a range of years, both included, of the first date facet (the date
  created, in the shipped shapes);
- ``sort`` (relevance, newest, oldest, title, or ``best:IRI``: best results for the segment
  IRI first, see :mod:`app.domain.results.performance`), ``page``, ``per_page``;
- ``expand``: the nodes of concept trees opened by the reader; ``more``: the facets shown
  with all their values.

:meth:`SearchQuery.params` writes them back in one canonical order, so one state has one URL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Protocol

from pyoxigraph import NamedNode

from app.messages import M_, Message

SORTS = ("relevance", "newest", "oldest", "title")
BEST = "best:"  # ``sort=best:IRI``: by the results in segment IRI (and below it)
PER_PAGE = 48
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_VALUES = 50  # values of one facet a query may choose
MAX_VALUE_CHARS = 2_000
MAX_TEXT_CHARS = 500
# The parameters that are not facets (``view`` and ``lang`` are the web page's): no facet may
# be named like one of them.
PARAMETERS = ("q", "from", "to", "sort", "page", "per_page", "expand", "more", "view", "lang")


class BadSearch(ValueError):
    """A search parameter is malformed; the message says what to change."""


class Args(Protocol):
    """Request parameters, as Werkzeug's ``MultiDict`` holds them."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    expand: tuple[str, ...] = ()
    more: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: Args, facets: Sequence[str]) -> SearchQuery:
        """The query that request parameters ``args`` describe; :class:`BadSearch` if malformed."""
        sort = (args.get("sort") or "relevance").strip()
        if sort not in SORTS and not _best_sort(sort):
            choices = ", ".join((*SORTS, f"{BEST}SEGMENT-IRI"))
            raise BadSearch(
                M_(
                    "unknown sort %(sort)s: use one of %(choices)s",
                    sort=repr(sort[:80]),
                    choices=choices,
                )
            )
        filters = {name: _values(args.getlist(name)) for name in facets}
        return cls(
            text=(args.get("q") or "").strip()[:MAX_TEXT_CHARS],
            filters={name: values for name, values in filters.items() if values},
            year_from=_number(args, "from", 1, 9999, M_("a year like 2019")),
            year_to=_number(args, "to", 1, 9999, M_("a year like 2024")),
            sort=sort,
            page=_number(args, "page", 1, MAX_PAGE, M_("a page from 1 to %(last)s", last=MAX_PAGE))
            or 1,
            per_page=_number(
                args, "per_page", 1, MAX_PER_PAGE, M_("1 to %(last)s", last=MAX_PER_PAGE)
            )
            or PER_PAGE,
            expand=_values(args.getlist("expand")),
            more=tuple(name for name in _values(args.getlist("more")) if name in facets),
        )

    @property
    def key(self) -> tuple:
        """The query as a hashable value: equal keys ask the same."""
        return tuple(
            (name, tuple(sorted(value.items())) if isinstance(value, Mapping) else value)
            for name, value in ((f.name, getattr(self, f.name)) for f in fields(self))
        )

    def selected(self, facet: str) -> tuple[str, ...]:
        return self.filters.get(facet, ())

    @property
    def order(self) -> str:
        """The sort in effect: relevance means newest first when there is no text."""
        return "newest" if self.sort == "relevance" and not self.text else self.sort

    @property
    def best_segment(self) -> str | None:
        """The segment IRI of ``sort=best:IRI``, else None."""
        return self.sort[len(BEST) :] if self.sort.startswith(BEST) else None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def params(self) -> list[tuple[str, str]]:
        """The parameters of this state, in canonical order, defaults left out."""
        params = [("q", self.text)] if self.text else []
        for name, values in self.filters.items():
            params += [(name, value) for value in values]
        for name, year in (("from", self.year_from), ("to", self.year_to)):
            if year is not None:
                params.append((name, str(year)))
        if self.sort != "relevance":
            params.append(("sort", self.sort))
        if self.per_page != PER_PAGE:
            params.append(("per_page", str(self.per_page)))
        params += [("expand", iri) for iri in self.expand]
        params += [("more", name) for name in self.more]
        if self.page != 1:
            params.append(("page", str(self.page)))
        return params

    def toggled(self, facet: str, value: str) -> SearchQuery:
        """This query with ``value`` of ``facet`` chosen, or no longer chosen (from page 1)."""
        values = self.selected(facet)
        changed = tuple(v for v in values if v != value) if value in values else (*values, value)
        filters = {**self.filters, facet: changed}
        return self.replace(filters={k: v for k, v in filters.items() if v})

    def expanded(self, iri: str) -> SearchQuery:
        """This query with one more node of the subject tree open (same page)."""
        return dataclasses.replace(self, expand=(*self.expand, iri))

    def replace(self, **changes: object) -> SearchQuery:
        """A copy with ``changes``, back on page 1 unless a page is given."""
        changes.setdefault("page", 1)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_empty(self) -> bool:
        """True for the plain list: no text, no filter."""
        return not (self.text or self.filters or self.year_from or self.year_to)


def _best_sort(sort: str) -> bool:
    """Whether ``sort`` is ``best:`` and an absolute IRI (checked as pyoxigraph checks it)."""
    iri = sort[len(BEST) :]
    if not sort.startswith(BEST) or len(iri) > MAX_VALUE_CHARS:
        return False
    if not iri.startswith(("http://", "https://")):
        return False
    try:
        NamedNode(iri)
    except ValueError:
        return False
    return True


def _values(raw: list[str]) -> tuple[str, ...]:
    """Distinct non-empty values, in the order given, within the limits."""
    kept = dict.fromkeys(v.strip()[:MAX_VALUE_CHARS] for v in raw if v and v.strip())
    return tuple(kept)[:MAX_VALUES]


def _number(args: Args, name: str, low: int, high: int, wanted: Message) -> int | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadSearch(M_("%(given)s is not %(wanted)s", given=f"{name}={text!r}", wanted=wanted))
    return int(text)
