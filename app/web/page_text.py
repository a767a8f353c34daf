"""The templates' words and numbers, looked up once per page rather than once per string.

Flask-Babel's template ``gettext`` finds the reader's catalogue anew for every string, through
the request context, and ``format_decimal`` parses the locale's number pattern for every
count. A search page shows some 170 strings and 60 counts, so that lookup was a fifth of the
page's time. Here the catalogue and the locale are looked up once per render, and a count is
formatted once per locale.

The callables take the evaluation context rather than the whole context: Jinja derives a new
context for each call of a ``pass_context`` callable inside a loop.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import NamedTuple

from babel.numbers import format_decimal as babel_format_decimal
from babel.support import Translations
from flask import Flask
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

FORMATTED_COUNTS = 4096  # distinct (locale, count) pairs kept formatted


class _Render(NamedTuple):
    catalogue: Translations
    locale: str


# The current render's catalogue and locale, set by a context processor at the start of every
# render. A context variable rather than the render's context: a macro imported without
# context keeps the context of the first render that imported it.
_RENDER: ContextVar[_Render | None] = ContextVar("atrium_render", default=None)


def _start_render() -> dict[str, object]:
    _RENDER.set(_looked_up())
    return {}


def _current() -> _Render:
    return _RENDER.get() or _looked_up()


def _looked_up() -> _Render:
    return _Render(get_translations(), str(get_locale() or "en"))


@pass_eval_context
def _gettext(render: EvalContext, message: str, **variables: object) -> str:
    return _formatted(render, _current().catalogue.ugettext(message), variables)


@pass_eval_context
def _ngettext(
    render: EvalContext, singular: str, plural: str, number: int, **variables: object
) -> str:
    variables.setdefault("num", number)
    return _formatted(render, _current().catalogue.ungettext(singular, plural, number), variables)


@pass_eval_context
def _pgettext(render: EvalContext, where: str, message: str, **variables: object) -> str:
    variables.setdefault("context", where)
    return _formatted(render, _current().catalogue.upgettext(where, message), variables)


@pass_eval_context
def _npgettext(
    render: EvalContext, where: str, singular: str, plural: str, number: int, **variables: object
) -> str:
    variables.setdefault("context", where)
    variables.setdefault("num", number)
    text = _current().catalogue.unpgettext(where, singular, plural, number)
    return _formatted(render, text, variables)


def _formatted(render: EvalContext, text: str, variables: dict[str, object]) -> str:
    """Jinja's ``newstyle`` rule: always a format string, escaped when the page is HTML."""
    if render.autoescape:
        return Markup(text) % variables
    return text % variables


@pass_eval_context
def _number(render: EvalContext, value: int | float | None) -> str:
    """The ``number`` filter: a number in the render's locale (``12,345``, ``12.345``,
    ``12 345``); "" for None."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return _formatted_count(_current().locale, value)
    return babel_format_decimal(value, locale=_current().locale)


@lru_cache(maxsize=FORMATTED_COUNTS)
def _formatted_count(locale: str, value: int) -> str:
    return babel_format_decimal(value, locale=locale)


def install_page_text(app: Flask) -> None:
    """Replace Flask-Babel's template callables: same catalogues, same ``newstyle`` semantics.
    They are installed as they are, not wrapped by Jinja's i18n extension as
    ``install_gettext_callables`` would: its ``_`` alias and newstyle wrapper made three calls
    through Jinja's context for each string, a third of a search page's calls."""
    app.context_processor(_start_render)
    environment = app.jinja_env
    environment.filters["number"] = _number
    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    environment.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )
