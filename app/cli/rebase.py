"""``atrium rebase NEW_BASE``: move the data folder's IRIs to a new base
(:mod:`app.domain.operations.rebase`)."""

from __future__ import annotations

import argparse
import dataclasses

from app.cli.status import EXIT_OK, UsageError
from app.config import Config
from app.domain.operations.rebase import rebase as rebase_data_folder
from app.service import Atrium
from app.storage.open import open_store


def rebase(args: argparse.Namespace, _: None) -> int:
    config = Config.from_env()
    store = open_store(config)
    try:
        summary = rebase_data_folder(config, store, args.new_base)
    except ValueError as error:
        raise UsageError(str(error)) from None
    finally:
        store.close()
    moved = "" if summary.rewritten is None else f", {summary.rewritten:,} of them rewritten"
    print(f"Moved {summary.quads:,} quads{moved}: {summary.old_base} → {summary.new_base}")
    with Atrium(dataclasses.replace(config, base_iri=summary.new_base)) as atrium:
        print(f"Indexed {atrium.search_index.rebuild():,} assets for search")
        atrium.results_index.snapshot()  # read anew from the graph, and saved
    print(
        f"The data folder now records the base IRI {summary.new_base}: unset ATRIUM_BASE_IRI "
        "or set it to that"
    )
    return EXIT_OK
