"""The interface in the reader's language (Flask-Babel).

The languages are English (the language of the templates' message ids) and every language
with a catalogue in ``app/translations/<code>/LC_MESSAGES/messages.po``. A request's language
is ``?lang=`` (which then sticks, in a cookie), else that cookie, else the best match of
``Accept-Language``, else English.

Catalogues are compiled here, at start, whenever a ``.mo`` is missing or older than its
``.po`` (the ``.mo`` files are not in git): so ``make run``, ``pytest`` and a pip install all
serve the current translations without a separate build step.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, request
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    gettext,
    ngettext,
)
from flask_babel.speaklater import LazyString
from markupsafe import escape

from app.domain.assets.downloads import human_size
from app.domain.people.api_tokens import when
from app.messages import Message, message_of
from app.web.page_text import install_page_text

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SOURCE_LANGUAGE = "en"
LANGUAGE_COOKIE = "atrium_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention pybabel extracts)
    """Marks a message for the catalogue; it is translated where it is shown (``translated``)."""
    return message


# Texts the views hand to the main pages' templates (the error page's reason and message, the
# sign-in refusals; the names of access levels, visibilities, renditions, roles, token states,
# audit actions and bulk edit operations, which are also the values of form fields and
# filters; the outcomes of a bulk action), which the templates translate with the
# ``translated`` filter.
VIEW_MESSAGES = (
    N_("public"),
    N_("internal"),
    N_("restricted"),
    N_("personal"),
    N_("department"),
    N_("preview"),
    N_("thumbnail"),
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Not found."),
    N_("Method Not Allowed"),
    N_("Conflict"),
    N_("Gone"),
    N_("Request Entity Too Large"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
    N_("Too many failed sign-ins. Wait a few minutes and try again."),
    N_("That name and password do not match an active account."),
    # werkzeug's own descriptions, for an error raised without one (a GET of a POST-only URL)
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_(
        "The server could not verify that you are authorized to access the URL requested. You "
        "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
        "understand how to supply the credentials required."
    ),
    N_(
        "You don't have the permission to access the requested resource. It is either "
        "read-protected or not readable by the server."
    ),
    N_("The method is not allowed for the requested URL."),
    N_(
        "A conflict happened while processing the request. The resource might have been "
        "modified while the request was being processed."
    ),
    N_(
        "The requested URL is no longer available on this server and there is no forwarding "
        "address. If you followed a link from a foreign page, please contact the author of this "
        "page."
    ),
    N_("The data value transmitted exceeds the capacity limit."),
    N_("The request was well-formed but was unable to be followed due to semantic errors."),
    N_("This user has exceeded an allotted request count. Try again later."),
    N_(
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    ),
    N_(
        "The server is temporarily unable to service your request due to maintenance downtime "
        "or capacity problems. Please try again later."
    ),
    N_("viewer"),
    N_("contributor"),
    N_("taxonomist"),
    N_("admin"),
    N_("active"),
    N_("expired"),
    N_("revoked"),
    N_("created"),
    N_("changed"),
    N_("versioned"),
    N_("reverted"),
    N_("downloaded"),
    N_("deleted"),
    N_("shared"),
    N_("share-revoked"),
    N_("share-used"),
    N_("set"),
    N_("add"),
    N_("remove"),
    N_("unchanged"),
    N_("refused"),
    N_("not allowed"),
    N_("changed by someone else"),
    N_("not found"),
)


def _catalogues() -> list[Path]:
    return sorted(TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@cache
def interface_languages() -> tuple[str, ...]:
    """English, then each language a catalogue exists for."""
    catalogues = sorted(po.parent.parent.name for po in _catalogues())
    return (SOURCE_LANGUAGE, *(code for code in catalogues if code != SOURCE_LANGUAGE))


def _asked_language() -> str | None:
    asked = request.args.get("lang", "")
    return asked if asked in interface_languages() else None


def select_language() -> str:
    """The language of this request's interface."""
    languages = interface_languages()
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return (
        _asked_language()
        or (chosen if chosen in languages else None)
        or _best_accepted(languages)
        or SOURCE_LANGUAGE
    )


def _best_accepted(languages: tuple[str, ...]) -> str | None:
    """The most wanted of ``Accept-Language`` by its primary tag, so that ``fr-CH`` is French
    (werkzeug's ``best_match`` would rather take a later, less wanted exact ``en``)."""
    for value, _quality in request.accept_languages:  # most wanted first
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return None


def current_language() -> str:
    """The interface language of the current request, as a language code (``de``)."""
    return str(get_locale() or SOURCE_LANGUAGE)


def _remember_language(response: Response) -> Response:
    response.vary.update(("Accept-Language", "Cookie"))
    asked = _asked_language()
    if asked and request.cookies.get(LANGUAGE_COOKIE) != asked:
        response.set_cookie(
            LANGUAGE_COOKIE, asked, max_age=LANGUAGE_COOKIE_SECONDS, httponly=True, samesite="Lax"
        )
    return response


def language_links() -> list[tuple[str, str, bool]]:
    """The header's language switch: (code, URL of this page in it, is it the current one).
    Each URL is a bare query (``?…&lang=de``): the browser keeps the page's path, and the page
    does not repeat a path it may not talk about (a 403 for ``/admin/users/<name>``)."""
    kept = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    current = current_language()
    return [
        (code, f"?{urlencode([*kept, ('lang', code)])}", code == current)
        for code in interface_languages()
    ]


