"""The templates' words and numbers, looked up once per page rather than once per string.

Flask-Babel's template ``gettext`` finds the reader's catalogue anew for every string, through
the request context, and ``format_decimal`` parses the locale's number pattern for every
count. A search page shows some 170 strings and 60 counts, so that lookup was a fifth of the
page's time. Here a context processor hands each render the catalogue and the locale once,
and the template callables and the ``number`` filter read them from the render's context; a
count is formatted once per locale.
"""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

CATALOGUE = "_catalogue"  # the context variables of a render's catalogue and locale
LOCALE = "_locale"
FORMATTED_COUNTS = 4096  # distinct (locale, count) pairs kept formatted


def _catalogue_of(context: Context):  # noqa: ANN202 - a gettext Translations
    """The render's catalogue; a macro imported without context looks it up itself."""
    return context.get(CATALOGUE) or get_translations()


@pass_context
def _gettext(context: Context, message: str, **variables: object) -> str:
    return _formatted(context, _catalogue_of(context).ugettext(message), variables)


@pass_context
def _ngettext(
    context: Context, singular: str, plural: str, number: int, **variables: object
) -> str:
    variables.setdefault("num", number)
    text = _catalogue_of(context).ungettext(singular, plural, number)
    return _formatted(context, text, variables)


@pass_context
def _pgettext(context: Context, where: str, message: str, **variables: object) -> str:
    variables.setdefault("context", where)
    return _formatted(context, _catalogue_of(context).upgettext(where, message), variables)


@pass_context
def _npgettext(
    context: Context, where: str, singular: str, plural: str, number: int, **variables: object
) -> str:
    variables.setdefault("context", where)
    variables.setdefault("num", number)
    text = _catalogue_of(context).unpgettext(where, singular, plural, number)
    return _formatted(context, text, variables)


def _formatted(context: Context, text: str, variables: dict[str, object]) -> str:
    """Jinja's ``newstyle`` rule: always a format string, escaped when the page is HTML."""
    if context.eval_ctx.autoescape:
        return Markup(text) % variables
    return text % variables


def install_page_text(app: Flask) -> None:
    """Replace Flask-Babel's template callables: same catalogues, same ``newstyle`` semantics.
    They are installed as they are, not wrapped by Jinja's i18n extension as
    ``install_gettext_callables`` would: its ``_`` alias and newstyle wrapper made three calls
    through Jinja's context for each string, a third of a search page's calls."""
    app.context_processor(lambda: {CATALOGUE: get_translations(), LOCALE: _locale_name()})
    environment = app.jinja_env
    environment.filters["number"] = _number
    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    environment.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )


@pass_context
def _number(context: Context, value: int | float | None) -> str:
    """The ``number`` filter: a number in the render's locale (``12,345``, ``12.345``,
    ``12 345``); "" for None."""
    if value is None:
        return ""
    locale = context.get(LOCALE) or _locale_name()
    if isinstance(value, int) and not isinstance(value, bool):
        return _formatted_count(locale, value)
    return babel_format_decimal(value, locale=locale)


def _locale_name() -> str:
    return str(get_locale() or "en")


@lru_cache(maxsize=FORMATTED_COUNTS)
def _formatted_count(locale: str, value: int) -> str:
    return babel_format_decimal(value, locale=locale)
