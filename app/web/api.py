"""``/api/search``: the search page as JSON, with the same parameters.

The shape is stable and documented in the README::

    {"total": N, "page": P, "per_page": K,
     "results": [{"id", "iri", "title", "thumbnail", "url", "format", "created", "department"}],
     "facets": [{"name", "label", "truncated", "timed_out",
                 "values": [{"value", "label", "count", "selected", "expandable",
                             "children": [...]}]}]}

A malformed parameter answers 400 with ``{"error": …, "status": 400}``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for

from app.domain.search import Card, FacetResult, FacetValue, SearchResult
from app.web import current_atrium, current_scope
from app.web.search_urls import request_language, request_query

api = Blueprint("api", __name__)


@api.get("/api/search")
def search() -> Response:
    """Search results and facets as JSON; parameters as for ``/search``."""
    result = current_atrium().search.search(request_query(), current_scope(), request_language())
    return jsonify(result_json(result))


def result_json(result: SearchResult) -> dict[str, object]:
    return {
        "total": result.total,
        "page": result.query.page,
        "per_page": result.query.per_page,
        "results": [_card(card) for card in result.cards],
        "facets": [_facet(facet) for facet in result.facets],
    }


def _card(card: Card) -> dict[str, object]:
    thumbnail = (
        url_for("assets.rendition", asset_id=card.asset_id, kind="thumbnail", _external=True)
        if card.has_thumbnail
        else None
    )
    return {
        "id": card.asset_id,
        "iri": card.iri,
        "title": card.title,
        "thumbnail": thumbnail,
        "url": url_for("assets.page", asset_id=card.asset_id, _external=True),
        "format": card.format,
        "created": card.created,
        "department": card.department,
    }


def _facet(facet: FacetResult) -> dict[str, object]:
    return {
        "name": facet.name,
        "label": facet.label,
        "truncated": facet.truncated,
        "timed_out": facet.timed_out,
        "values": [_value(value) for value in facet.values],
    }


def _value(value: FacetValue) -> dict[str, object]:
    return {
        "value": value.value,
        "label": value.label,
        "count": value.count,
        "selected": value.selected,
        "expandable": value.expandable,
        "children": [_value(child) for child in value.children],
    }
