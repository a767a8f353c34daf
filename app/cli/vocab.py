"""``atrium vocab import|export|check|list``: the taxonomist's command line.

Exit status: 0 when all went well, 1 when the quality gates found errors (an import stopped, a
check failed) or the file holds no statement, 2 on a usage error (unknown vocabulary, unreadable
file).
"""

from __future__ import annotations

import argparse
import sys

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.vocab.catalogue import Vocabulary
from app.domain.vocab.cleaning import CleaningReport
from app.domain.vocab.files import (
    EmptyVocabularyError,
    VocabularyFileError,
)
from app.domain.vocab.history import CLI_ACTOR
from app.domain.vocab.importer import ImportOptions, ImportReport
from app.domain.vocab.languages import LanguagePreference
from app.domain.vocab.quality import HIERARCHY_DEPTH, QualityReport
from app.domain.vocab.service import UnknownVocabulary
from app.service import Atrium

SHOWN_PER_RULE = 10
SHOWN_CHANGES = 10


def vocab(args: argparse.Namespace, atrium: Atrium) -> int:
    handlers = {"import": import_file, "export": export, "check": check, "list": list_all}
    try:
        return handlers[args.action](args, atrium)
    except EmptyVocabularyError as error:
        print(f"atrium vocab {args.action}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (UnknownVocabulary, VocabularyFileError) as error:
        raise UsageError(str(error)) from None


def import_file(args: argparse.Namespace, atrium: Atrium) -> int:
    options = ImportOptions(scheme=args.scheme, clean=args.clean, merge=args.merge)
    report = atrium.vocab.import_file(args.file, options, CLI_ACTOR)
    print_import(report)
    return EXIT_OK if report.stored else EXIT_FAILED


def print_import(report: ImportReport) -> None:
    languages = ", ".join(f"{lang or 'no tag'} ({n:,})" for lang, n in report.languages.items())
    print(f"{report.path.name}: {report.concepts:,} concepts, scheme <{report.scheme}>")
    print(f"  languages of prefLabels: {languages or 'none'}")
    for note in report.notes:
        print(f"  note: {note}")
    if report.cleaning is not None:
        print_cleaning(report.cleaning)
    print_quality(report.quality, SHOWN_PER_RULE)
    if not report.stored:
        too_deep = any(issue.rule == HIERARCHY_DEPTH for issue in report.quality.errors)
        hint = "" if too_deep else ", or import it with --clean to let skosify break cycles"
        print(
            f"NOT IMPORTED: {len(report.quality.errors):,} errors make the vocabulary unusable. "
            f"Fix the file{hint}."
        )
        return
    verb = "replaced the previous version of" if report.replaced else "stored as"
    print(f"Imported: {verb} vocabulary {report.slug!r} (graph <{report.graph}>)")
    if report.diff is not None:
        print_diff(report)


def print_cleaning(cleaning: CleaningReport) -> None:
    print("  skosify changed:", ", ".join(cleaning.changes) or "nothing")
    for line in cleaning.actions:
        print(f"    did: {line}")
    for line in cleaning.unfixed:
        print(f"    could not fix: {line}")


def print_diff(report: ImportReport) -> None:
    diff = report.diff
    print(f"Changes since the previous version: {diff.summary()}")
    for name in ("added", "removed", "relabelled", "moved"):
        concepts = getattr(diff, name)
        for iri in concepts[:SHOWN_CHANGES]:
            print(f"  {name:<10} {diff.named(iri)}")
        if len(concepts) > SHOWN_CHANGES:
            print(f"  {name:<10} … and {len(concepts) - SHOWN_CHANGES:,} more")
    for iri, count in sorted(report.removed_in_use.items()):
        print(f"  WARNING: removed {diff.named(iri)} is still used by {count:,} assets")


def print_quality(report: QualityReport, shown: int | None) -> None:
    print(f"  quality: {len(report.errors):,} errors, {len(report.warnings):,} warnings")
    for rule, issues in report.by_rule().items():
        print(f"  {rule} ({len(issues):,}):")
        for issue in issues[:shown]:
            print(f"    {issue}")
        if shown is not None and len(issues) > shown:
            print(f"    … and {len(issues) - shown:,} more (atrium vocab check SCHEME --all)")


def export(args: argparse.Namespace, atrium: Atrium) -> int:
    body, _, _ = atrium.vocab.export(args.scheme, args.format)
    if args.output:
        args.output.write_bytes(body)
        print(f"Wrote {args.output} ({len(body):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    return EXIT_OK


def check(args: argparse.Namespace, atrium: Atrium) -> int:
    chosen = [atrium.vocab.get(args.scheme)] if args.scheme else atrium.vocab.catalogue.all()
    errors = 0
    for vocabulary in chosen:
        report = atrium.vocab.check(vocabulary)
        print(f"{vocabulary.slug} ({vocabulary.concepts:,} concepts):")
        print_quality(report, None if args.all else SHOWN_PER_RULE)
        errors += len(report.errors)
    return EXIT_FAILED if errors else EXIT_OK


def list_all(args: argparse.Namespace, atrium: Atrium) -> int:
    prefs = LanguagePreference.of([])
    for vocabulary in atrium.vocab.catalogue.all():
        print(_line(vocabulary, prefs))
    return EXIT_OK


def _line(vocabulary: Vocabulary, prefs: LanguagePreference) -> str:
    languages = ", ".join(sorted(lang or "no tag" for lang in vocabulary.languages))
    scheme = vocabulary.scheme.iri if vocabulary.scheme else "no scheme"
    return (
        f"{vocabulary.slug:<24} {vocabulary.concepts:>7,} concepts  {vocabulary.title(prefs)} "
        f"<{scheme}>  [{languages}]"
    )
