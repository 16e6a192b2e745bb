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
