"""Video and audio on the asset page: the player's source, and a video's web rendition.

The web rendition (:mod:`app.domain.media.web_rendition`) answers byte ranges (206) like the
original does, so that a player can seek; both are for whoever may see the asset, else 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, url_for

from app.domain.media.web_rendition import KIND, MIME, state_of
from app.domain.terms import Triple
from app.namespaces import SCHEMA
from app.web.assets import _facts, _send, _visible_record
from app.web.context import current_atrium

media = Blueprint("media", __name__)
PLAYERS = ("video", "audio")  # the major media types an HTML5 media element plays
NOTES = {  # what the page says of a web rendition in each state
    "queued": "A version browsers can play is waiting to be made.",
    "making": "A version browsers can play is being made.",
    "ready": "Playing the version made for browsers (H.264, at most 720p).",
    "failed": "No version browsers can play could be made: {reason}",
}


@media.get("/assets/<asset_id>/web")
def web_rendition(asset_id: str) -> Response:
    """The web rendition (H.264 MP4) of a video browsers cannot play as it is, once made."""
    node = current_atrium().iris.rendition(asset_id, KIND)
    state = state_of(_visible_record(asset_id), node)
    if state is None or not state.ready:
        abort(404)
    return _send(state.sha256 or "", MIME, None, False)


@media.app_template_global()
def media_player(asset_id: str, triples: list[Triple]) -> dict[str, object] | None:
    """What the page's player plays (None: not a video or audio asset): ``kind`` (video or
    audio), ``source`` (the web rendition once ready, else the original) and its ``type``, and
    ``web``: the web rendition's state, if it has one, and ``note``, what the page says of it."""
    iris = current_atrium().iris
    mime = _facts(triples, iris.asset_file(asset_id)).get(SCHEMA.encodingFormat, "")
    kind = mime.split("/", 1)[0]
    if kind not in PLAYERS:
        return None
    web = state_of(triples, iris.rendition(asset_id, KIND))
    if web is not None and web.ready:
        source, mime = url_for("media.web_rendition", asset_id=asset_id), MIME
    else:
        source = url_for("assets.original", asset_id=asset_id)
    note = NOTES[web.state].format(reason=web.reason or "no reason given") if web else None
    return {"kind": kind, "source": source, "type": mime, "web": web, "note": note}
