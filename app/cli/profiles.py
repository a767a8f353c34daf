"""``atrium profile import|check|list|export``: department profiles as data.

Exit status: 0 when all went well, 1 when a profile was refused (each problem is printed, with
the shape it is about, and nothing is stored), 2 on a usage error (unreadable file, unknown
profile).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.shapes.fields import Field
from app.domain.shapes.profiles import ProfileImpact, ProfileRefused
from app.service import Atrium

SHOWN_ASSETS = 20


def profile(args: argparse.Namespace, atrium: Atrium) -> int:
    handlers = {"import": import_file, "check": check, "list": list_all, "export": export}
    try:
        return handlers[args.action](args, atrium)
    except ProfileRefused as refusal:
        print("The profile was refused; nothing was stored:", file=sys.stderr)
        for problem in refusal.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_FAILED


def import_file(args: argparse.Namespace, atrium: Atrium) -> int:
    shapes = atrium.profiles.read(_existing(args.file))
    impact = atrium.profiles.import_profile(shapes, args.department, dry_run=args.dry_run)
    print_impact(impact)
    return EXIT_OK


def check(args: argparse.Namespace, atrium: Atrium) -> int:
    path = _existing(args.file)
    department = args.department or path.stem
    fields = atrium.profiles.check(atrium.profiles.read(path), department)
    print(f"{path.name}: a valid profile for {department}, with {len(fields)} fields")
    _print_fields(fields)
    return EXIT_OK


def list_all(args: argparse.Namespace, atrium: Atrium) -> int:
    registry = atrium.fields
    written = atrium.shapes.departments()
    for department in registry.departments:
        fields = registry.profiles[department]
        print(f"{department}  {len(fields)} fields  (stored {written.get(department, '?')})")
        print("  " + ", ".join(f.name for f in fields))
    return EXIT_OK


def export(args: argparse.Namespace, atrium: Atrium) -> int:
    text = atrium.shapes.export(args.name)
    if text is None:
        known = ", ".join(("core", *atrium.fields.departments))
        raise UsageError(f"no stored profile {args.name!r} (known: {known})")
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def print_impact(impact: ProfileImpact) -> None:
    verb = "Stored" if impact.stored else "Would store (dry run)"
    print(f"{verb}: the {impact.department} profile, {len(impact.fields)} fields")
    _print_fields(impact.fields)
    print(
        f"{impact.assets} {impact.department} assets: "
        f"{len(impact.become_incomplete)} become incomplete, "
        f"{len(impact.become_complete)} become complete"
    )
    for label, assets in (
        ("incomplete now", impact.become_incomplete),
        ("complete now", impact.become_complete),
        ("withdrawn from public view (now restricted)", impact.withdrawn),
    ):
        if assets:
            shown = ", ".join(assets[:SHOWN_ASSETS])
            more = f" and {len(assets) - SHOWN_ASSETS} more" if len(assets) > SHOWN_ASSETS else ""
            print(f"  {label}: {shown}{more}")


def _print_fields(fields: list[Field]) -> None:
    for f in fields:
        required = "required" if f.required else "optional"
        scheme = f" of <{f.scheme}>" if f.scheme else ""
        print(f"  {f.name:<22} {f.kind}{scheme}, {required} - {f.label()}")


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path
