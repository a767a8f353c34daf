"""The Results section of an asset's page: the asset's results per segment and channel, and
the entry form for those who may change the asset (nothing for anonymous readers).

Apart from :mod:`app.web.performance` (which records an observation and, when it is refused,
shows the asset page again), so that the asset page can use it without a circle.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.results.performance import CHANNELS, SEGMENTS
from app.web.auth import current_user
from app.web.context import current_atrium, current_scope, may_change
from app.web.i18n import current_language


def results_context(
    asset_id: str, values: Mapping[str, str] | None = None, errors: list[str] | None = None
) -> dict[str, object]:
    """What the asset page's Results section needs (nothing for anonymous readers)."""
    user = current_user()
    if user is None:
        return {"results": None, "results_form": None}
    atrium, scope, language = current_atrium(), current_scope(), current_language()
    engine = atrium.performance
    rows = engine.breakdown(atrium.iris.asset(asset_id), scope, language)
    form = None
    if may_change(asset_id):
        form = {
            "segments": sorted(engine.concepts(SEGMENTS, scope, language).items(), key=by_label),
            "channels": sorted(engine.concepts(CHANNELS, scope, language).items(), key=by_label),
            "values": dict(values or {}),
            "errors": errors or [],
        }
    return {"results": rows, "results_form": form}


def by_label(item: tuple[str, tuple[str, frozenset[str]]]) -> str:
    return item[1][0].casefold()
