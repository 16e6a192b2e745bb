"""The worked-example district for the ranking tests: March 2026 in the small district of conftest.

Checklist "worked-2026" (in force from 2026-03; weights 40 + 40 + 20 = 100, field total 70, rectification
15 + 10 + 5 = 30, repeat ×2 within 30 days and 50 m, red list 3, black list 3 or below 85):

    ENV 环境卫生 weight 40   ENV-01 暴露垃圾  1 point per instance, cap 3   ENV-02 楼道堆物 2, cap 6
    ORD 市容秩序 weight 40   ORD-01 小广告   0.5, cap 2                    ORD-02 飞线充电 4, cap 8
    MKT 农贸市场 weight 20, only for communities with a market (MKT)   MKT-01 市场秩序 2, cap 10

found_by multipliers: third_party 1.5, city 1.5, district 1, subdistrict 0.5.

Communities (conftest.small_district): C001 王城社区 (RES, ALY: no market) and C002 青年宫社区 (RES, MKT)
in SD01 西工街道; C003 涧河社区 (RES, XING) and C004 周公社区 (none recorded) in SD02 涧西街道.
The reports are listed, with the hand computation, in tests/test_worked_example.py.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from fieldcheck.calendar import services as calendar_services
from fieldcheck.checklist import services as checklist_services
from fieldcheck.checklist.models import ChecklistItem
from fieldcheck.extensions import db
from fieldcheck.geography import services as geo_services
from fieldcheck.geography.models import Community, Spot
from fieldcheck.reports.models import Report, Visit
from tests.conftest import small_district

TZ = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"
# Any time after March: the reference time is the end of March.
AFTER = datetime(2026, 4, 10, 9, tzinfo=UTC)

CHECKLIST = """
label: worked-2026
effective_month: "2026-03"
scoring:
  field_total: 70
  rectification_total: 30
  rectification: {on_time: 15, closure: 10, rework: 5}
  found_by: {third_party: 1.5, city: 1.5, district: 1.0, subdistrict: 0.5}
  repeat: {window_days: 30, radius_m: 50, multiplier: 2}
  red_list_size: 3
  black_list_size: 3
  black_list_below: 85
severity_deadlines: {S0: 2h, S1: 24h, S2: 3wd, S3: 7wd, S4: plan}
categories:
  - code: ENV
    name_zh: 环境卫生
    name_en: Sanitation
    weight: 40
    items:
      - {code: ENV-01, name_zh: 暴露垃圾, name_en: Exposed rubbish, spot_types: [RES, ALY, MKT], severity: S1, points: 1, cap: 3}
      - {code: ENV-02, name_zh: 楼道堆物, name_en: Stairwell clutter, spot_types: [RES], severity: S1, points: 2, cap: 6}
  - code: ORD
    name_zh: 市容秩序
    name_en: Order
    weight: 40
    items:
      - {code: ORD-01, name_zh: 小广告, name_en: Flyers, spot_types: [RES, ALY, XING], severity: S1, points: 0.5, cap: 2}
      - {code: ORD-02, name_zh: 飞线充电, name_en: Charging cables, spot_types: [RES], severity: S0, points: 4, cap: 8}
  - code: MKT
    name_zh: 农贸市场
    name_en: Markets
    weight: 20
    applies_only_to: [MKT]
    items:
      - {code: MKT-01, name_zh: 市场秩序, name_en: Market order, spot_types: [MKT], severity: S1, points: 2, cap: 10}
