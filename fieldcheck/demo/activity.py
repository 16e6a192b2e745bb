"""A believable history for the demo district: last month and this month so far.

Reports are filed and moved through the real services (filing, photo pipeline, workflow), each at a
simulated moment in the past, so every event, deadline and score in the demo is one the app itself
would have made: last month closes with a ranking worth publishing (on time and late fixes, a rework,
voids, a granted appeal, overdue items, a few communities never inspected); this month has work in
every queue (awaiting verification, appeals, a suspension request, an unassigned report) and the
`community` account has items overdue and due soon.

Communities without a login of their own act through locked staff accounts (inactive: nobody can log
in as them), and so do a district and a sub-district inspection team, so `found_by` varies.
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy import Row, select

from ..auth.models import User
from ..calendar import month_bounds
from ..checklist import services as checklist_services
from ..checklist.models import ChecklistItem
from ..extensions import db
from ..geography.models import Community, Spot
from ..photos import intake_photo
from ..reports.intake import Submission
from ..reports.models import Photo
from ..reports.services import CalendarOnce, Context, file_report, file_visit
from ..unit_of_work import writing
from ..workflow import services as workflow
from ..workflow.rules import Action, reused_photo

LOCKED = "!"  # not a password hash: an inactive account that nobody can log in as

NOTES = (
    "楼道堆放杂物",
    "垃圾桶满溢未及时清运",
    "非机动车乱停放",
    "墙面小广告",
    "绿化带内有垃圾",
    "路面破损",
    "",
)
FIXES = ("已清理完毕", "已安排物业整改", "已清运", "已规范停放", "已铲除")


@dataclass(frozen=True)
class Actors:
    office: User
    inspectors: list[User]
    staff: dict[int, User]  # community id -> the user who acts for it


def seed_activity(
    now: datetime,
    tz: ZoneInfo,
    storage,
    *,
    seed: int = 2026,
    max_pixels: int = 50_000_000,
    communities: int | None = None,
) -> dict:
    """File and move the demo's reports (each step commits, as in real use); returns counts.

    ``communities`` limits the history to the first N communities by code (for tests).
    """
    rng = random.Random(seed)
    actors = _actors()
    community_ids = db.session.scalars(select(Community.id).order_by(Community.code).limit(communities)).all()
    spots = _spots()
    this_month = now.astimezone(tz).strftime("%Y-%m")
    last_start, this_start = month_bounds(_previous(this_month), tz)[0], month_bounds(this_month, tz)[0]
    items = _items(this_month)
    counts = {"reports": 0, "visits": 0, "moves": 0}
    story = _Story(rng, now, tz, storage, max_pixels, actors, counts)

    for index, community_id in enumerate(community_ids):
        own = spots.get(community_id, [])
        choices = [(s, i) for s in own for i in items if s.spot_type in i.spot_types]
        if not choices:
            continue
        first = index < 2  # the communities of the `community` and `community2` accounts
        inspected_last = first or rng.random() > 0.1
        if inspected_last:
            n = rng.randint(4, 6) if first else rng.randint(0, 5)
            if n == 0:
                story.visit(own[0], _moment(rng, last_start, this_start, tz))
            for k in range(n):
                spot, item = rng.choice(choices)
                # The demo accounts' communities show the whole story last month: fixed, late, reworked, open.
                fate = ("closed", "late", "rework", "open", "closed", "closed")[k] if first else None
                story.report(spot, item, _moment(rng, last_start, this_start, tz), last_month=True, fate=fate)
        if index == 0:
            # The `community` account's own month: one item overdue by now (filed early in the month),
            # one due soon (filed this morning), one awaiting verification, one closed.
            early = this_start + (now - this_start) / 8
            for fate, at in (
                ("open", early),
                ("open", now - timedelta(hours=3)),
                ("rectified", early),
                ("closed", early),
            ):
                spot, item = rng.choice(choices)
                story.report(spot, item, at, last_month=False, fate=fate)
            continue
        for _ in range(rng.randint(0, 3)):
            spot, item = rng.choice(choices)
            story.report(spot, item, _moment(rng, this_start, now - timedelta(hours=3), tz), last_month=False)
    story.unassigned(items, this_start, now)
    return counts


class _Story:
    """Files one report and plays out what happened to it, never past now."""

    def __init__(self, rng, now, tz, storage, max_pixels, actors: Actors, counts: dict):
        self.rng, self.now, self.tz, self.storage, self.max_pixels = rng, now, tz, storage, max_pixels
        self.actors, self.counts = actors, counts
        # One read of the work calendar for the whole history, as for one request (nothing here changes it).
        self.calendar = CalendarOnce()

    def ctx(self, at: datetime) -> Context:
        return Context(
            now=at, tz=self.tz, storage=self.storage, max_pixels=self.max_pixels, calendar=self.calendar
        )

    def visit(self, spot: Row, at: datetime) -> None:
        sub = _submission(spot, None, at, self.rng)
        file_visit(self.rng.choice(self.actors.inspectors), sub, [], self.ctx(at + timedelta(minutes=3)))
        self.counts["visits"] += 1

    def report(self, spot: Row, item: Row, at: datetime, *, last_month: bool, fate: str | None = None):
        """File one report at ``spot`` and play out its fate through the real workflow moves.

        Long because each fate (open, void, appealed, suspension, appeal granted, late, rework, rectified)
        is a short sequence of moves kept side by side, so the demo's history reads as the workflow does.
        """
        inspector = self.rng.choice(self.actors.inspectors)
        sub = _submission(spot, item, at, self.rng)
        scene = self.rng.getrandbits(32)
        filed = file_report(inspector, sub, [_photo(scene)], self.ctx(at + timedelta(minutes=5)))
        self.counts["reports"] += 1
        report = filed.record
        if report.status != "dispatched":
            return
        staff = self.actors.staff[report.community_id]
        fate = fate or self._fate(last_month)
        due = report.due_at or (report.dispatched_at + timedelta(days=5))
        span = max(due - report.dispatched_at, timedelta(hours=2))
        t = report.dispatched_at
        if fate == "open":
            return
        if fate == "void":
            self.move(self.actors.office, report.id, Action.VOID, t + span / 3, note="重复上报，作废")
            return
        if fate == "appealed":
            self.move(
                staff, report.id, Action.APPEAL, t + span / 4, note="该问题已由区城管部门处理，非本社区责任"
            )
            return
        if fate == "suspension":
            planned = (self.now + timedelta(days=20)).astimezone(self.tz).date()
            self.move(
                staff,
                report.id,
                Action.REQUEST_SUSPENSION,
                t + span / 4,
                note="需协调产权单位维修，预计二十天完成",
                planned_date=planned,
            )
            return
        if fate == "appeal_granted":
            t = self.move(staff, report.id, Action.APPEAL, t + span / 4, note="该点位不属于本社区管辖")
            self.move(
                self.actors.office,
                report.id,
                Action.GRANT,
                t and t + timedelta(days=1),
                note="经核实属实，作废",
            )
            return
        late = fate == "late"
        # A fix the office will send back is only half done.
        t = self.rectify(
            staff,
            report.id,
            scene,
            t + (span + timedelta(days=2) if late else span * self.rng.uniform(0.2, 0.8)),
            litter=0.5 if fate == "rework" else 0.0,
        )
        if fate == "rectified" or t is None:
            return
        if fate == "rework":
            t = self.move(
                self.actors.office,
                report.id,
                Action.REJECT,
                t + timedelta(hours=20),
                note="整改不彻底，请返工",
            )
            t = t and self.rectify(staff, report.id, scene, t + timedelta(days=1))
        if t is not None:
            self.move(self.actors.office, report.id, Action.ACCEPT, t + timedelta(hours=22))

    def _fate(self, last_month: bool) -> str:
        r = self.rng.random()
        table = (
            (
                (0.55, "closed"),
                (0.65, "late"),
                (0.73, "rework"),
                (0.78, "void"),
                (0.81, "appeal_granted"),
                (0.86, "rectified"),
                (1.0, "open"),
            )
            if last_month
            else (
                (0.30, "closed"),
                (0.40, "late"),
                (0.45, "rework"),
                (0.50, "void"),
                (0.54, "appealed"),
                (0.57, "suspension"),
                (0.75, "rectified"),
                (1.0, "open"),
            )
        )
        return next(name for limit, name in table if r < limit)

    def rectify(
        self, staff: User, report_id: int, scene: int, at: datetime, *, litter: float = 0.0
    ) -> datetime | None:
        return self.move(
            staff,
            report_id,
            Action.RECTIFY,
            at,
            note=self.rng.choice(FIXES),
            photos=[self.retake(report_id, scene, litter)],
        )

    def retake(self, report_id: int, scene: int, litter: float) -> bytes:
        """A new photo of the report's place. The synthetic scenes are plain enough that two standpoints can
        hash alike, which a real retake rarely does; keep to a standpoint that does not look like a reused
        photo, so the demo's flags mean what they say."""
        earlier = db.session.execute(
            select(Photo.sha256, Photo.phash).where(Photo.report_id == report_id)
        ).all()
        for _ in range(20):
            data = _photo(scene, litter=litter, retake=self.rng.getrandbits(32) | 1)
            processed = intake_photo(data, max_pixels=self.max_pixels)  # the hash a filing gives it
            if not reused_photo(earlier, [(processed.sha256, processed.phash)]):
                break
        return data

    def move(
        self,
        user: User,
        report_id: int,
        action: Action,
        at: datetime | None,
        *,
        note: str = "",
        photos: list[bytes] | None = None,
        planned_date=None,
    ) -> datetime | None:
        """Make one move at a past moment; None (and nothing done) when that moment has not come yet."""
        if at is None or at >= self.now:
            return None
        move = workflow.Move(action, note=note, planned_date=planned_date)
        workflow.transition(user, report_id, move, photos or [], self.ctx(at))
        self.counts["moves"] += 1
        return at

    def unassigned(self, items: list[Row], start: datetime, now: datetime) -> None:
        """One report from just outside the district's edge, waiting for the office to assign it."""
        item = next(i for i in items if "ROAD" in i.spot_types)
        at = max(start, now - timedelta(days=1))
        sub = Submission(
            str(uuid.UUID(int=self.rng.getrandbits(128))),
            item.code,
            34.615,
            112.3,
            12.0,
            "device",
            at,
            1,
            "道路边有建筑垃圾",
            None,
            None,
        )
        file_report(
            self.actors.inspectors[0],
            sub,
            [_photo(self.rng.getrandbits(32))],
            self.ctx(at + timedelta(minutes=5)),
        )
        self.counts["reports"] += 1


