"""What Atrium needs to know about a query's text before it runs, without evaluating it.

SPARQL 1.1 Query (https://www.w3.org/TR/sparql11-query/) is read here by a scan of its tokens
(:func:`tokens`), never by pyoxigraph (see below):

- §19.1 / §19.8: keywords are case-insensitive; strings, IRIs and comments are masked so that a
  keyword inside them does not count, and a keyword must not be part of a prefixed name or
  variable. A backslash in a prefixed name escapes the next character (PN_LOCAL_ESC:
  ``ex:a\\#b``, ``ex:it\\'s``): it starts no comment and no string.
- §19.2: ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes are replaced *before* parsing, anywhere in the
  text, by parsers that follow the letter of it (Jena). pyoxigraph decodes them only inside
  strings and IRIs. So the text is scanned both ways, as written and with the escapes
  replaced, and what either finds counts (a keyword, a level of nesting).
- §13.2: FROM and FROM NAMED clauses; their IRIs are read with rdflib's SPARQL parser (which
  resolves prefixed names, BASE and relative IRIs against the base IRI it is given), only when
  the text holds the keyword at all.

Bounds, checked before any parser sees the text (:func:`check_bounds`): parsers recurse once per
nested group, expression or blank node. pyoxigraph's overflows its stack and kills its process
(about 2,500 levels of ``{ }`` in a web server's thread, 3,000 in a query worker), and it takes
time that grows with the cube of the depth of ``[ ]``; rdflib's raises RecursionError (past
25 levels of ``( )`` in a web request, at Python's default recursion limit). So a query or an
update may nest its brackets at most :data:`MAX_NESTING` deep (strings and comments do not
count) and be at most :data:`MAX_TEXT_BYTES` long. This is a scan of the text, not a parse: what
guarantees that no query brings the server down is that pyoxigraph parses readers' SPARQL only
in query workers (:mod:`app.storage.query_workers`), where a crash is a clear error.

Bound values (:func:`bind_values`) are written into the text where the scan finds the variable,
and the binding is refused wherever the scan could disagree with a parser about what is a
variable, so that a parameter is never silently left unbound.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from pyoxigraph import BlankNode

from app.messages import M_, Message
from app.storage.graphstore import QuerySyntaxError, Term

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# §19.8: the characters of names (PN_CHARS_BASE), and of variable names (VARNAME)
_NAME_START = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff_0-9"
)
_NAME_REST = _NAME_START + "\u00b7\u0300-\u036f\u203f-\u2040"
_VARIABLE_NAME = f"[{_NAME_START}][{_NAME_REST}]*"
_VARIABLE = re.compile(rf"[?$](?P<name>{_VARIABLE_NAME})")
# One token of the text, as a SPARQL lexer sees it. Something that looks like an IRI may be two
# comparisons in an expression (``?o<?lim&&?o>0``): the scan cannot tell, so callers decide.
_TOKEN = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*')"
    r"|(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)"
    r"|(?P<comment>#[^\n\r]*)"
    r"|(?P<escape>\\[_~.\-!$&'()*+,;=/?#@%])"
    rf"|[?$](?P<variable>{_VARIABLE_NAME})"
    r"|(?P<bracket>[{}()\[\]])",
    re.DOTALL,
)
_UPDATE_KEYWORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}
_PROLOGUE = re.compile(r"(?:\s*(?:BASE\b|PREFIX\s+[^\s:]*:))*\s*", re.IGNORECASE)
_BRACKETS = re.compile(r"[{}()\[\]]")
_LOCAL_NAME_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")
_PARAMETER_PROBE = "<urn:atrium:parameter>"

MAX_NESTING = 20  # levels of { }, ( ) and [ ]: rdflib's parser still reads any query this deep
MAX_TEXT_BYTES = 64 * 1024  # UTF-8 bytes of one query or update


class QueryRefused(QuerySyntaxError):
    """A query or update Atrium will not run (too big, an update, SERVICE); says why."""


A_QUERY, AN_UPDATE = M_("query"), M_("update")


def check_bounds(text: str, kind: Message = A_QUERY) -> None:
    """Refuse a text too long or nested too deeply for the parsers, before any parser sees it."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise QueryRefused(
            M_(
                "the %(kind)s is %(size)s bytes long; Atrium accepts at most %(limit)s bytes "
                "(%(kib)s KiB)",
                kind=kind,
                size=size,
                limit=MAX_TEXT_BYTES,
                kib=MAX_TEXT_BYTES // 1024,
            )
        )
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise QueryRefused(
            M_(
                "the %(kind)s nests its brackets { }, ( ) and [ ] %(depth)s levels deep; Atrium "
                "accepts at most %(limit)s levels",
                kind=kind,
                depth=depth,
                limit=MAX_NESTING,
            )
        )


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The strings, IRI-like tokens, comments, name escapes, variables and brackets of a text;
    ``match.lastgroup`` says which. What lies between them is other code (names, keywords…)."""
    return _TOKEN.finditer(text)


def nesting_depth(text: str) -> int:
    """How deep the brackets ``{ }``, ``( )`` and ``[ ]`` nest, outside strings and comments,
    read as written and with its ``\\u`` escapes replaced (the deeper of the two).

    Brackets inside an IRI count too (without closing one opened before it): in an expression,
    ``?a<(?b)>?c`` is two comparisons, not an IRI.
    """
    return max(_depth(view) for view in _views(text))


def _depth(text: str) -> int:
    depth = deepest = 0
    for match in tokens(text):
        kind, token = match.lastgroup, match.group(0)
        if kind not in ("bracket", "iri"):
            continue
        floor = depth if kind == "iri" else 0
        for bracket in _BRACKETS.findall(token):
            depth = depth + 1 if bracket in "{([" else max(floor, depth - 1)
            deepest = max(deepest, depth)
    return deepest


def _views(text: str) -> tuple[str, ...]:
    """The text as pyoxigraph reads it, and with §19.2's escapes replaced first, if it has any."""
    unescaped = unescape_codepoints(text)
    return (text,) if unescaped == text else (text, unescaped)