def language_name(code: str) -> str:
    """A language's name in that language (``Deutsch``), for the switch."""
    from babel import Locale

    return Locale.parse(code).get_display_name(code).capitalize()


def translated(text: object) -> str:
    """A text from a view, in the reader's language when the catalogue has it, else as it is."""
    if isinstance(text, (Message, BaseException)):
        return str(localized(text))
    return gettext(str(text)) if text else ""


class LazyText(LazyString):
    """A message translated only where it is shown, in the language of whoever reads it (so
    that an API client can be answered in English). Like any text, and unlike flask_babel's
    ``LazyString``, it is escaped when it lands in HTML."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def _translation(message: str, **values: object) -> str:
    """The message in the reader's language; as it is on an app without Flask-Babel."""
    if "babel" not in current_app.extensions:
        return message % values if values else message
    return gettext(message, **values)


def lazy_text(message: str, **values: object) -> LazyText:
    """``lazy_gettext`` for the views' messages (imported as ``_l``, which pybabel extracts):
    ``abort(403, description=_l("only %(who)s may", who=…))``."""
    return LazyText(_translation, message, **values)


def localized(said: object) -> object:
    """A domain's :class:`~app.messages.Message` (or an exception raised with one) as a
    lazy message: in the language of whoever reads it, English for API clients. Another
    exception as its text, anything else as it is."""
    if isinstance(said, BaseException):
        lazy = said.args[0] if len(said.args) == 1 else None
        if isinstance(lazy, LazyText):
            return lazy
        said = message_of(said) or str(said)
    if not isinstance(said, Message):
        return said
    values = {name: _local_value(value) for name, value in said.values}
    if said.plural:
        return LazyText(_plural_translation, said.text, said.plural, said.count, values)
    return lazy_text(said.text, **values)


def _plural_translation(singular: str, plural: str, number: int, values: dict) -> str:
    if "babel" not in current_app.extensions:
        return (singular if number == 1 else plural) % values
    return ngettext(singular, plural, number, **values)


def _local_value(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return LazyText(lambda: format_decimal(value))
    return localized(value)


def in_english(text: object) -> str:
    """A message as API clients get it: in English, whatever the reader's language (a lazy
    message from ``lazy_gettext`` is translated only where it is shown)."""
    with force_locale(SOURCE_LANGUAGE):
        return str(text)


def lazy_either(words: tuple[str, ...]) -> LazyText:
    """``viewer or contributor``: the words and the "or", in the language where it is shown."""
    return LazyText(
        lambda: format_list([gettext(w) for w in words], style="or", locale=current_language())
    )


def local_when(stored: str | None) -> str:
    """A stored time as the admin and token pages show it (``2027-04-01 00:00 UTC``), or
    "never" in the reader's language."""
    return when(stored, gettext("never"))


def local_decimal(value: float | None, pattern: str = "0.0000") -> str:
    """A number with a fixed count of decimals and the locale's decimal sign (``0,0123``)."""
    return "" if value is None else format_decimal(value, format=pattern)


def local_percent(rate: float) -> str:
    """A rate (0.0123) as a percentage with two decimals (``1.23 %``, ``1,23 %``)."""
    return f"{format_decimal(rate * 100, format='0.00')} %"


def local_size(count: int | None) -> str:
    """A size in bytes as :func:`human_size` puts it, with the locale's decimal sign and word
    for bytes (``1.5 KiB``, ``1,5 KiB``; ``663 bytes``, ``663 Byte``)."""
    if count is None:
        return ""
    if count < 1024:
        return ngettext("%(count)s byte", "%(count)s bytes", count, count=str(count))
    shown, unit = human_size(count).split(" ")
    return f"{format_decimal(float(shown), format='0.#')} {unit}"


def local_datetime(value: str | datetime | None) -> str:
    """An ISO date-time (or date) from the graph, in the reader's locale; as it came if it is
    not one."""
    if not value:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) <= 10:
        return format_date(parsed.date(), "medium")
    return format_datetime(parsed, "medium")


def _compiled_into(folder: Path) -> bool:
    """Compile each stale catalogue under ``folder``; False if the folder cannot be written."""
    for po_path in _catalogues():
        mo_path = folder / po_path.relative_to(TRANSLATIONS).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalogue = read_po(po_file, locale=po_path.parent.parent.name, domain=DOMAIN)
            partial = mo_path.with_suffix(".mo.tmp")
            with partial.open("wb") as mo_file:
                write_mo(mo_file, catalogue)
            partial.replace(mo_path)
        except OSError:
            return False
    return True


def compiled_translations() -> Path:
    """The folder of compiled catalogues: beside the ``.po`` files, or, where the package
    cannot be written (a read-only install), a temporary folder."""
    if _compiled_into(TRANSLATIONS):
        return TRANSLATIONS
    elsewhere = Path(tempfile.gettempdir()) / "atrium-translations"
    _compiled_into(elsewhere)
    return elsewhere


def init_i18n(app: Flask) -> None:
    """Flask-Babel with Atrium's catalogues, language choice and template helpers."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_translations())
    Babel(app, locale_selector=select_language)
    install_page_text(app)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        language_links=language_links,
        language_name=language_name,
        when=local_when,
    )
    app.jinja_env.filters.update(
        translated=translated,
        decimal=local_decimal,
        percent=local_percent,
        size=local_size,
        local_datetime=local_datetime,
    )
