"""What every command shares: its exit status and the usage error.

Exit status: 0 when all went well, 1 when the work ran but something failed (a file that
could not be ingested, a shape violated), 2 on a usage error.
"""

from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command was asked for something it cannot do; the message says what to change."""


def print_json(value: object) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    print()
