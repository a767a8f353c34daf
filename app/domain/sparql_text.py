"""What Atrium needs to know about a query's text before it runs, without evaluating it.

SPARQL 1.1 Query (https://www.w3.org/TR/sparql11-query/):

- §19.2: ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes are replaced *before* parsing, anywhere in the
  text (so ``\\u0053ERVICE`` is the keyword SERVICE); the scan below does the same first.
- §19.1 / §19.8: keywords are case-insensitive; strings, IRIs and comments are masked so that a
  keyword inside them does not count, and a keyword must not be part of a prefixed name or
  variable.
- §13.2: FROM and FROM NAMED clauses; their IRIs are read with rdflib's SPARQL parser (which
  resolves prefixed names and BASE), only when the text holds the keyword at all.

Bounds, checked before any parser sees the text (:func:`check_bounds`): parsers recurse once per
nested group, expression or blank node. pyoxigraph's overflows its stack and kills its process
(about 2,500 levels of ``{ }`` in a web server's thread, 3,000 in a query worker), and it takes
time that grows with the cube of the depth of ``[ ]``; rdflib's raises RecursionError (past
25 levels of ``( )`` in a web request, at Python's default recursion limit). So a query or an
update may nest its brackets at most :data:`MAX_NESTING` deep (strings and comments do not
count) and be at most :data:`MAX_TEXT_BYTES` long. This is a scan of the text, not a parse: what
guarantees that no query brings the server down is that pyoxigraph parses readers' SPARQL only
in query workers (:mod:`app.storage.query_workers`), where a crash is a clear error.
"""

from __future__ import annotations

import re

from app.storage.graphstore import QuerySyntaxError

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Strings (long ones first), IRIs and comments: replaced by spaces before looking for keywords.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n\r]*"
)
_VARIABLE = re.compile(r"[?$]([A-Za-z_0-9\u00B7\u00C0-\uFFFF]+)")
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
_NESTING_TOKENS = re.compile(f"{_OPAQUE.pattern}|{_BRACKETS.pattern}")

MAX_NESTING = 20  # levels of { }, ( ) and [ ]: rdflib's parser still reads any query this deep
MAX_TEXT_BYTES = 64 * 1024  # UTF-8 bytes of one query or update


class QueryRefused(QuerySyntaxError):
    """A query or update Atrium will not run (too big, an update, SERVICE); says why."""


def check_bounds(text: str, kind: str = "query") -> None:
    """Refuse a text too long or nested too deeply for the parsers, before any parser sees it."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise QueryRefused(
            f"the {kind} is {size:,} bytes long; Atrium accepts at most {MAX_TEXT_BYTES:,} "
            f"bytes ({MAX_TEXT_BYTES // 1024} KiB)"
        )
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise QueryRefused(
            f"the {kind} nests its brackets {{ }}, ( ) and [ ] {depth:,} levels deep; Atrium "
            f"accepts at most {MAX_NESTING} levels"
        )


def nesting_depth(text: str) -> int:
    """How deep the brackets ``{ }``, ``( )`` and ``[ ]`` nest, outside strings and comments.

    Brackets inside an IRI count too (without closing one opened before it): in an expression,
    ``?a<(?b)>?c`` is two comparisons, not an IRI.
    """
    depth = deepest = 0
    for match in _NESTING_TOKENS.finditer(unescape_codepoints(text)):
        token = match.group(0)
        if token[0] in "\"'#":  # a string or a comment
            continue
        floor = depth if token[0] == "<" else 0
        for bracket in _BRACKETS.findall(token):
            depth = depth + 1 if bracket in "{([" else max(floor, depth - 1)
            deepest = max(deepest, depth)
    return deepest


def unescape_codepoints(text: str) -> str:
    """Apply the escapes of SPARQL 1.1 Query §19.2, as the parser does before anything else."""

    def replace(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except ValueError:  # beyond U+10FFFF: leave it for the parser to refuse
            return match.group(0)

    return _CODEPOINT.sub(replace, text)


def masked(text: str) -> str:
    """The text with its strings, IRIs and comments blanked out (same length)."""
    return _OPAQUE.sub(lambda match: " " * len(match.group(0)), unescape_codepoints(text))


def uses_keyword(text: str, keyword: str) -> bool:
    """Whether ``keyword`` appears as a keyword (not in a string, IRI, name or variable)."""
    pattern = rf"(?<![\w?$:\-]){re.escape(keyword)}(?![\w:\-])"
    return re.search(pattern, masked(text), re.IGNORECASE) is not None


def variables(text: str) -> set[str]:
    """The names of the variables the text mentions (``?x`` or ``$x``)."""
    return set(_VARIABLE.findall(masked(text)))


def looks_like_update(text: str) -> bool:
    """Whether the text starts (after its prologue) with a SPARQL Update keyword."""
    body = masked(text)  # IRIs blanked: "PREFIX ex: <…>" is now "PREFIX ex:" and spaces
    start = _PROLOGUE.match(body).end()  # type: ignore[union-attr] - it matches "" at least
    first = re.match(r"[A-Za-z]+", body[start:])
    return first is not None and first.group(0).upper() in _UPDATE_KEYWORDS


def dataset_clauses(text: str) -> tuple[list[str], list[str]] | None:
    """The IRIs of the query's FROM and FROM NAMED clauses, or None when it has none."""
    if not uses_keyword(text, "FROM"):
        return None
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        clauses = translateQuery(parseQuery(text)).algebra.get("datasetClause") or []
    except Exception as error:  # noqa: BLE001 - rdflib raises several kinds of parse errors
        raise QuerySyntaxError(f"cannot read the query's FROM clauses: {error}") from error
    default = [str(clause["default"]) for clause in clauses if "default" in clause]
    named = [str(clause["named"]) for clause in clauses if "named" in clause]
    return (default, named) if default or named else None