def unescape_codepoints(text: str) -> str:
    """Apply the escapes of SPARQL 1.1 Query §19.2, as the letter of it says to before parsing."""

    def replace(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except ValueError:  # beyond U+10FFFF: leave it for the parser to refuse
            return match.group(0)

    return _CODEPOINT.sub(replace, text)


def masked(text: str) -> str:
    """The text as written with its strings, IRIs and comments blanked out (same length); name
    escapes become ``_`` (they stay part of their name)."""
    return "".join(_masked_pieces(text))


def _masked_pieces(text: str) -> Iterator[str]:
    end = 0
    for match in tokens(text):
        yield text[end : match.start()]
        token, kind = match.group(0), match.lastgroup
        if kind in ("string", "iri", "comment"):
            yield " " * len(token)
        elif kind == "escape":
            yield "__"
        else:
            yield token
        end = match.end()
    yield text[end:]


def uses_keyword(text: str, keyword: str) -> bool:
    """Whether ``keyword`` appears as a keyword (not in a string, IRI, name or variable), in the
    text as written or with its ``\\u`` escapes replaced."""
    pattern = re.compile(rf"(?<![\w?$:\-]){re.escape(keyword)}(?![\w:\-])", re.IGNORECASE)
    return any(pattern.search(masked(view)) for view in _views(text))


def variables(text: str, *, inside_iris: bool = False) -> set[str]:
    """The names of the variables the text mentions (``?x`` or ``$x``); with ``inside_iris``,
    also those written inside something that looks like an IRI (``?o<?lim&&?o>0``)."""
    names = set()
    for match in tokens(text):
        if match.lastgroup == "variable":
            names.add(match.group("variable"))
        elif inside_iris and match.lastgroup == "iri":
            names.update(found.group("name") for found in _VARIABLE.finditer(match.group(0)))
    return names


def looks_like_update(text: str) -> bool:
    """Whether the text starts (after its prologue) with a SPARQL Update keyword."""
    for view in _views(text):
        body = masked(view)  # IRIs blanked: "PREFIX ex: <…>" is now "PREFIX ex:" and spaces
        start = _PROLOGUE.match(body).end()  # type: ignore[union-attr] - it matches "" at least
        first = re.match(r"[A-Za-z]+", body[start:])
        if first is not None and first.group(0).upper() in _UPDATE_KEYWORDS:
            return True
    return False


def dataset_clauses(text: str, base_iri: str | None = None) -> tuple[list[str], list[str]] | None:
    """The IRIs of the query's FROM and FROM NAMED clauses, or None when it has none; relative
    ones resolved against ``base_iri`` (a BASE of the query's own wins)."""
    if not uses_keyword(text, "FROM"):
        return None
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        query = translateQuery(parseQuery(text), base=base_iri)
        clauses = query.algebra.get("datasetClause") or []
    except Exception as error:  # noqa: BLE001 - rdflib raises several kinds of parse errors
        unread = M_("cannot read the query's FROM clauses: %(detail)s", detail=str(error))
        raise QuerySyntaxError(unread) from error
    default = [_graph_iri(clause["default"]) for clause in clauses if "default" in clause]
    named = [_graph_iri(clause["named"]) for clause in clauses if "named" in clause]
    return (default, named) if default or named else None


def _graph_iri(term: object) -> str:
    """A FROM clause's IRI as pyoxigraph resolves it: rdflib keeps the backslash of an escaped
    prefixed name (``g:assets\\/public``), which stands for the character alone (§19.5)."""
    return _LOCAL_NAME_ESCAPE.sub(r"\1", str(term))


# Bound values ------------------------------------------------------------------------------


def bind_values(text: str, bindings: Mapping[str, Term]) -> str:
    """The query with each bound variable replaced by its value, strictly escaped.

    Fails closed: QueryRefused, saying what to change, wherever a parser could read a variable
    the scan does not see (it would stay unbound) or a string the scan does not see (a value
    could end up inside it): a bound variable written inside ``<…>``; a ``'`` inside ``<…>``;
    an escape that stands for punctuation (a parser that replaces escapes first reads another
    text). A blank node is not a value.
    """
    if not bindings:
        return text
    for name, term in bindings.items():
        if isinstance(term, BlankNode):
            raise QueryRefused(M_("?%(name)s cannot be given a blank node as its value", name=name))
    _refuse_ambiguous(text, set(bindings))
    return _written(text, {name: f" {term} " for name, term in bindings.items()})


def parameter_probe(text: str, name: str) -> str:
    """The query with ``?name`` replaced by an IRI wherever it appears, also inside ``<…>``: it
    still parses only if ``?name`` can be given a value (a parser decides, in a query worker)."""
    return _written(text, {name: f" {_PARAMETER_PROBE} "}, inside_iris=True)


def _written(text: str, values: Mapping[str, str], *, inside_iris: bool = False) -> str:
    def in_iri(found: re.Match[str]) -> str:
        return values.get(found.group("name"), found.group(0))

    pieces, end = [], 0
    for match in tokens(text):
        pieces.append(text[end : match.start()])
        token, kind = match.group(0), match.lastgroup
        if kind == "variable" and match.group("variable") in values:
            token = values[match.group("variable")]
        elif kind == "iri" and inside_iris:
            token = _VARIABLE.sub(in_iri, token)
        pieces.append(token)
        end = match.end()
    pieces.append(text[end:])
    return "".join(pieces)


def _refuse_ambiguous(text: str, names: set[str]) -> None:
    for match in tokens(text):
        if match.lastgroup != "iri":
            continue
        token = match.group(0)
        inside = sorted({found.group("name") for found in _VARIABLE.finditer(token)} & names)
        if inside:
            raise QueryRefused(
                M_(
                    "?%(name)s is written inside %(token)s, which SPARQL can also read as an "
                    "IRI, so its value cannot be bound safely; put spaces around comparisons "
                    "(?o < ?%(name)s) and save the query again",
                    name=inside[0],
                    token=token,
                )
            )
        if "'" in token:
            raise QueryRefused(
                M_(
                    "this query writes %(token)s, which SPARQL can read as an IRI or as code "
                    "with a string in it, so no value can be bound safely; put spaces around "
                    'comparisons (?a < ?b), and write an IRI with an apostrophe as IRI("…")',
                    token=token,
                )
            )
    for match in _CODEPOINT.finditer(text):
        character = unescape_codepoints(match.group(0))
        if character.isascii() and not character.isalnum():
            raise QueryRefused(
                M_(
                    "this query writes %(character)s as %(escape)s, which some SPARQL parsers "
                    "read before anything else, so no value can be bound safely; write the "
                    'character itself (inside a string: with a backslash, like \\" )',
                    character=repr(character),
                    escape=match.group(0),
                )
            )
