"""Requests at the same moment: a failed request never deletes another's photo files (PostgreSQL), and
uploads never keep a bystander's read waiting for the write lock (SQLite).

Both tests drive the real app with real threads. They pause requests at chosen points with hooks on the
session's events (a request's first write, its rows flushed but not committed) or on the photo step, so
each interleaving is forced rather than hoped for; every wait is bounded, so a wrong order fails instead
of hanging.
"""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from fieldcheck.extensions import db
from fieldcheck.reports.models import Photo
from tests.photo_factory import jpeg
from tests.web.reporting import post_report

WAIT = 30  # seconds: a bounded hang guard, never a timing assertion


# ---------------------------------------------------------------------------------------------------
# Hooks


class Gate:
    """A point a named request thread stops at until the test lets it go."""

    def __init__(self, thread: str, point: str):
        self.thread, self.point = thread, point
        self.arrived = threading.Event()
        self.go = threading.Event()

    def wait_arrived(self) -> None:
        assert self.arrived.wait(WAIT), f"request {self.thread} never reached {self.point}"

    def pass_through(self) -> None:
        self.arrived.set()
        assert self.go.wait(WAIT), f"request {self.thread} was never released at {self.point}"


class Script:
    """Gates by (thread name, point). Points: ``first_write`` (the request is about to write its first row,
    its photo files already written) and ``flushed`` (its rows are written, not yet committed)."""

    def __init__(self):
        self.gates: dict[tuple[str, str], Gate] = {}

    def gate(self, thread: str, point: str) -> Gate:
        return self.gates.setdefault((thread, point), Gate(thread, point))

    def hit(self, point: str) -> None:
        gate = self.gates.get((threading.current_thread().name, point))
        if gate is not None and not gate.arrived.is_set():
            gate.pass_through()

    def listen(self):
        def before_flush(session, _context, _instances):
            if session.new or session.dirty or session.deleted:
                self.hit("first_write")

        def orm_execute(state):
            if state.is_update or state.is_delete or state.is_insert:
                self.hit("first_write")

        def after_flush(_session, _context):
            self.hit("flushed")

        hooks = [
            ("before_flush", before_flush),
            ("do_orm_execute", orm_execute),
            ("after_flush", after_flush),
        ]
        for name, fn in hooks:
            sa_event.listen(db.session, name, fn)

        def remove():
            for name, fn in hooks:
                sa_event.remove(db.session, name, fn)

        return remove


class Request:
    """One request run on a thread of its own, named for the hooks."""

    def __init__(self, name: str, call: Callable):
        self.name = name
        self.response = None
        self.error: BaseException | None = None

        def run():
            try:
                response = call()
                self.response = (response.status_code, response.get_json())
            except BaseException as exc:  # noqa: BLE001  (reported by result())
                self.error = exc

        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

    def result(self) -> tuple[int, dict]:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), f"request {self.name} did not finish"
        if self.error is not None:
            raise AssertionError(f"request {self.name} raised {self.error!r}") from self.error
        return self.response


# ---------------------------------------------------------------------------------------------------
# 1. PostgreSQL: a failed request never deletes the photo files of another


def _rectify(client, headers, report_id, photo):
    data = {"note": "已清理", "photos": [(io.BytesIO(photo), "after.jpg")]}
    return client.post(
        f"/api/v1/reports/{report_id}/rectify", data=data, headers=headers, content_type="multipart/form-data"
    )


