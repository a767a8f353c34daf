"""The README documents every setting and every command."""

from __future__ import annotations

from conftest import REPO

from app.cli.parser import build_parser
from app.config import SETTINGS

README = (REPO / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    for setting in SETTINGS:
        assert f"| `{setting.env}` |" in README, setting.env


def test_every_command_is_in_the_readme() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        assert f"`atrium {name}" in README, name


def test_the_readme_starts_with_the_two_commands() -> None:
    head = README.split("\n## ")[0]
    assert "make run" in head and "make test" in head