def _actors() -> Actors:
    users = {u.username: u for u in db.session.scalars(select(User))}
    teams = [
        User(
            username="demo-district-team",
            display_name="区督查组",
            password_hash=LOCKED,
            role="inspector",
            level="district",
            active=False,
        ),
        User(
            username="demo-subdistrict-team",
            display_name="街道自查组",
            password_hash=LOCKED,
            role="inspector",
            level="subdistrict",
            active=False,
        ),
    ]
    staff = {u.community_id: u for u in users.values() if u.role == "community"}
    with writing():
        db.session.add_all(teams)
        for community in db.session.scalars(select(Community).order_by(Community.code)):
            if community.id not in staff:
                user = User(
                    username=f"demo-staff-{community.code}",
                    display_name=f"{community.name}工作人员",
                    password_hash=LOCKED,
                    role="community",
                    community_id=community.id,
                    subdistrict_id=community.subdistrict_id,
                    active=False,
                )
                db.session.add(user)
                staff[community.id] = user
    # Loaded once and kept out of the session: the services read only their columns, and each commit
    # would otherwise expire them and the next move reload its actor (a query a move).
    db.session.scalars(select(User)).all()  # one query refreshes them all after the commit
    actors = Actors(office=users["office"], inspectors=[users["inspector"], *teams], staff=staff)
    for user in {actors.office, *actors.inspectors, *actors.staff.values()}:
        db.session.expunge(user)
    return actors


