"""The `fieldcheck` command: thin click commands over the services."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .errors import DomainError
from .extensions import db
from .spots.cli import import_spots


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """fieldcheck: civilized-city inspection reports, rectification and monthly ranking."""


def _commit_or_fail(action):
    """Run a service in one unit of work (commit once), and turn a domain error into a clear message and
    exit status 1."""
    from .unit_of_work import writing

    try:
        with writing():
            return action()
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


def _text(path: str) -> str:
    try:
        return _read(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text") from None


@main.command("import-boundaries")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def import_boundaries(path: str) -> None:
    """Load a GeoJSON FeatureCollection of community boundaries as a new boundary version."""
    from .geography.services import import_boundaries as run

    version = _commit_or_fail(lambda: run(_read(path), Path(path).name))
    click.echo(f"boundary version {version.id}: {version.feature_count} communities from {Path(path).name}")


@main.command("import-checklist")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--month", help="First month the version is in force (YYYY-MM); default: the file's effective_month."
)
@with_appcontext
def import_checklist(path: str, month: str | None) -> None:
    """Validate a checklist file (YAML, JSON or XLSX) and store it as a new version."""
    from .checklist.services import import_checklist as run

    version = _commit_or_fail(lambda: run(_read(path), effective_month=month, source_name=Path(path).name))
    click.echo(
        f"checklist {version.label} (version {version.id}): {len(version.items)} items, "
        f"in force from {version.effective_month}"
    )


@main.command("import-calendar")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def import_calendar(path: str) -> None:
    """Load one year's public holidays and make-up working days (replaces that year)."""
    from .calendar.services import import_calendar as run

    year = _commit_or_fail(lambda: run(_text(path), Path(path).name))
    click.echo(f"calendar {year.year} loaded from {year.source_name}")


@main.group()
def users() -> None:
    """Add, import, deactivate user accounts and set their passwords."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice(["inspector", "community", "subdistrict", "office", "admin"])
)
@click.option(
    "--level", type=click.Choice(["city", "district", "subdistrict"]), help="Inspector level (found_by)."
)
@click.option("--community", help="Community code, for community staff.")
@click.option("--subdistrict", help="Sub-district code, for sub-district staff.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def users_add(username, role, level, community, subdistrict, display_name, password) -> None:
    """Add one user."""
    from .auth.services import NewUser, add_user

    spec = NewUser(username, password, role, level, community, subdistrict, display_name)
    user = _commit_or_fail(lambda: add_user(spec))
    click.echo(f"added {user.username} ({user.role})")


@users.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def users_import(path: str) -> None:
    """Import users from CSV: username,password,role,level,community,subdistrict,display_name."""
    from .auth.services import import_users

    added = _commit_or_fail(lambda: import_users(_text(path)))
    click.echo(f"imported {len(added)} users")


@users.command("set-password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the new password from the first line of standard input."
)
@with_appcontext
def users_set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password (asked for twice); every session and API token of the user ends."""
    from .auth.services import set_password, user_named

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    _commit_or_fail(lambda: set_password(user_named(username), password))
    click.echo(f"password of {username} changed; every session and API token of {username} has ended")


@users.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username: str) -> None:
    """Refuse a user at once: login and tokens fail, every session and API token ends."""
    from .auth.services import deactivate, user_named

    sessions, tokens = _commit_or_fail(lambda: deactivate(user_named(username)))
    click.echo(f"deactivated {username}: {sessions} sessions and {tokens} API tokens ended")


@users.command("activate")
@click.argument("username")
@with_appcontext
def users_activate(username: str) -> None:
    """Let a deactivated user log in again (with their password as it was)."""
    from .auth.services import activate, user_named

    _commit_or_fail(lambda: activate(user_named(username)))
    click.echo(f"activated {username}")


@main.group()
def tokens() -> None:
    """List or revoke users' API tokens."""


@tokens.command("list")
@click.option("--user", "username", required=True, help="Whose tokens.")
@with_appcontext
def tokens_list(username: str) -> None:
    """List a user's API tokens (id, created, expires, last used)."""
    from .auth.services import tokens_of, user_named

    rows = _commit_or_fail(lambda: tokens_of(user_named(username)))
    for row in rows:
        used = row.last_used_at.isoformat() if row.last_used_at else "-"
        click.echo(
            f"{row.id}\tcreated {row.created_at.isoformat()}\texpires {row.expires_at.isoformat()}\tused {used}"
        )
    click.echo(f"{len(rows)} API tokens of {username}")


@tokens.command("revoke")
@click.option("--user", "username", required=True, help="Revoke every API token of this user.")
@with_appcontext
def tokens_revoke(username: str) -> None:
    """Revoke every API token of a user at once (their browser sessions stay)."""
    from .auth.services import revoke_all_tokens, user_named

    count = _commit_or_fail(lambda: revoke_all_tokens(user_named(username)))
    click.echo(f"revoked {count} API tokens of {username}")


