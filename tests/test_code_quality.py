"""The tree is formatted and linted by ruff, and the pure domain modules type-check under mypy.

These run the same commands a developer runs (`ruff format --check`, `ruff check`, `mypy`), so the
suite's command is the one place that says whether a change is ready.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Pure modules: plain data in, plain data out, no Flask and no database. mypy checks them strictly
# enough to catch a None where a value is promised; the Flask and SQLAlchemy layers are not listed.
PURE_MODULES = [
    "fieldcheck/months.py",
    "fieldcheck/inputs.py",
    "fieldcheck/status.py",
    "fieldcheck/csvcells.py",
    "fieldcheck/errors.py",
    "fieldcheck/geo.py",
    "fieldcheck/boundary_diff.py",
    "fieldcheck/earth.py",
    "fieldcheck/datafiles.py",
    "fieldcheck/calendar/rules.py",
    "fieldcheck/calendar/files.py",
    "fieldcheck/permissions.py",
    "fieldcheck/storage.py",
    "fieldcheck/photos",
    "fieldcheck/checklist/spec.py",
    "fieldcheck/checklist/files.py",
    "fieldcheck/checklist/sheet.py",
    "fieldcheck/checklist/diff.py",
    "fieldcheck/scoring",
    "fieldcheck/workflow/rules.py",
    "fieldcheck/notify/rules.py",
    "fieldcheck/notify/schedule.py",
    "fieldcheck/map/datum.py",
    "fieldcheck/map/nearest.py",
    "fieldcheck/documents/formal.py",
    "fieldcheck/spots/rules.py",
    "fieldcheck/ranking/chart.py",
    "fieldcheck/scripts.py",
]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_the_tree_is_formatted_by_ruff():
    result = _run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing():
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pure_modules_type_check():
    result = _run("mypy", "--ignore-missing-imports", "--follow-imports=silent", *PURE_MODULES)
    assert result.returncode == 0, result.stdout + result.stderr


LONGEST_FUNCTION = 60
LONGEST_MODULE = 500


def long_functions(source: str) -> list[tuple[str, int]]:
    """The functions of a module longer than LONGEST_FUNCTION lines whose docstring does not say why
    (a paragraph starting "Long ")."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > LONGEST_FUNCTION and "\nLong " not in "\n" + (ast.get_docstring(node) or ""):
                found.append((node.name, length))
    return found


def test_the_size_rule_finds_a_long_function_without_a_reason():
    body = "".join(f"    x{i} = {i}\n" for i in range(LONGEST_FUNCTION))
    assert long_functions(f"def f():\n{body}") == [("f", LONGEST_FUNCTION + 1)]
    assert long_functions(f'def f():\n    """Does it.\n\n    Long because of x."""\n{body}') == []
    assert long_functions("def f():\n    return 1\n") == []


def test_no_module_or_function_is_longer_than_the_rule_unless_it_says_why():
    too_long = []
    for path in sorted((ROOT / "fieldcheck").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        if source.count("\n") > LONGEST_MODULE:
            too_long.append((name, "module", source.count("\n")))
        too_long += [(name, fn, n) for fn, n in long_functions(source)]
    assert too_long == []
