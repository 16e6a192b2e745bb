"""A real S3-protocol server on 127.0.0.1 for the object-storage tests: moto's ThreadedMotoServer.

One server per test session (started on first use, stopped at exit), whatever test modules use it;
each test gets a fresh bucket, so tests never see each other's objects. Credentials are fixed dummy
values given to boto3 through the standard AWS variables, as production would give real ones.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid

import pytest

_lock = threading.Lock()
_server: dict[str, object] = {}

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "fieldcheck-test",
    "AWS_SECRET_ACCESS_KEY": "fieldcheck-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def endpoint_url() -> str:
    """The server's http://127.0.0.1:PORT, starting it the first time."""
    with _lock:
        if "url" not in _server:
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            _server["server"] = server
            _server["url"] = f"http://{host}:{port}"
            atexit.register(server.stop)
        return str(_server["url"])


def new_bucket() -> str:
    import boto3

    name = f"fc-{uuid.uuid4().hex[:20]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint_url(),
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=name)
    return name


def s3_config(bucket: str, prefix: str = "photos", **extra) -> dict:
    """App configuration for an S3 store on the test server (merge into create_app's test config)."""
    return {
        "BLOB_URL": f"s3://{bucket}/{prefix}",
        "S3_ENDPOINT_URL": endpoint_url(),
        "S3_REGION": "us-east-1",
        "S3_ADDRESSING": "path",
        **extra,
    }


@pytest.fixture
def s3_env(monkeypatch):
    """The dummy credentials in the environment, where boto3 reads them."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return CREDENTIALS


@pytest.fixture
def s3_bucket(s3_env) -> str:
    """A fresh, empty bucket on the session's S3-protocol server."""
    return new_bucket()


@pytest.fixture
def s3_store(s3_bucket):
    from fieldcheck.storage import store_from_config

    return store_from_config({"BLOB_DIR": "/nonexistent", **s3_config(s3_bucket)})
