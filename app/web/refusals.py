"""The words of refusals the asset views share: a change by someone outside the owning
department (the asset page, the edit form, a new version), and an upload's limits (the upload
form in ``app.web.edit``, a new version in ``app.web.versions``). Lazy, so each is in the
language of whoever reads it (English for API clients)."""

from __future__ import annotations

from app.config import Config
from app.domain.assets.records import AssetRefused
from app.domain.assets.validation import Problem
from app.web.i18n import N_, LazyText, current_language
from app.web.i18n import lazy_text as _l

NOT_YOURS = _l("only contributors of the owning department may change this asset")
NO_DEPARTMENT = _l("you belong to no department, so you cannot upload; ask an admin")
HIDDEN_DUPLICATE = N_(
    "This file is already stored as an asset you cannot see; it cannot be stored again."
)


def _mib(config: Config) -> int:
    return config.max_upload_bytes // (1024 * 1024)


def files_too_large(config: Config) -> LazyText:
    """The upload form's 413: the files together are over the upload limit."""
    return _l(
        "The file is larger than the %(mib)s MiB an upload may be (several files: together). "
        "Send a smaller file or fewer files, or ask an administrator to raise "
        "ATRIUM_MAX_UPLOAD_MB.",
        mib=_mib(config),
    )


def file_too_large(config: Config) -> LazyText:
    """A new version's 413: its one file is over the upload limit."""
    return _l(
        "The file is larger than the %(mib)s MiB an upload may be. Send a smaller file, or ask "
        "an administrator to raise ATRIUM_MAX_UPLOAD_MB.",
        mib=_mib(config),
    )


def too_many_files(config: Config) -> LazyText:
    """Files of one upload are capped by a setting; their total size by the body limit."""
    return _l(
        "An upload may hold %(files)s files at most; send the others in a second upload.",
        files=config.max_files_per_upload,
    )


def department_not_yours(departments: list[str]) -> LazyText:
    return _l("you may upload for %(departments)s only", departments=", ".join(departments))


def refused_because(refusal: AssetRefused) -> LazyText:
    """Why the shapes refused a write: each problem's focus, field and message in the language
    of whoever reads it, as the shapes give them (English for API clients)."""
    return problems_said(refusal.report.refusals, with_focus=True)


def problems_said(problems: list[Problem], *, with_focus: bool = False) -> LazyText:
    """The shapes' problems, their fields and messages (and foci: what each is about) in the
    language of whoever reads them (English for API clients)."""

    def said(problem: Problem, language: str) -> str:
        if with_focus:
            return problem.in_language(language)
        return problem.field_and_message_in(language)

    return LazyText(lambda: "; ".join(said(p, current_language()) for p in problems))
