"""``fieldcheck import-spots FILE``: the registry's import from the command line (added to fieldcheck.cli)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("import-spots")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def import_spots(path: str) -> None:
    """Add or change registry spots from a CSV or GeoJSON file: every row right, or nothing stored."""
    from ..cli import _commit_or_fail, _text
    from .services import import_spots as run

    counts = _commit_or_fail(lambda: run(_text(path), Path(path).name))
    click.echo(f"spots: {counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged")
