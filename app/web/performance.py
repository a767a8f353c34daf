"""Results per segment: ``/api/performance``, the ``/performance`` page, and the results of one
asset on its page (with the form that records one observation).

Results are business data: anonymous readers get 401 from the API, a sign-in page for
``/performance``, and no Results section on an asset's page. Everything is read through the
reader's scope (:mod:`app.domain.results.performance`).

``/api/performance?segment=IRI[&channel=IRI][&campaign=IRI][&from=YYYY-MM-DD][&to=…]
[&page=N][&per_page=K]`` answers::

    {"segment", "segments": [IRI…], "total", "page", "per_page", "score": "…",
     "results": [{"asset", "id", "url", "title", "impressions", "clicks", "conversions",
                  "click_rate", "conversion_rate", "score"}]}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from app.domain.results.observations import Observation, problems
from app.domain.results.performance import (
    CHANNELS,
    MAX_PER_PAGE,
    SEGMENTS,
    Performance,
    ResultFilter,
    UnknownSegment,
)
from app.domain.terms import NamedNode
from app.web.asset_results import by_label, results_context
from app.web.auth import current_user, role_required
from app.web.context import current_atrium, current_scope, may_change
from app.web.i18n import N_, current_language, localized
from app.web.i18n import lazy_text as _l

performance = Blueprint("performance", __name__)

PER_PAGE = 20
MAX_IRI_CHARS = 2_000
SCORE = N_("Wilson score lower bound (95 %) of conversions per impression")  # English in the API
FORM_FIELDS = (
    "segment",
    "channel",
    "campaign",
    "start",
    "end",
    "impressions",
    "clicks",
    "conversions",
)


class BadInput(ValueError):
    """A parameter is malformed; the message says what to change."""


def _engine() -> Performance:
    return current_atrium().performance


# Parameters ---------------------------------------------------------------------------------


def _iri(args: Mapping[str, str], name: str, required: bool = False) -> NamedNode | None:
    text = (args.get(name) or "").strip()
    if not text:
        if required:
            raise BadInput(_l("%(name)s is required: give the IRI of a concept", name=name))
        return None
    if len(text) > MAX_IRI_CHARS or not text.startswith(("http://", "https://")):
        raise BadInput(_l("%(name)s must be an absolute http(s) IRI", name=name))
    try:
        return NamedNode(text)
    except ValueError:
        raise BadInput(_l("%(name)s is not a valid IRI", name=name)) from None


def _day(args: Mapping[str, str], name: str) -> dt.date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(
            _l("%(name)s=%(text)s is not a date like 2026-03-31", name=name, text=repr(text[:40]))
        ) from None


def _number(args: Mapping[str, str], name: str, default: int, high: int) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise BadInput(_l("%(name)s must be a whole number from 1", name=name))
    return min(int(text), high)


def _filter(args: Mapping[str, str], segment_required: bool) -> ResultFilter:
    want = ResultFilter(
        segment=_iri(args, "segment", segment_required),
        channel=_iri(args, "channel"),
        campaign=_iri(args, "campaign"),
        start=_day(args, "from"),
        end=_day(args, "to"),
    )
    if want.start and want.end and want.end < want.start:
        raise BadInput(_l("to must be on or after from"))
    return want


# The API and the page -----------------------------------------------------------------------


@performance.get("/api/performance")
def api() -> Response:
    """The visible assets ranked by their results in a segment (and the segments below it)."""
    if current_user() is None:
        abort(401, description=_l("sign in or send an API token: results are never public"))
    try:
        want = _filter(request.args, segment_required=True)
        page = _number(request.args, "page", 1, 10_000)
        per_page = _number(request.args, "per_page", PER_PAGE, MAX_PER_PAGE)
        ranking = _engine().ranking(want, current_scope(), page, per_page)
    except (BadInput, UnknownSegment) as error:
        abort(400, description=localized(error))
    iris = current_atrium().iris
    results = []
    for row in ranking.rows:
        asset_id = iris.asset_id(row.asset)
        results.append(
            {
                "asset": row.asset,
                "id": asset_id,
                "url": url_for("assets.page", asset_id=asset_id, _external=True)
                if asset_id
                else None,
                "title": row.title,
                "impressions": row.impressions,
                "clicks": row.clicks,
                "conversions": row.conversions,
                "click_rate": row.click_rate,
                "conversion_rate": row.conversion_rate,
                "score": row.score,
            }
        )
    return jsonify(
        {
            "segment": want.segment.value if want.segment else None,
            "segments": ranking.segments,
            "total": ranking.total,
            "page": ranking.page,
            "per_page": ranking.per_page,
            "score": SCORE,
            "results": results,
        }
    )


@performance.get("/performance")
@role_required("viewer", "contributor", "taxonomist", "admin")
def page() -> tuple[str, int]:
    """The segment tree with totals, filters, the ranked table and a chart of the top scores."""
    engine, scope, language = _engine(), current_scope(), current_language()
    error, ranking, status = None, None, 200
    try:
        want = _filter(request.args, segment_required=False)
        page_number = _number(request.args, "page", 1, 10_000)
        if want.segment is not None:
            ranking = engine.ranking(want, scope, page_number, PER_PAGE)
    except (BadInput, UnknownSegment) as problem:
        error, status, want = localized(problem), 400, ResultFilter()
    kept = {
        name: request.args.get(name, "")
        for name in ("segment", "channel", "campaign", "from", "to")
        if request.args.get(name) and not error
    }

    def link(**changes: str | int) -> str:
        return url_for("performance.page", **{**kept, **changes})

    segments = engine.concepts(SEGMENTS, scope, language)
    html = render_template(
        "performance.html",
        tree=engine.tree(want, scope, language),
        ranking=ranking,
        chart=ranking.rows[:10] if ranking else [],
        best=max((r.score for r in ranking.rows[:10]), default=0.0) if ranking else 0.0,
        segment=want.segment.value if want.segment else None,
        segment_label=segments.get(want.segment.value, ("",))[0] if want.segment else "",
        channels=sorted(engine.concepts(CHANNELS, scope, language).items(), key=by_label),
        campaigns=engine.campaigns(scope, language),
        values=kept,
        link=link,
        error=error,
        score_name=SCORE,
    )
    return html, status


# One asset's results ------------------------------------------------------------------------


@performance.post("/assets/<asset_id>/results")
@role_required("contributor")
def record(asset_id: str) -> object:
    """Record one observation for the asset; the reasons next to the form if refused."""
    from app.web.assets import _asset_page, _visible_record

    triples = _visible_record(asset_id)
    if not may_change(asset_id):
        abort(
            403,
            description=_l("only contributors of the asset's department may record results"),
        )
    values = {name: request.form.get(name, "").strip()[:MAX_IRI_CHARS] for name in FORM_FIELDS}
    errors: list[str] = []
    observation = _observation(asset_id, values, errors)
    if observation is not None:
        errors += [localized(problem) for problem in problems(observation)]
    if observation is not None and not errors:
        atrium = current_atrium()
        context = atrium.concepts().context_triples([observation.segment, observation.channel])
        found = atrium.observations.shape_problems([observation], context)
        language = current_language()
        errors += [p.field_and_message_in(language) for each in found.values() for p in each]
    if errors:
        return _asset_page(asset_id, triples, results_context(asset_id, values, errors)), 400
    current_atrium().observations.write([observation])
    return redirect(url_for("assets.page", asset_id=asset_id, _anchor="results"))


def _observation(asset_id: str, values: dict[str, str], errors: list[str]) -> Observation | None:
    parsed: dict[str, object] = {}
    for name in ("segment", "channel"):
        try:
            parsed[name] = _iri(values, name, required=True)
        except BadInput as error:
            errors.append(localized(error))
    try:
        parsed["campaign"] = _campaign(values["campaign"])
    except BadInput as error:
        errors.append(localized(error))
    for name in ("start", "end"):
        try:
            parsed[name] = _day(values, name) or _missing(name)
        except BadInput as error:
            errors.append(localized(error))
    for name in ("impressions", "clicks", "conversions"):
        text = values[name]
        if not text.isdigit():
            errors.append(_l("%(name)s must be a whole number, zero or more", name=name))
        else:
            parsed[name] = int(text)
    if errors:
        return None
    return Observation(asset=current_atrium().iris.asset(asset_id), **parsed)  # type: ignore[arg-type]


def _missing(name: str) -> dt.date:
    raise BadInput(_l("%(name)s is required: a date like 2026-03-31", name=name))


def _campaign(text: str) -> NamedNode:
    """A campaign of the campaigns vocabulary by name, notation or IRI (``Campaigns.find``);
    failing that, any http(s) IRI (the results shape asks no more of a campaign)."""
    if not text:
        raise BadInput(_l("campaign is required: its name or IRI"))
    atrium = current_atrium()
    found = atrium.campaigns.find(text)
    if found is not None:
        return found
    if text.startswith(("http://", "https://")):
        return _iri({"campaign": text}, "campaign", required=True)  # type: ignore[return-value]
    raise BadInput(_l("no campaign named %(text)s: give its name or IRI", text=repr(text[:80])))