def _spots() -> dict[int, list[Row]]:
    """Each community's spots (community id, type, position), in code order.

    Plain rows here and in ``_items``, not objects of the session: each commit would expire them, and the
    next read of each would reload it (about 5,000 queries a seeding for the spots and items alone).
    """
    spots: dict[int, list[Row]] = {}
    for spot in db.session.execute(
        select(Spot.community_id, Spot.spot_type, Spot.lat, Spot.lon).order_by(Spot.code)
    ):
        spots.setdefault(spot.community_id, []).append(spot)
    return spots


def _items(month: str) -> list[Row]:
    """Checklist items (code, spot types) with a deadline in working days or hours (no planned-date S4), of
    the month's version."""
    version = checklist_services.version_in_force(month)
    return list(
        db.session.execute(
            select(ChecklistItem.code, ChecklistItem.spot_types)
            .where(ChecklistItem.version_id == version.id, ChecklistItem.severity != "S4")
            .order_by(ChecklistItem.position)
        )
    )


def _submission(spot: Row, item: Row | None, at: datetime, rng: random.Random) -> Submission:
    # A few metres around the spot, as a phone would place it.
    lat = spot.lat + rng.uniform(-4e-5, 4e-5)
    lon = spot.lon + rng.uniform(-4e-5, 4e-5)
    return Submission(
        client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        item_code=item.code if item else None,
        lat=round(lat, 6),
        lon=round(lon, 6),
        accuracy_m=float(rng.choice((5, 8, 12, 20))),
        location_source="device",
        observed_at=at,
        instances=rng.choice((1, 1, 1, 2, 3)) if item else 1,
        note=rng.choice(NOTES) if item else "",
        community_code=None,
        spot_code=None,
    )