class Race:
    """A fails after writing the files of photo P; B succeeds with the same photo P.

    A is a report filing that loses on its client_id (a twin with other content commits first), or a
    rectification that goes stale (the office voids the report first). B files a report or rectifies
    another report."""

    def __init__(self, app, people, a_kind: str, b_kind: str, seed: int):
        self.app, self.people = app, people
        self.a_kind, self.b_kind = a_kind, b_kind
        self.photo = jpeg(seed=seed)
        client = app.test_client()
        self.a_client_id = str(uuid.uuid4())
        if a_kind == "rectify" or b_kind == "rectify":
            self.a_report = self._filed(client, seed + 1)
            self.b_report = self._filed(client, seed + 2)
        self.seed = seed

    def _filed(self, client, seed) -> int:
        r = post_report(client, self.people["insp"], photos=[jpeg(seed=seed)])
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def start_a(self) -> Request:
        c = self.app.test_client()
        if self.a_kind == "report":
            return Request(
                "A",
                lambda: post_report(
                    c, self.people["insp"], photos=[self.photo], client_id=self.a_client_id, instances="1"
                ),
            )
        return Request("A", lambda: _rectify(c, self.people["c1"], self.a_report, self.photo))

    def make_a_lose(self) -> None:
        """What makes A fail once it goes on: a committed twin of its client_id, or a voided report."""
        c = self.app.test_client()
        if self.a_kind == "report":
            twin = Request(
                "T",
                lambda: post_report(
                    c,
                    self.people["insp"],
                    photos=[jpeg(seed=self.seed + 3)],
                    client_id=self.a_client_id,
                    instances="2",
                ),
            )
            assert twin.result()[0] == 201
        else:
            void = Request(
                "T",
                lambda: c.post(
                    f"/api/v1/reports/{self.a_report}/void",
                    json={"note": "重复"},
                    headers=self.people["office"],
                ),
            )
            assert void.result()[0] == 200

    def start_b(self) -> Request:
        c = self.app.test_client()
        if self.b_kind == "report":
            return Request("B", lambda: post_report(c, self.people["insp2"], photos=[self.photo]))
        return Request("B", lambda: _rectify(c, self.people["c1"], self.b_report, self.photo))

    def check_a_lost(self, a: Request) -> None:
        status, body = a.result()
        assert status == 409, body
        assert body["error"]["code"] == ("client_id_conflict" if self.a_kind == "report" else "stale")

    def check_b_intact(self, b: Request) -> None:
        status, body = b.result()
        assert status == (201 if self.b_kind == "report" else 200), body
        mine = [p for p in body["photos"] if p["kind"] == ("before" if self.b_kind == "report" else "after")]
        assert mine, body
        storage = self.app.extensions["fieldcheck.storage"]
        with self.app.app_context():
            rows = db.session.scalars(select(Photo).where(Photo.id.in_([p["id"] for p in mine]))).all()
            missing = [  # the files a filing writes (the display copy is made by the first view, below)
                key for row in rows for key in (row.original_key, row.thumb_key) if not storage.exists(key)
            ]
        assert not missing, f"B's committed photo lost its files: {missing}"
        client = self.app.test_client()
        owner = self.people["insp2" if self.b_kind == "report" else "c1"]
        for p in mine:
            for variant in ("display", "thumb"):
                assert client.get(p["urls"][variant], headers=owner).status_code == 200
            assert (
                client.get(f"/api/v1/photos/{p['id']}/original", headers=self.people["office"]).status_code
                == 200
            )


def a_writes_first(race: Race, script: Script):
    """A writes P's files; B finds them there and flushes its rows; A fails; B commits (the reported case)."""
    a_ready, b_flushed = script.gate("A", "first_write"), script.gate("B", "flushed")
    a = race.start_a()
    a_ready.wait_arrived()
    b = race.start_b()
    b_flushed.wait_arrived()
    race.make_a_lose()
    a_ready.go.set()
    race.check_a_lost(a)
    b_flushed.go.set()
    race.check_b_intact(b)


def b_writes_first(race: Race, script: Script):
    """B writes P's files and flushes its rows; A finds the files there and fails; B commits."""
    a_ready, b_flushed = script.gate("A", "first_write"), script.gate("B", "flushed")
    b = race.start_b()
    b_flushed.wait_arrived()
    a = race.start_a()
    a_ready.wait_arrived()
    race.make_a_lose()
    a_ready.go.set()
    race.check_a_lost(a)
    b_flushed.go.set()
    race.check_b_intact(b)


def a_fails_after_b_commits(race: Race, script: Script):
    a_ready = script.gate("A", "first_write")
    a = race.start_a()
    a_ready.wait_arrived()
    b = race.start_b()
    b.result()
    race.make_a_lose()
    a_ready.go.set()
    race.check_a_lost(a)
    race.check_b_intact(b)


def a_fails_before_b_starts(race: Race, script: Script):
    a_ready = script.gate("A", "first_write")
    a = race.start_a()
    a_ready.wait_arrived()
    race.make_a_lose()
    a_ready.go.set()
    race.check_a_lost(a)
    race.check_b_intact(race.start_b())


SCHEDULES = {
    f.__name__: f for f in (a_writes_first, b_writes_first, a_fails_after_b_commits, a_fails_before_b_starts)
}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("kinds", ["report/report", "rectify/rectify", "report/rectify", "rectify/report"])
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_a_failed_request_never_deletes_the_photo_files_of_another(app, people, kinds, schedule):
    """Issue 12: A's request fails after writing the files of photo P, B's succeeds with the same P. In
    every order tried, B's files survive and B's photos answer 200. (On PostgreSQL, where B's rows can
    exist uncommitted while A cleans up; SQLite lets one writer at a time.)"""
    a_kind, b_kind = kinds.split("/")
    race = Race(app, people, a_kind, b_kind, seed=1000 + sorted(SCHEDULES).index(schedule) * 10)
    script = Script()
    with app.app_context():
        remove = script.listen()
    try:
        SCHEDULES[schedule](race, script)
    finally:
        for gate in script.gates.values():
            gate.go.set()
        with app.app_context():
            remove()


def _age(app, keys, days: float) -> None:
    """Make stored files look untouched for ``days`` (the sweeper judges age by modification time)."""
    storage = app.extensions["fieldcheck.storage"]
    moment = time.time() - days * 86_400
    for key in keys:
        os.utime(storage.path(key), (moment, moment))


