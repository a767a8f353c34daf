"""``atrium results import FILE.csv``: load results observed per asset, segment, channel,
campaign and period (columns in :mod:`app.domain.results.importer`).

Exit status: 0 when every row landed, 1 when some were refused (the others still landed),
2 when the file cannot be read.
"""

from __future__ import annotations

import argparse

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.results.importer import ResultsFileError, ResultsImporter
from app.service import Atrium


def results(args: argparse.Namespace, atrium: Atrium) -> int:
    try:
        summary = ResultsImporter(atrium, bulk=True).run(args.file)
    except ResultsFileError as error:
        raise UsageError(str(error)) from None
    for line in summary.lines():
        print(line)
    return EXIT_FAILED if summary.refused else EXIT_OK
