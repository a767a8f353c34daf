"""``atrium results import FILE.csv``: load results observed per asset, segment, channel,
campaign and period (columns in :mod:`app.domain.results.importer`).

Exit status: 0 when every row landed, 1 when some were refused (the others still landed),
2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.results.importer import ResultsFileError, ResultsImporter
from app.service import Atrium


def add_arguments(results: argparse.ArgumentParser) -> None:
    actions = results.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import", help="load a CSV of results; the same dimensions again replace the figures"
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")


def results(args: argparse.Namespace, atrium: Atrium) -> int:
    try:
        summary = ResultsImporter(atrium, bulk=True).run(args.file)
    except ResultsFileError as error:
        raise UsageError(str(error)) from None
    for line in summary.lines():
        print(line)
    return EXIT_FAILED if summary.refused else EXIT_OK
