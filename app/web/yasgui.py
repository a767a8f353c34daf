"""YASGUI (https://github.com/zazuko/Yasgui) for the query page, served from its npm package.

Third-party front-end code never enters the repository: ``make`` installs the pinned npm
package ``@zazuko/yasgui`` into ``app/web/vendor/`` (git-ignored), and the query page uses it
when it is there. Without it, or without JavaScript, the page is a plain form that works.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, send_from_directory

VENDOR = Path(__file__).resolve().parent / "vendor"
BUILD = VENDOR / "node_modules" / "@zazuko" / "yasgui" / "build"
FILES = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}


def yasgui_available() -> bool:
    return all((BUILD / name).is_file() for name in FILES)


def send_yasgui_file(name: str) -> Response:
    """One of YASGUI's two build files, cached by the browser for a day."""
    if name not in FILES or not yasgui_available():
        abort(404)
    return send_from_directory(BUILD, name, mimetype=FILES[name], max_age=86400)