"""


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def end_of(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=TZ).astimezone(UTC)


def build(app, *, inspector_id: int) -> dict[str, int]:
    """Load the district, the checklist and March's reports; return report ids by label (r0 ... r10)."""
    with app.app_context():
        geo_services.import_boundaries(json.dumps(small_district()).encode(), "small.geojson")
        checklist_services.import_checklist(CHECKLIST)
        calendar_services.import_calendar(calendar_services.default_calendar_text(), "calendar-2026.yaml")
        db.session.flush()
        c = {x.code: x for x in db.session.scalars(select(Community))}
        spot = Spot(code="C001-RES-01", name="3号院", spot_type="RES", community_id=c["C001"].id)
        db.session.add(spot)
        db.session.flush()
        version = checklist_services.version_in_force(MONTH)
        items = {
            i.code: i.id
            for i in db.session.scalars(select(ChecklistItem).where(ChecklistItem.version_id == version.id))
        }

        def report(
            label, community, item, observed, found_by="district", status="dispatched", instances=1, **kw
        ):
            client_id = str(uuid.uuid4())
            row = Report(
                client_id=client_id,
                content_hash=hashlib.sha256(client_id.encode()).hexdigest(),
                inspector_id=inspector_id,
                item_id=items[item],
                community_id=c[community].id if community else None,
                location_source="device",
                observed_at=observed,
                instances=instances,
                found_by=found_by,
                status=status,
                note=label,
                dispatched_at=kw.pop("dispatched_at", observed if community else None),
                **kw,
            )
            db.session.add(row)
            return label, row

        rows = dict(
            [
                # February: ORD-02 at spot 3号院 of C001, closed on 25 February.
                report(
                    "r0",
                    "C001",
                    "ORD-02",
                    local(2, 20),
                    status="closed",
                    spot_id=spot.id,
                    due_at=local(2, 20, 12),
                    rectified_at=local(2, 20, 11),
                    closed_at=local(2, 25),
                ),
                # C001 王城社区
                report(
                    "r1",
                    "C001",
                    "ENV-01",
                    local(3, 5),
                    instances=2,
                    status="closed",
                    due_at=end_of(3, 6),
                    rectified_at=local(3, 5, 16),
                    closed_at=local(3, 6, 9),
                ),
                report(
                    "r2",
                    "C001",
                    "ENV-01",
                    local(3, 11),
                    found_by="city",
                    instances=3,
                    status="closed",
                    due_at=end_of(3, 12),
                    rectified_at=local(3, 14),
                    closed_at=local(3, 15),
                ),
                report(
                    "r3",
                    "C001",
                    "ORD-02",
                    local(3, 10),
                    found_by="third_party",
                    spot_id=spot.id,
                    due_at=end_of(3, 20),
                ),
                report(
                    "r4", "C001", "ENV-02", local(3, 12), instances=5, status="voided", due_at=end_of(3, 14)
                ),
                # C002 青年宫社区
                report(
                    "r5",
                    "C002",
                    "MKT-01",
                    local(3, 8),
                    instances=2,
                    status="closed",
                    rework_count=1,
                    dispatched_at=local(3, 15),
                    due_at=end_of(3, 18),
                    rectified_at=local(3, 17),
                    closed_at=local(3, 18),
                ),
                report(
                    "r6",
                    "C002",
                    "ORD-01",
                    local(3, 9),
                    found_by="subdistrict",
                    status="suspended",
                    planned_date=datetime(2026, 3, 25).date(),
                    due_at=end_of(3, 25),
                ),
                report("r7", "C002", "ENV-02", local(3, 31, 23, 30), due_at=end_of(4, 1)),
                report("r8", "C002", "ENV-02", local(4, 1, 0, 30), instances=3, due_at=end_of(4, 2)),
                # C003 涧河社区: a February report due (and closed) in March
                report(
                    "r9",
                    "C003",
                    "ORD-01",
                    local(2, 26),
                    status="closed",
                    due_at=end_of(3, 2),
                    rectified_at=local(3, 1),
                    closed_at=local(3, 1, 15),
                ),
                # Outside every boundary, not yet assigned
                report("r10", None, "ENV-02", local(3, 15), status="reported", instances=4),
            ]
        )
        client_id = str(uuid.uuid4())
        db.session.add(
            Visit(
                client_id=client_id,
                content_hash=hashlib.sha256(client_id.encode()).hexdigest(),
                inspector_id=inspector_id,
                community_id=c["C003"].id,
                location_source="device",
                observed_at=local(3, 16),
            )
        )
        db.session.commit()
        return {label: row.id for label, row in rows.items()}


def token_for(client, username: str) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "pw-12345678"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