def _moment(rng: random.Random, start: datetime, end: datetime, tz: ZoneInfo) -> datetime:
    """A working-hours moment (08:00-18:00 local) between start and end."""
    for _ in range(20):
        t = start + (end - start) * rng.random()
        local = t.astimezone(tz)
        if 8 <= local.hour < 18:
            return t
    return start + (end - start) * rng.random()


def _previous(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def _photo(scene: int, *, litter: float = 1.0, retake: int = 0) -> bytes:
    """A small synthetic scene (320x240): a wall and ground, with the given share of its litter.

    The same ``scene`` gives the same place; a retake (``retake`` > 0) shows it from another standpoint
    and in other light, as a second photo of the same spot would.

    The scene is laid out on a 640x480 frame with a margin around it, and the photo drawn straight at
    half that size, with the shapes moved (for a retake also scaled) into its frame and the light applied
    to their colours: no crop, resize, point or blur of the pixels. At 320x240 the photo pipeline's
    thumbnail (and the display copy, made on first view) need no resampling either (about 2 ms a photo
    drawn and processed, against 12 for the 640x480 photo cropped, resized and blurred, and 20 for a
    retake), and the pictures hash as those did, bit for bit or within a few bits.
    """
    w, h, margin = 640, 480, 120
    wall, shapes = _scene(scene, w, h, margin, litter)
    if retake:
        again = random.Random(retake)
        zoom = again.uniform(0.6, 0.85)
        cw, ch = int((w + margin) * zoom), int((h + margin) * zoom)
        dx, dy = again.randint(0, w + margin - cw), again.randint(0, h + margin - ch)
        sx, sy = w / 2 / cw, h / 2 / ch
        light = [min(255, int(v * again.uniform(0.85, 1.15))) for v in range(256)]
    else:
        dx = dy = margin // 2
        sx = sy = 0.5
        light = list(range(256))
    image = Image.new("RGB", (w // 2, h // 2), tuple(light[v] for v in wall))
    draw = ImageDraw.Draw(image)
    for shape, (x0, y0, x1, y1), colour in shapes:
        box = ((x0 - dx) * sx, (y0 - dy) * sy, (x1 - dx) * sx, (y1 - dy) * sy)
        fill = tuple(light[v] for v in colour)
        if shape == "ellipse":
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _scene(
    scene: int, w: int, h: int, margin: int, litter: float
) -> tuple[tuple, list[tuple[str, tuple, tuple]]]:
    """The wall's colour and the shapes before it, in drawing order, on a canvas of the photo's size and a
    margin (``w`` + ``margin`` by ``h`` + ``margin``)."""
    wall, fixtures, pieces = _layout(scene, w, h, margin)
    litter_shapes = [
        ("ellipse", (x, y, x + size, y + size * 0.7), colour)
        for x, y, size, colour in pieces[: round(len(pieces) * litter)]
    ]
    return wall, [*fixtures, *litter_shapes]


@lru_cache(maxsize=64)
def _layout(scene: int, w: int, h: int, margin: int) -> tuple[tuple, tuple, tuple]:
    """A scene's wall colour, its fixed shapes (ground, doors, windows, pipes) and all its pieces of litter
    as (x, y, size, colour), drawn from the scene's own random numbers. Kept for the scene's retakes, which
    show the same place (a report's photos are taken one after another)."""
    rng = random.Random(scene)
    width, height = w + margin, h + margin
    wall = tuple(rng.randint(150, 210) for _ in range(3))
    ground = tuple(rng.randint(90, 140) for _ in range(3))
    horizon = rng.randint(int(h * 0.45), int(h * 0.65))
    shapes = [("rectangle", (0, horizon, width, height), ground)]
    for _ in range(rng.randint(3, 6)):  # doors, windows, pipes
        x, y = rng.randint(0, width - 60), rng.randint(0, horizon - 60)
        box = (x, y, x + rng.randint(30, 120), y + rng.randint(40, 140))
        shapes.append(("rectangle", box, tuple(rng.randint(40, 120) for _ in range(3))))
    pieces = tuple(
        (
            rng.randint(0, width - 20),
            rng.randint(horizon, height - 10),
            rng.randint(8, 45),
            tuple(rng.randint(0, 255) for _ in range(3)),
        )
        for _ in range(rng.randint(12, 30))
    )
    return wall, tuple(shapes), pieces
