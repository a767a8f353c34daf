"""``atrium renditions``: make, here and now, the web renditions of the videos browsers cannot
play that are still to be made (the server makes them in the background; this is for a site
that ingests from the command line and serves later).

Exit status: 0 when every one was made (or none was needed), 1 when one or more failed.
"""

from __future__ import annotations

import argparse

from app.cli.status import EXIT_FAILED, EXIT_OK
from app.service import Atrium


def renditions(args: argparse.Namespace, atrium: Atrium) -> int:
    made = atrium.web_renditions.make_pending()
    for asset_id, state in made.items():
        detail = f": {state.reason}" if state.reason else f" ({state.width}×{state.height})"
        print(f"{asset_id} {state.state}{detail}")
    failed = sum(1 for state in made.values() if state.state != "ready")
    print(f"{len(made) - failed} web renditions made, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK
