"""``/``: the assets the reader may see, newest first, with thumbnails."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from app.domain.asset_view import list_assets
from app.web import current_atrium, current_scope

browse = Blueprint("browse", __name__)
PER_PAGE = 48


@browse.get("/")
def index() -> str:
    """The asset list (the faceted search page replaces it)."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    cards, total = list_assets(current_atrium().store, current_scope(), page, PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("index.html", cards=cards, total=total, page=page, pages=pages)
