"""Rows the tests need, written straight through the models: no HTTP, no photo pipeline.

``ReportFactory`` (the ``make_report`` fixture of tests/conftest.py) inserts a report in any status with
the rows filing and the moves would have left: its events, its before-photo rows (and an after-photo
for a rectification) whose files are in the app's blob store, and the columns each move sets. The
moves' effects come from the pure workflow rules (``rules.decide``), so a made report agrees with one
that went through the services; only the photos are not processed per report (each photo is
processed once per session and its bytes reused).

Use it where the report is the setting, not the subject: permission tables, pages, queues, rankings.
Filing itself (validation, photos, places, idempotency) keeps its tests through the API.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shapely.geometry import shape
from sqlalchemy import select

from fieldcheck.calendar import end_of_local_day, local_date, local_month
from fieldcheck.checklist import services as checklist_services
from fieldcheck.checklist.models import ChecklistItem, ChecklistVersion
from fieldcheck.extensions import db
from fieldcheck.geography import services as geo_services
from fieldcheck.geography.models import Community, CommunityBoundary
from fieldcheck.permissions import Place, Principal
from fieldcheck.photos import ProcessedPhoto, process_photo
from fieldcheck.reports.models import Event, Photo, Report
from fieldcheck.storage import photo_keys
from fieldcheck.types import utcnow
from fieldcheck.workflow import rules
from fieldcheck.workflow.rules import Action
from tests.photo_factory import jpeg

PASSWORD = "pw-12345678"

# The moves that bring a dispatched report to each status (a "reported" one is unassigned: no moves).
PATHS: dict[str, tuple[Action, ...]] = {
    "reported": (),
    "dispatched": (),
    "rectified": (Action.RECTIFY,),
    "closed": (Action.RECTIFY, Action.ACCEPT),
    "voided": (Action.VOID,),
    "appealed": (Action.APPEAL,),
    "suspended": (Action.REQUEST_SUSPENSION, Action.APPROVE_SUSPENSION),
}
NOTES = {
    Action.REJECT: "不合格",
    Action.VOID: "重复",
    Action.APPEAL: "不属于本社区",
    Action.UPHOLD: "维持",
    Action.GRANT: "作废",
    Action.REQUEST_SUSPENSION: "施工",
}


@functools.cache
def processed_photo(seed: int = 1) -> tuple[bytes, ProcessedPhoto]:
    """A test photo and what the pipeline makes of it (the display copy too), once per session and seed."""
    data = jpeg(seed=seed)
    return data, process_photo(data)


def deadline(settings: dict, severity: str, moment: datetime, tz: ZoneInfo) -> datetime | None:
    from fieldcheck.reports.services import deadline_for

    return deadline_for(settings, severity, moment, tz)


class ReportFactory:
    """``make_report(status="dispatched", **options) -> report id``; see :meth:`__call__`."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(
        self,
        status: str = "dispatched",
        *,
        community: str | None = "C001",
        inspector: str | int = "insp",
        item: str = "ENV-02",
        at: datetime | None = None,
        moves: tuple[Action, ...] | list[Action] | None = None,
        photos: int = 1,
        photo_seed: int = 1,
        lat: float | None = None,
        lon: float | None = None,
        planned_date: date | None = None,
        **columns,
    ) -> int:
        """Insert one report and return its id.

        ``status`` picks the moves from :data:`PATHS` (or give ``moves`` yourself, starting from
        dispatched); "reported" means unassigned (no community). ``inspector`` is a username (an
        inspector of that name is created if missing) or a user id. ``at`` is when it was filed and
        moved (default: the app's clock, which the ``clock`` fixture sets). ``lat``/``lon`` default to
        a point inside the community. ``planned_date`` is a suspension's date (default: 30 days
        after ``at``). Any other keyword sets that Report column last (e.g. ``flags=[...]``, ``due_at=``).
        """
        if moves is None:
            if status not in PATHS:
                raise ValueError(f"no path to status {status!r}; give moves=")
            moves = PATHS[status]
        if status == "reported":
            community = None
        with self.app.app_context():
            try:
                report_id = self._make(
                    community,
                    inspector,
                    item,
                    at,
                    tuple(moves),
                    photos,
                    photo_seed,
                    lat,
                    lon,
                    planned_date,
                    columns,
                )
                db.session.commit()
            finally:
                db.session.remove()
        return report_id

    def _make(
        self,
        community_code,
        inspector,
        item_code,
        at,
        moves,
        photos,
        photo_seed,
        lat,
        lon,
        planned_date,
        columns,
    ) -> int:
        tz = ZoneInfo(self.app.config["TIMEZONE"])
        at = at or utcnow()
        user_id = self._inspector_id(inspector)
        item = self._item(item_code, local_month(at, tz))
        settings, severity = item.version.settings, item.severity
        community = self._community(community_code) if community_code else None
        if lat is None and lon is None and community is not None:
            lat, lon = self._inside(community)
        version = geo_services.current_boundary_version()
        due = deadline(settings, severity, at, tz) if community else None
        report = Report(
            client_id=str(uuid.uuid4()),
            content_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            inspector_id=user_id,
            item_id=item.id,
            community_id=community.id if community else None,
            boundary_version_id=version.id if version else None,
            lat=lat,
            lon=lon,
            accuracy_m=8.0 if lat is not None else None,
            location_source="device" if lat is not None else "manual",
            observed_at=at,
            received_at=at,
            instances=1,
            note="3号楼2单元楼道堆物",
            found_by="city",
            status="dispatched" if community else "reported",
            dispatched_at=at if community else None,
            due_at=due,
            flags=[],
            version=1,
        )
        filed = Event(
            seq=1,
            actor_id=user_id,
            at=at,
            action="file",
            from_status=None,
            to_status="reported",
            lat=lat,
            lon=lon,
        )
        events = [filed]
        if community is not None:
            events.append(
                Event(
                    seq=2,
                    actor_id=user_id,
                    at=at,
                    action="dispatch",
                    from_status="reported",
                    to_status="dispatched",
                    due_at=due,
                )
            )
        report.events = events
        report.photos = [self._photo("before", photo_seed + n, filed) for n in range(photos)]

        place = Place(report.community_id, community.subdistrict_id if community else None, user_id)
        clock = rules.Clock(
            now=at,
            today=local_date(at, tz),
            deadline_from=lambda moment: deadline(settings, severity, moment, tz),
            end_of_day=lambda day: end_of_local_day(day, tz),
        )
        planned = planned_date or local_date(at, tz) + timedelta(days=30)
        appealed_at = None
        for action in moves:
            principal = self._principal(action, place, user_id)
            state = rules.Item(
                status=report.status,
                place=place,
                due_at=report.due_at,
                rework_count=report.rework_count or 0,
                appeal_from=report.appeal_from,
                appealed_at=appealed_at,
                suspension_requested=report.suspension_requested,
            )
            request = rules.Request(
                action,
                note=NOTES.get(action, ""),
                photos=1 if action is Action.RECTIFY else 0,
                planned_date=planned if action is Action.REQUEST_SUSPENSION else None,
            )
            change = rules.decide(principal, state, request, clock)
            for name, value in change.fields.items():
                setattr(report, name, value)
            report.status = change.to_status
            report.version += 1
            event = Event(
                seq=len(report.events) + 1,
                actor_id=user_id,
                at=at,
                action=change.action.value,
                from_status=change.from_status,
                to_status=change.to_status,
                note=NOTES.get(action, ""),
                due_at=change.event_due_at,
            )
            report.events.append(event)
            if action is Action.APPEAL:
                appealed_at = at
            if action is Action.RECTIFY:
                report.photos.append(self._photo("after", photo_seed + 100 + len(report.photos), event))
        for name, value in columns.items():
            setattr(report, name, value)
        db.session.add(report)
        db.session.flush()
        return report.id

    # ----------------------------------------------------------------------------------------------

    def _inspector_id(self, inspector: str | int) -> int:
        from fieldcheck.auth.models import User
        from fieldcheck.auth.services import NewUser, add_user

        if isinstance(inspector, int):
            return inspector
        user_id = db.session.scalar(select(User.id).where(User.username == inspector))
        if user_id is None:
            user = add_user(NewUser(inspector, PASSWORD, "inspector", level="city"))
            db.session.flush()
            user_id = user.id
        return user_id

    @staticmethod
    def _item(code: str, month: str) -> ChecklistItem:
        version = checklist_services.version_in_force(month) or db.session.scalar(
            select(ChecklistVersion).order_by(ChecklistVersion.id.desc()).limit(1)
        )
        if version is None:
            raise LookupError("no checklist loaded: use the district fixture")
        item = db.session.scalar(
            select(ChecklistItem).where(ChecklistItem.version_id == version.id, ChecklistItem.code == code)
        )
        if item is None:
            raise LookupError(f"no item {code} in checklist {version.label}")
        return item

    @staticmethod
    def _community(code: str) -> Community:
        community = db.session.scalar(select(Community).where(Community.code == code))
        if community is None:
            raise LookupError(f"no community {code}")
        return community

    @staticmethod
    def _inside(community: Community) -> tuple[float, float]:
        geometry = db.session.scalar(
            select(CommunityBoundary.geometry)
            .where(CommunityBoundary.community_id == community.id)
            .order_by(CommunityBoundary.version_id.desc())
            .limit(1)
        )
        if geometry is None:
            return (None, None)
        point = shape(json.loads(geometry)).representative_point()
        return (round(point.y, 6), round(point.x, 6))

    @staticmethod
    def _principal(action: Action, place: Place, inspector_id: int) -> Principal:
        if action in rules.COMMUNITY_ACTIONS:
            return Principal(
                0, "community", community_id=place.community_id, subdistrict_id=place.subdistrict_id
            )
        return Principal(0, "office")

    def _photo(self, kind: str, seed: int, event: Event) -> Photo:
        data, p = processed_photo(seed)
        original, display, thumb = photo_keys(p.sha256)
        storage = self.app.extensions["fieldcheck.storage"]
        # As a filing and the photo's first view leave them (tests of the first view file through the API).
        for key, blob in ((original, data), (display, p.display), (thumb, p.thumb)):
            if not storage.exists(key):
                storage.put(key, blob)
        return Photo(
            kind=kind,
            sha256=p.sha256,
            phash=p.phash,
            size=p.size,
            mime=p.mime,
            width=p.width,
            height=p.height,
            original_key=original,
            display_key=display,
            thumb_key=thumb,
            event=event,
        )