def test_content_left_by_an_old_failure_survives_the_sweeper_when_a_request_reuses_it(app, people):
    """A failed request left photo P's files, unreferenced, days ago. B files a report with P: B puts the
    files again (which refreshes their time), and a sweep that runs between B's files and B's commit
    keeps them, so B's photo answers 200."""
    from fieldcheck.blobs import check
    from fieldcheck.database import READER
    from fieldcheck.storage import photo_keys
    from fieldcheck.types import utcnow

    photo = jpeg(seed=4242)
    storage = app.extensions["fieldcheck.storage"]
    with app.app_context():
        from fieldcheck.reports.services import process_photos, write_photo_files

        [processed] = process_photos([photo], app.config["MAX_IMAGE_PIXELS"])
        write_photo_files([(processed, photo)], storage)  # what the failed request left
    original, display, thumb = photo_keys(processed.sha256)
    keys = (original, thumb)  # what a filing writes (the display copy is made on the first view)
    _age(app, keys, days=3)
    script = Script()
    b_ready = script.gate("B", "first_write")
    with app.app_context():
        remove = script.listen()
    try:
        c = app.test_client()
        b = Request("B", lambda: post_report(c, people["insp2"], photos=[photo]))
        b_ready.wait_arrived()
        with app.app_context(), db.engine.connect().execution_options(**{READER: True}) as conn:
            swept = check(storage, conn, utcnow(), sweep=True)
        b_ready.go.set()
        status, body = b.result()
    finally:
        b_ready.go.set()
        with app.app_context():
            remove()
    assert not set(keys) & set(swept.removed)
    assert status == 201, body
    assert all(storage.exists(key) for key in keys) and not storage.exists(display)
    [p] = body["photos"]
    assert c.get(p["urls"]["display"], headers=people["insp2"]).status_code == 200
    assert storage.exists(display)


# ---------------------------------------------------------------------------------------------------
# 2. SQLite: uploads in their photo step hold no lock a reader waits for


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_bystander_reads_while_four_heavy_uploads_process_their_photos(app, client, people, monkeypatch):
    """Issue 12: four uploads of large photos are held inside their photo processing (a hook on the
    service's photo step) until a bystander's GET /api/v1/me and GET /api/v1/reports have answered.
    Both answer 200 while all four uploads are in that step, and then every upload is filed."""
    from fieldcheck.reports import services

    bystander = people["insp2"]
    real = services.process_photos
    lock = threading.Condition()
    inside = []
    done = threading.Event()

    def held(uploads, max_pixels, *hashes):
        with lock:
            inside.append(threading.current_thread().name)
            lock.notify_all()
        assert done.wait(WAIT * 2), "the bystander never finished"
        return real(uploads, max_pixels, *hashes)

    monkeypatch.setattr(services, "process_photos", held)
    photos = [jpeg(3000, 2250, seed=500 + i) for i in range(4)]

    def upload(photo):
        c = app.test_client()
        return lambda: post_report(c, people["insp"], photos=[photo])

    uploads = [Request(f"upload{i}", upload(p)) for i, p in enumerate(photos)]
    with lock:
        lock.wait_for(lambda: len(inside) == 4 or any(not u.thread.is_alive() for u in uploads), WAIT)
        in_processing = len(inside)
    try:
        c = app.test_client()
        me = Request("bystander-me", lambda: c.get("/api/v1/me", headers=bystander))
        listing = Request("bystander-list", lambda: c.get("/api/v1/reports", headers=bystander))
        me_result, list_result = me.result(), listing.result()  # while every upload is still held
    finally:
        done.set()
    assert in_processing == 4, f"only {in_processing} of 4 uploads reached their photo step at once"
    assert me_result[0] == 200 and me_result[1]["username"] == "insp2"
    assert list_result[0] == 200
    assert sorted(u.result()[0] for u in uploads) == [201] * 4


# ---------------------------------------------------------------------------------------------------
# 3. SQLite: a transaction that has read takes the write lock at its first write, queueing for it


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_after_reads_waits_for_the_lock_instead_of_failing(app, make_user):
    """A reads, B writes and commits, A writes: A's first write begins a new transaction that waits for
    the lock (busy timeout) instead of failing with SQLITE_BUSY_SNAPSHOT; so does a write while B holds
    the lock, which a read transaction upgraded in place would fail at once."""
    from sqlalchemy import func, update

    from fieldcheck.auth.models import User

    make_user("office", username="office")
    with app.app_context():
        engine = db.engine
        with engine.connect() as a, engine.connect() as b:
            assert a.scalar(select(func.count(User.id))) == 1  # A's transaction has read
            b.execute(update(User).values(display_name="B"))
            b.commit()
            a.execute(update(User).values(display_name="A"))
            a.commit()

            assert a.scalar(select(User.display_name)) == "A"  # A reads again: a new read transaction
            b.execute(update(User).values(display_name="B2"))  # B holds the write lock, uncommitted
            errors = []

            def write_a():
                try:
                    a.execute(update(User).values(display_name="A2"))
                except Exception as exc:  # noqa: BLE001  (asserted below)
                    errors.append(exc)

            writer = threading.Thread(target=write_a, daemon=True)
            writer.start()
            b.commit()
            writer.join(WAIT)
            assert not writer.is_alive() and not errors, errors
            a.commit()
        assert db.session.scalar(select(User.display_name)) == "A2"
