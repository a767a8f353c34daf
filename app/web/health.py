"""``/healthz``: whether the service is healthy, for load balancers and monitors.

200 when every check passes, else 503; the JSON body names each check (``store``,
``search_index``, ``results_index``, ``query_workers``: see
:class:`app.domain.operations.health.HealthChecks`), whether it passed, and why in a few words.
Anyone may ask: the answer holds no asset data and no count of assets.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from app.domain.operations.health import HealthChecks

health = Blueprint("health", __name__)

CHECKS = "health_checks"  # their key in app.extensions: one set of checks per app


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Each check's result; 200 when all pass, else 503."""
    checks = _checks().run()
    healthy = all(check.ok for check in checks)
    response = jsonify(
        status="ok" if healthy else "failing",
        checks={check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    )
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503


def _checks() -> HealthChecks:
    extensions = current_app.extensions
    if CHECKS not in extensions:  # two first requests at once make two: harmless, one is kept
        extensions.setdefault(CHECKS, HealthChecks(extensions["atrium"]))
    return extensions[CHECKS]
