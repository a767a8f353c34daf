"""The service the app serves, for the request at hand. The lowest of the web's own modules:
it imports none of them, so that every one (:mod:`app.web.auth` too) may import it."""

from __future__ import annotations

from flask import current_app

from app.service import Atrium


def current_atrium() -> Atrium:
    return current_app.extensions["atrium"]
