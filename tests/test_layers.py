"""Layering rules read from the source: one commit point, services free of the Flask layer, no cycle
between the reports and workflow features."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fieldcheck"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE.parent).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module, module: str) -> set[str]:
    """Every module imported anywhere in the file (function-local imports included), made absolute."""
    package = module.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def test_only_the_unit_of_work_commits():
    """Issue 13: one commit point (``fieldcheck.unit_of_work.writing``), not one per entry module."""
    commits = [
        f"{module}:{node.lineno}"
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
        and module != "fieldcheck/unit_of_work.py"
    ]
    assert commits == []


def test_services_do_not_import_the_flask_layer():
    """A service takes plain values: it imports neither Flask nor ``fieldcheck.web``. (Not yet
    ``auth/services.py``, which reads the password hashing method from the app's configuration.)"""
    services = [
        m
        for m, _tree in _modules()
        if (m.endswith("services.py") or m == "fieldcheck/permissions.py")
        and m != "fieldcheck/auth/services.py"
    ]
    offenders = {
        module: sorted(
            name
            for name in _imports(tree, module)
            if name.split(".")[0] in ("flask", "flask_login", "flask_babel")
            or name.startswith("fieldcheck.web")
        )
        for module, tree in _modules()
        if module in services
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_the_reports_feature_does_not_depend_on_the_workflow_services():
    """The workflow builds on reports (filing helpers, photo rows); reports never call back into it."""
    offenders = {
        module: sorted(
            name
            for name in _imports(tree, module)
            if name.startswith(
                ("fieldcheck.workflow.services", "fieldcheck.workflow.api", "fieldcheck.workflow.views")
            )
        )
        for module, tree in _modules()
        if module.startswith("fieldcheck/reports/")
    }
    assert {m: names for m, names in offenders.items() if names} == {}
