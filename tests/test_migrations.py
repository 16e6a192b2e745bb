"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, from one head."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from fieldcheck import create_app
from fieldcheck.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def test_single_head():
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"more than one migration head: {heads}"


@pytest.fixture
def empty_database_url(backend, tmp_path, request):
    if backend == "postgresql":
        return request.getfixturevalue("pg_empty_database")
    return f"sqlite:///{tmp_path / 'migrations.db'}"


def test_migrations_build_the_models(empty_database_url, tmp_path):
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "x", "BLOB_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"migrations and models differ: {diff}"
