"""`fieldcheck blobs`: the photo store's check (with its sweep) and its migration to another store."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .cli import main
from .extensions import db


@main.group()
def blobs() -> None:
    """Maintain the photo store."""


@blobs.command("check")
@click.option(
    "--sweep", is_flag=True, help="Remove unreferenced files and temporary parts older than the grace period."
)
@click.option(
    "--grace",
    "grace_hours",
    type=click.FloatRange(min=1),
    default=24,
    show_default=True,
    help="Hours a leftover must be untouched before --sweep removes it.",
)
@with_appcontext
def blobs_check(sweep: bool, grace_hours: float) -> None:
    """List unreferenced photo files, temporary parts and rows whose files are missing (exit 1 if any are)."""
    from datetime import timedelta

    from .blobs import check
    from .database import READER
    from .types import utcnow

    store = current_app.extensions["fieldcheck.storage"]
    with db.engine.connect().execution_options(**{READER: True}) as conn:  # reads beside the app's writers
        result = check(store, conn, utcnow(), grace=timedelta(hours=grace_hours), sweep=sweep)
    removed = set(result.removed)
    for item in [*result.unreferenced, *result.temporary]:
        state = "removed" if item.name in removed else ("old" if result.is_old(item) else "young, kept")
        label = "temporary part" if item.temporary else "unreferenced"
        click.echo(f"{label}\t{item.name}\t{item.size} bytes\t{item.modified:%Y-%m-%dT%H:%MZ}\t{state}")
    for m in result.missing:
        owner = f"report {m.report_id}" if m.report_id is not None else f"visit {m.visit_id}"
        click.echo(f"missing\tphoto {m.photo_id} ({owner})\t{m.column}\t{m.key}")
    click.echo(
        f"{store!r}: {result.photo_files} photo files, {len(result.unreferenced)} unreferenced, "
        f"{len(result.temporary)} temporary parts, {len(result.missing)} missing files; "
        f"{len(result.removed)} removed{'' if sweep else ' (without --sweep nothing is removed)'}; "
        f"{result.display_not_made} display copies not made yet (made on a photo's first view; not damage)"
    )
    if not result.ok:
        raise click.exceptions.Exit(1)


@blobs.command("migrate")
@click.option(
    "--to",
    "to_url",
    required=True,
    metavar="s3://BUCKET/PREFIX",
    help="The destination store (with the FIELDCHECK_S3_* settings of this environment).",
)
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=4, show_default=True, help="Blobs copied at once."
)
@with_appcontext
def blobs_migrate(to_url: str, jobs: int) -> None:
    """Copy the configured photo store to another (object storage), verifying each SHA-256; run it again
    to resume after an interruption (what is there and verified is skipped)."""
    from .storage import StorageUnavailable, store_from_config
    from .storage_migrate import migrate

    source = current_app.extensions["fieldcheck.storage"]
    try:
        dest = store_from_config({**current_app.config, "BLOB_URL": to_url})
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    if repr(dest) == repr(source):
        raise click.BadParameter("the destination is the configured store itself", param_hint="--to")
    click.echo(f"copying {source!r} -> {dest!r}")

    def progress(m) -> None:
        click.echo(f"  {m.done} blobs: {m.copied} copied, {m.replaced} replaced, {m.skipped} already there")

    try:
        result = migrate(source, dest, jobs=jobs, progress=progress)
    except StorageUnavailable as exc:
        raise click.ClickException(f"{exc}; run the same command again to resume") from None
    for key, reason in result.failed:
        click.echo(f"failed\t{key}\t{reason}")
    click.echo(
        f"{result.copied} copied, {result.replaced} replaced, {result.skipped} already there and verified, "
        f"{len(result.failed)} failed"
    )
    if not result.ok:
        raise click.exceptions.Exit(1)
