"""``atrium version ASSET_ID FILE``: make FILE the asset's current file, as a new version; also
``--list`` its versions and ``--revert N`` (see :mod:`app.domain.assets.versions`).

Exit status: 0 when the version was stored (or nothing changed: the file is the current one),
1 when it was refused (an unusable file, another asset's file, the shapes), 2 on a usage error
(no such asset, file or version).
"""

from __future__ import annotations

import argparse
import sys

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.assets.downloads import human_size
from app.domain.assets.records import AssetConflict, AssetRefused
from app.domain.assets.versions import (
    FileVersion,
    FileVersions,
    NothingChanged,
    StoredElsewhere,
    VersionRefused,
)
from app.domain.iris import ASSET_ID
from app.service import Atrium
from app.storage.graphstore import Scope


def version(args: argparse.Namespace, atrium: Atrium) -> int:
    if not ASSET_ID.match(args.asset_id) or not atrium.assets.exists(args.asset_id):
        raise UsageError(f"there is no asset {args.asset_id!r}")
    versions = FileVersions(atrium)  # the audit trail records the command line
    if args.list:
        for each in versions.history(args.asset_id, Scope.everything()) or []:
            print(_line(each))
        return EXIT_OK
    if args.file is not None and not args.file.is_file():
        raise UsageError(f"{args.file}: no such file")
    try:
        if args.file is not None:
            added = versions.upload(args.asset_id, args.file)
        else:
            added = versions.revert(args.asset_id, args.revert)
    except NothingChanged as unchanged:
        print(f"Nothing changed: {unchanged}")
        return EXIT_OK
    except StoredElsewhere as elsewhere:  # the administrator may know where it lives
        print(f"atrium version: not stored: it is asset {elsewhere.holder}'s file", file=sys.stderr)
        return EXIT_FAILED
    except (VersionRefused, AssetRefused, AssetConflict) as refused:
        print(f"atrium version: not stored: {refused}; the asset is unchanged", file=sys.stderr)
        return EXIT_FAILED
    except KeyError:
        raise UsageError(f"asset {args.asset_id} has no version {args.revert}") from None
    print(f"Stored version {added.number} of asset {args.asset_id}: {_line(added)}")
    return EXIT_OK


def _line(version: FileVersion) -> str:
    state = " (current)" if version.current else ""
    reverts = f", reverts to {version.restores}" if version.restores else ""
    return (
        f"{version.number:>3}{state}  {version.uploaded or '?'}  {version.uploader or '?'}  "
        f"{human_size(version.size)}  {version.name}{reverts}"
    )
