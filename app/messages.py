"""Sentences the domain and the store say to people, translatable without knowing of the web.

A :class:`Message` is an English message id with its values: ``str()`` of it is the English
sentence (what the API, the CLI, the logs and the graph read), and the web layer looks the id
up in the reader's catalogue (:func:`app.web.i18n.localized`). ``M_`` builds one and marks its
id for the catalogue (``keywords`` in ``babel.cfg``)::

    raise UnknownSegment(M_("%(iri)s is not a segment", iri=segment.value))

A value may itself be a message (a word the sentence names, translated with it); a whole
number is written with thousands separators. ``MN_`` builds one whose words agree with its
``count`` (``ngettext`` where it is shown)::

    MN_("%(count)s asset is tagged with it", "%(count)s assets are tagged with it", count=n)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    text: str
    values: tuple[tuple[str, object], ...] = ()
    plural: str = ""  # the English plural of ``text``, chosen by the value named ``count``

    def __call__(self, **values: object) -> Message:
        """The same message with (more) values: ``GREETING(name="Ada")``."""
        return Message(self.text, (*self.values, *values.items()), self.plural)

    @property
    def params(self) -> dict[str, object]:
        return dict(self.values)

    @property
    def count(self) -> int:
        """The number a plural message agrees with."""
        count = self.params.get("count", 0)
        return count if isinstance(count, int) else 0

    def __str__(self) -> str:
        text = self.plural if self.plural and self.count != 1 else self.text
        if not self.values:
            return text
        return text % {name: english(value) for name, value in self.values}


def M_(text: str, /, **values: object) -> Message:  # noqa: N802 (a gettext-style marker)
    """A message for people, its id marked for the catalogue."""
    return Message(text, tuple(values.items()))


def MN_(singular: str, plural: str, /, **values: object) -> Message:  # noqa: N802
    """A message whose words agree with its ``count`` (``ngettext`` where it is shown)."""
    return Message(singular, tuple(values.items()), plural)


def english(value: object) -> str:
    """A message's value as the English sentence shows it."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def message_of(error: BaseException) -> Message | None:
    """The message an exception was raised with, if it was raised with one."""
    args = error.args
    return args[0] if len(args) == 1 and isinstance(args[0], Message) else None


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_COUNT = re.compile(r"\d{1,3}(?:,\d{3})*")


def _pattern(text: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(text)  # text, name, text, name, …, text
    regex = "".join(
        re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts)
    )
    return re.compile(regex, re.S)


def parsed(
    text: str,
    templates: Iterable[Message],
    words: Iterable[Message] = (),
    quotes: Iterable[Message] = (),
) -> Message:
    """A stored English sentence back as the message it was written from: the first of
    ``templates`` it matches, a sentence none matches as a message of its own. Each value is
    parsed the same way; a value that is one of ``words`` becomes that word, one that matches
    one of ``quotes`` (``“%(label)s”``) that quote of its text as it is, a count a number."""
    templates, quotes = tuple(templates), tuple(quotes)
    words = {str(word): word for word in words}
    for template in templates:
        forms = (template.text, template.plural) if template.plural else (template.text,)
        found = next(filter(None, (_pattern(form).fullmatch(text) for form in forms)), None)
        if found is None:
            continue
        values: dict[str, object] = {}
        for name, value in found.groupdict().items():
            if value in words:
                values[name] = words[value]
            elif _COUNT.fullmatch(value):
                values[name] = int(value.replace(",", ""))
            else:
                values[name] = _quoted(value, quotes) or _nested(value, templates, words, quotes)
        return template(**values)
    return Message(text)


def _quoted(text: str, quotes: tuple[Message, ...]) -> Message | None:
    for quote in quotes:
        found = _pattern(quote.text).fullmatch(text)
        if found is not None:
            return quote(**found.groupdict())
    return None


def _nested(
    text: str,
    templates: tuple[Message, ...],
    words: dict[str, Message],
    quotes: tuple[Message, ...],
) -> Message | str:
    inner = parsed(text, templates, words.values(), quotes)
    return inner if inner.values else text