@main.command("overdue")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--at", "at", help="Judge overdue at this ISO 8601 time with offset (default: now).")
@with_appcontext
def overdue(fmt: str, output: str | None, at: str | None) -> None:
    """List overdue items per community (for a daily reminder job)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from .types import utcnow
    from .workflow.reminders import as_csv, as_text, overdue_items

    now = utcnow()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise click.ClickException(
                "--at must be an ISO 8601 time such as 2026-11-27T08:00+08:00"
            ) from None
        if now.tzinfo is None:
            raise click.ClickException("--at needs a UTC offset, such as 2026-11-27T08:00+08:00")
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    items = overdue_items(now)
    if fmt == "csv":
        from . import links

        if not links.is_configured():
            click.echo(links.RELATIVE_NOTE, err=True)
        text = as_csv(items, tz, base_url=links.public_base() if links.is_configured() else "")
    else:
        text = as_text(items, now, tz)
    if output:
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        try:
            Path(output).write_text(text, encoding=encoding, newline="")
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
        click.echo(f"{len(items)} overdue items written to {output}")
    else:
        click.echo(text, nl=False)


@main.command("seed-demo")
@click.option(
    "--activity/--no-activity",
    default=True,
    show_default=True,
    help="Also file last month's and this month's demo reports, moved through the workflow.",
)
@with_appcontext
def seed_demo(activity: bool) -> None:
    """Fill an empty database with the demo district and demo accounts."""
    from .demo import is_empty
    from .demo import seed_demo as run

    if not is_empty():
        raise click.ClickException("the database already has users; seed-demo only fills an empty database")
    summary = _commit_or_fail(run)
    click.echo(
        f"demo district: {summary['subdistricts']} sub-districts, {summary['communities']} communities, "
        f"{summary['spots']} spots; accounts admin, office, inspector, subdistrict, community, community2 "
        "(password demo-2026-wmb)"
    )
    if activity:
        _seed_activity()


def _seed_activity() -> None:
    from zoneinfo import ZoneInfo

    from .demo.activity import seed_activity
    from .types import utcnow

    counts = seed_activity(
        utcnow(),
        ZoneInfo(current_app.config["TIMEZONE"]),
        current_app.extensions["fieldcheck.storage"],
        max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
    )
    click.echo(
        f"demo activity: {counts['reports']} reports, {counts['visits']} visits, {counts['moves']} workflow moves"
    )


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo(host: str, port: int) -> None:
    """Upgrade the database, seed the demo district if empty, and serve."""
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from .demo import is_empty
    from .demo import seed_demo as run

    upgrade()
    if is_empty():
        _commit_or_fail(run)
        click.echo("seeding the demo district and a month and a half of reports (once; about 15 seconds)")
        _seed_activity()
        click.echo("seeded the demo district; log in as inspector / demo-2026-wmb (see README.md)")
    db.session.remove()
    url = f"http://{host}:{port}/"
    click.echo(f"fieldcheck on {url} (database {current_app.config['SQLALCHEMY_DATABASE_URI']})")
    # Not app.run(): FlaskGroup sets FLASK_RUN_FROM_CLI, which turns app.run() into a no-op.
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@main.command("ranking")
@click.argument("month")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), default="xlsx", show_default=True
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write (- for stdout)."
)
@click.option(
    "--live", is_flag=True, help="For a published month: the recomputation, not the published figures."
)
@with_appcontext
def ranking(month: str, fmt: str, output: str, live: bool) -> None:
    """Export a month's ranking (YYYY-MM) as XLSX, CSV or JSON: published figures if published, else live."""
    from . import links
    from .documents.services import of_ranking
    from .ranking import exports
    from .ranking.services import ranking as run
    from .types import utcnow

    now, tz_name = utcnow(), current_app.config["TIMEZONE"]
    try:
        document = run(month, now=now, tz_name=tz_name, live=live)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if not links.is_configured():
        click.echo(links.RELATIVE_NOTE, err=True)
    base = links.public_base() if links.is_configured() else ""
    if fmt == "xlsx":
        body = exports.to_xlsx(document, base_url=base, formal=of_ranking(document, now=now, tz_name=tz_name))
    else:
        body = {"csv": exports.to_csv, "json": exports.to_json}[fmt](document, base_url=base)
    if output == "-":
        click.get_binary_stream("stdout").write(body)
        return
    try:
        Path(output).write_bytes(body)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    state = f"published #{document['published']['sequence']}" if document["published"] else "not published"
    click.echo(
        f"ranking {document['month']} ({state}, {document['source']}): {len(document['communities'])} communities → {output}"
    )


# --- notifications (fieldcheck/notify) ---


@main.command("notify")
@click.option("--once", is_flag=True, help="Send what is due now and exit (for cron).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds when running on.")
@with_appcontext
def notify(once: bool, interval: float) -> None:
    """Send due notifications to the 企业微信/钉钉 robots and by e-mail; runs until stopped (Ctrl-C, SIGTERM)."""
    import signal

    from .notify import worker

    if once:
        planned, result = worker.run_round()
        click.echo(
            f"{planned.due_soon + planned.overdue} reminders, {planned.digests + planned.months} digests; "
            f"{result.messages} messages: {result.sent} items sent, {result.retry} to retry, "
            f"{result.failed} failed"
        )
        return
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        worker.run_forever(interval=interval, log=click.echo, stop=lambda: bool(stopping))
    except KeyboardInterrupt:  # Ctrl-C: stop quietly
        return


@main.command("serve", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--bind", "-b", default=None, help="Address to listen on (default: FIELDCHECK_BIND or 127.0.0.1:8000)."
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: from the core count; see fieldcheck/gunicorn_config.py).",
)
@click.pass_context
def serve(ctx: click.Context, bind: str | None, workers: int | None) -> None:
    """Serve the app for production with gunicorn and the repository's configuration (gunicorn.conf.py);
    further arguments go to gunicorn."""
    import os

    from .gunicorn_config import gunicorn_argv

    argv = gunicorn_argv(bind=bind, workers=workers, extra=ctx.args)
    os.execvp(argv[0], argv)


from . import cli_backup as _cli_backup  # noqa: E402, F401  (registers backup and restore on main)
from . import cli_blobs as _cli_blobs  # noqa: E402, F401  (registers blobs check and blobs migrate on main)

main.add_command(import_spots)  # fieldcheck/spots/cli.py
if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
