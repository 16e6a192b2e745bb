"""`fieldcheck serve`: gunicorn with the repository's configuration, end to end (one worker on loopback),
and the configuration's values."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fieldcheck import gunicorn_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_configuration():
    assert gunicorn_config.default_workers(1) == 3
    assert gunicorn_config.default_workers(2) == 5
    assert gunicorn_config.default_workers(64) == 12
    assert gunicorn_config.timeout >= 300  # a 60 MB upload from a slow phone
    assert gunicorn_config.max_requests and gunicorn_config.max_requests_jitter
    assert gunicorn_config.accesslog is None  # the app's JSON lines instead
    assert gunicorn_config.logconfig_dict["loggers"]["fieldcheck.access"]["handlers"] == ["access"]
    assert gunicorn_config.wsgi_app == "fieldcheck:create_app()"
    argv = gunicorn_config.gunicorn_argv(bind="0.0.0.0:9000", workers=3, extra=["--log-level", "debug"])
    assert argv[:5] == [sys.executable, "-m", "gunicorn", "--config", "python:fieldcheck.gunicorn_config"]
    assert argv[5:] == ["--bind", "0.0.0.0:9000", "--workers", "3", "--log-level", "debug"]
    # The repository's gunicorn.conf.py is the same configuration.
    names: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), names)  # noqa: S102
    assert names["workers"] == gunicorn_config.workers and names["timeout"] == gunicorn_config.timeout
    assert names["on_starting"] is gunicorn_config.on_starting


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_master_keeps_large_blocks_in_mallocs_heaps():
    """glibc's malloc settings (changed here in a child interpreter of their own) take effect: a
    request thread allocating and freeing a filing's large blocks (the 4 MB upload, the decoded 12 MP
    photo at half scale, the display copy) reuses its pages instead of faulting in fresh ones from the
    kernel (untuned: about 90,000 page faults for these 20 rounds, tuned about 4,600)."""
    probe = (
        "import resource, threading\n"
        "from fieldcheck import gunicorn_config\n"
        "tuned = gunicorn_config.tune_malloc()\n"
        "def work():\n"
        "    for _ in range(20):\n"
        "        upload, decoded, display = bytes(4_000_000), bytearray(9_000_000), bytearray(5_760_000)\n"
        "        del upload, decoded, display\n"
        "def run():\n"
        "    thread = threading.Thread(target=work)\n"
        "    thread.start()\n"
        "    thread.join()\n"
        "run()  # the thread's malloc arena\n"
        "faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "run()\n"
        "print(tuned, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    tuned, faults = out.stdout.split()
    if tuned != "True":
        pytest.skip("no glibc mallopt")
    assert int(faults) < 90_000 // 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fieldcheck_serve_answers_healthz_and_logs_json(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "FIELDCHECK_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "FIELDCHECK_BLOB_DIR": str(tmp_path / "blobs"),
        "FIELDCHECK_SECRET_KEY": "serve-test",
        "FIELDCHECK_INSTANCE_DIR": str(tmp_path),
    }
    fieldcheck = Path(sys.executable).with_name("fieldcheck")
    out, err = open(tmp_path / "out", "wb"), open(tmp_path / "err", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [str(fieldcheck), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=out,
        stderr=err,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "lb-1"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
                    answer = (response.status, response.headers["X-Request-ID"], json.loads(response.read()))
                break
            except OSError:
                time.sleep(0.3)
        assert answer == (200, "lb-1", {"status": "ok", "database": "ok", "storage": "ok"}), (
            tmp_path / "err"
        ).read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hang guard
            server.kill()
            pytest.fail("gunicorn did not stop on SIGTERM")
        out.close()
        err.close()
    lines = [json.loads(line) for line in (tmp_path / "out").read_text().splitlines() if line.startswith("{")]
    assert any(
        line["request_id"] == "lb-1" and line["path"] == "/healthz" and line["status"] == 200
        for line in lines
    ), (tmp_path / "out").read_text()
    assert "Booting worker" in (tmp_path / "err").read_text()
