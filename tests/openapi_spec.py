"""The API's OpenAPI document as the app generates it, for tests that read it outside a request."""

from __future__ import annotations

import functools

from fieldcheck import create_app
from fieldcheck.api.spec import spec_for


@functools.cache
def api_spec() -> dict:
    """/api/v1/openapi.json of an app wired like every test's (the document depends only on the routes)."""
    return spec_for(create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "BLOB_DIR": "/nonexistent"}))
