"""`fieldcheck backup DIR` and `fieldcheck restore DIR`: thin commands over fieldcheck.backup."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .cli import main
from .extensions import db


def migration_head() -> str:
    """The schema revision of this code's models: the migrations' single head."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    if len(heads) != 1:
        raise click.ClickException(f"the migrations have {len(heads)} heads: {heads}")
    return heads[0]


@main.command("backup")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(folder: str) -> None:
    """Back up the database and the photo files its rows name into FOLDER (consistent while the app serves)."""
    from .backup import BackupError, backup
    from .storage import StorageUnavailable
    from .types import utcnow

    store = current_app.extensions["fieldcheck.storage"]
    try:
        result = backup(
            Path(folder),
            db.engine,
            store,
            db.metadata,
            now=utcnow(),
            revision=migration_head(),
            progress=click.echo,
        )
    except (BackupError, StorageUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write the backup: {exc}") from None
    for key in result.missing:
        click.echo(f"missing\t{key}\t(named by a photo row, not in {store!r})")
    click.echo(
        f"backup in {folder}: {sum(result.tables.values())} rows in {len(result.tables)} tables, "
        f"{result.blobs} photo files ({result.blob_bytes} bytes, {result.blobs_copied} copied now), "
        f"{len(result.missing)} missing; {result.display_not_made} display copies not made yet (made on a "
        "photo's first view, from its original: not needed in a backup)"
    )
    if result.missing:
        raise click.exceptions.Exit(1)


@main.command("restore")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--check", "check_only", is_flag=True, help="Only check the backup's files against its manifest."
)
@with_appcontext
def restore_command(folder: str, check_only: bool) -> None:
    """Restore a backup into an empty database (migrated first if it has no tables) and the configured store."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from .backup import BackupError, read_manifest, restore, verify
    from .storage import StorageUnavailable
    from .unit_of_work import writing

    try:
        manifest = read_manifest(Path(folder))
        if check_only:
            problems = verify(Path(folder))
            for problem in problems:
                click.echo(f"damaged\t{problem}")
            click.echo(f"{folder}: {'damaged' if problems else 'every file matches the manifest'}")
            if problems:
                raise click.exceptions.Exit(1)
            return
        if manifest["revision"] != migration_head():
            raise BackupError(
                f"the backup's schema revision is {manifest['revision']}, this fieldcheck's {migration_head()}: "
                "restore with the version that took it, then upgrade"
            )
        with db.engine.connect() as conn:
            empty = not inspect(conn).get_table_names()
        if empty:
            click.echo(f"creating the schema (revision {manifest['revision']})")
            upgrade(revision=manifest["revision"])
        store = current_app.extensions["fieldcheck.storage"]
        result = restore(Path(folder), db.session, store, db.metadata, write=writing)
    except (BackupError, StorageUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    for key in result.missing:
        click.echo(f"missing\t{key}")
    click.echo(
        f"restored {sum(result.tables.values())} rows in {len(result.tables)} tables and {result.blobs} photo "
        f"files into {store!r}; {len(result.missing)} photo files missing"
    )
    if result.missing:
        raise click.exceptions.Exit(1)
