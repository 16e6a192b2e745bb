"""CI runs exactly the test command a new user reads in README.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command_exactly():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running the tests", 1)[1]
    command = shell_blocks(section)[0]
    assert command.endswith("-m pytest"), command
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_the_quick_start_installs_the_way_the_tests_do():
    """The two commands share their install step, so a quick start that works means the tests install too."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = shell_blocks(readme.split("## Quick start", 1)[1])[0]
    test = shell_blocks(readme.split("## Running the tests", 1)[1])[0]
    assert (
        start.replace(" -e . ", " -e '.[test]' ").split(" && .venv/bin/fieldcheck")[0]
        == test.split(" && .venv/bin/python -m pytest")[0]
    )
