"""``atrium export`` and ``atrium import``: back up and restore the data folder
(app/domain/operations/backup.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.maintenance import rebuild_search_index
from app.cli.status import EXIT_OK, UsageError
from app.domain.operations.backup import BackupError, ImportJournal, export_all, restore_all
from app.service import Atrium


def export(args: argparse.Namespace, atrium: Atrium) -> int:
    try:
        summary = export_all(
            atrium.store,
            atrium.media,
            args.folder,
            databases=_databases(atrium),
            base_iri=atrium.config.base_iri,
        )
    except BackupError as error:
        raise UsageError(str(error)) from None
    print(
        f"Exported {summary.quads:,} quads and {summary.media_files:,} media files to {args.folder}"
    )
    print(f"  with the users, their passwords and tokens ({atrium.users.path.name})")
    if summary.missing_media:
        print(
            f"  note: the graph refers to {summary.missing_media:,} media files the media store "
            "does not hold (metadata-only records); the manifest lists them as missing"
        )
    if summary.unreferenced_media:
        print(f"  note: left out {summary.unreferenced_media:,} media files no asset refers to")
    return EXIT_OK


def restore(args: argparse.Namespace, atrium: Atrium) -> int:
    mode = "resume" if args.resume else "replace" if args.replace else "new"
    try:
        summary = restore_all(
            atrium.store,
            atrium.media,
            args.folder,
            ImportJournal(atrium.config.data_dir),
            mode=mode,
            after_load=lambda: rebuild_search_index(atrium, quiet=True),
            databases=_databases(atrium),
            base_iri=atrium.config.base_iri,
        )
    except BackupError as error:
        raise UsageError(str(error)) from None
    print(f"Restored {summary.quads:,} quads and {summary.media_files:,} media files")
    return EXIT_OK


def _databases(atrium: Atrium) -> list[Path]:
    """The data folder's databases that hold what the graph does not (passwords, tokens)."""
    return [atrium.users.path]
