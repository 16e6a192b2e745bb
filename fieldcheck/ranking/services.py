"""The monthly ranking: load a month's facts in a few set-based queries, score them, compare with what the
office published, publish snapshots, and cut the document down to what a user may see.

Used by the API, the CLI and the ranking pages alike; every function takes plain values (month text,
time zone name, ``now``) and never reads the request. Nothing here commits: the caller does.

Queries per computation, whatever the number of communities and reports: the checklist version, the
communities with their sub-districts, the reports (one query, read as columns: observed in the month, due in
the month, or closed in the repeat window before or during it), their item codes, the communities visited
(see ``loading``), and, for a published month, its latest snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from .. import audit
from ..calendar import month_bounds
from ..calendar import services as calendar_services
from ..checklist import services as checklist_services
from ..checklist.models import ChecklistVersion
from ..checklist.spec import Checklist
from ..documents.services import number_bulletin
from ..errors import N_, Conflict, NotFound
from ..extensions import db
from ..months import Month, month_text
from ..permissions import Principal, can_view_community, can_view_subdistrict_scores, is_staff_of_office
from ..scoring import MonthResult, score_month
from ..scoring.facts import ReportColumns
from ..unit_of_work import writing
from . import document as doc_module
from .loading import load_facts
from .models import RankingSnapshot

__all__ = [
    "Computed",
    "compute",
    "latest_snapshot",
    "load_facts",
    "previous_month",
    "publish",
    "publish_and_commit",
    "ranking",
    "snapshot_history",
    "visible_to",
]


def previous_month(month: str) -> str:
    """The month before ``month`` ('YYYY-MM')."""
    return str(Month.parse(month).previous())


# ---------------------------------------------------------------------------------------------------
# Computing


@dataclass
class Computed:
    """A month computed now: the checklist version used, the scoring result and its document."""

    month: str
    version: ChecklistVersion
    checklist: Checklist
    result: MonthResult
    document: dict
    #: The first moment the month would score otherwise with the same data (None: never; see monthcache).
    valid_until: datetime | None = None
    #: Per checklist item code, the month's field reports of it (``monthcache.item_counts``).
    items: dict[str, int] | None = None

    @property
    def sha256(self) -> str:
        return doc_module.digest(self.document)


def _version_for(month: str) -> ChecklistVersion:
    """A published month keeps the version it was published with; otherwise the version in force."""
    snapshot = latest_snapshot(month, document=False)
    if snapshot is not None:
        return snapshot.checklist_version
    version = checklist_services.version_in_force(month)
    if version is None:
        raise NotFound(
            N_("No checklist is in force for %(month)s: load one first."), code="no_checklist", month=month
        )
    return version


def versions_for(months: list[str]) -> dict[str, ChecklistVersion | None]:
    """``_version_for`` of each month (None where no checklist is in force), the publications and the
    versions in force each read in one query."""
    published = latest_snapshots(months)
    in_force = checklist_services.versions_in_force([m for m in months if m not in published])
    return {m: published[m].checklist_version if m in published else in_force[m] for m in months}


def compute(month: str, *, now: datetime, tz_name: str, version: ChecklistVersion | None = None) -> Computed:
    """Score the month as the data stands now."""
    month = month_text(month)
    tz = ZoneInfo(tz_name)
    version = version or _version_for(month)
    checklist = checklist_services.parse_checklist_document(version)
    with doc_module.collector_paused():
        facts = load_facts(month, tz, checklist)
        result = score_month(checklist, facts, now, calendar=calendar_services.work_calendar(), tz=tz)
    valid_until, items = None, None
    if isinstance(facts.reports, ReportColumns):
        from .monthcache import item_counts, next_change

        valid_until = next_change(facts.reports, result.reference, facts.end)
        items = item_counts(facts.reports, facts.start, facts.end)
    return Computed(
        month,
        version,
        checklist,
        result,
        doc_module.build(result, checklist, version.id, tz_name),
        valid_until,
        items,
    )


def cached(month: str, *, now: datetime, tz_name: str, version: ChecklistVersion | None = None):
    """The month as ``compute`` gives it, read from the month cache while it is valid (``monthcache``):
    its document (breakdowns computed when first read) and its facts digest."""
    from .monthcache import month_document

    month = month_text(month)
    return month_document(month, now=now, tz_name=tz_name, version=version or _version_for(month))


# ---------------------------------------------------------------------------------------------------
# Snapshots


def latest_snapshot(month: str, *, document: bool = True) -> RankingSnapshot | None:
    """The month's latest publication; ``document=False`` leaves its document (tens of megabytes on a
    large month) unread until it is used."""
    query = select(RankingSnapshot).where(RankingSnapshot.month == month)
    if not document:
        query = query.options(defer(RankingSnapshot.document))
    return db.session.scalar(query.order_by(RankingSnapshot.sequence.desc()).limit(1))


def latest_snapshots(months: list[str]) -> dict[str, RankingSnapshot]:
    """Each month's latest publication, without its document, by month (months never published are
    absent): what ``latest_snapshot(month, document=False)`` gives for each, in one query (a chart's
    twelve months read one by one were about half of the ranking page's queries)."""
    if not months:
        return {}
    latest = (
        select(RankingSnapshot.month, func.max(RankingSnapshot.sequence).label("sequence"))
        .where(RankingSnapshot.month.in_(months))
        .group_by(RankingSnapshot.month)
        .subquery()
    )
    query = (
        select(RankingSnapshot)
        .join(
            latest,
            (RankingSnapshot.month == latest.c.month) & (RankingSnapshot.sequence == latest.c.sequence),
        )
        .options(defer(RankingSnapshot.document))
    )
    return {snapshot.month: snapshot for snapshot in db.session.scalars(query)}


def snapshot_history(month: str) -> list[dict]:
    """Every publication of the month, oldest first, without the documents."""
    from ..auth.models import User

    rows = db.session.execute(
        select(
            RankingSnapshot.sequence,
            RankingSnapshot.created_at,
            User.username,
            RankingSnapshot.sha256,
            RankingSnapshot.checklist_version_id,
        )
        .join(User, RankingSnapshot.created_by_id == User.id)
        .where(RankingSnapshot.month == month)
        .order_by(RankingSnapshot.sequence)
    )
    return [
        {
            "sequence": seq,
            "created_at": at.isoformat(),
            "created_by": who,
            "sha256": sha,
            "checklist_version_id": vid,
        }
        for seq, at, who, sha, vid in rows
    ]


def publish(month: str, user_id: int, *, now: datetime, tz_name: str) -> RankingSnapshot:
    """Freeze the month as computed now, as the next snapshot (the first publication or a correction).

    Refused (409) before the month is over, and when the figures equal the latest snapshot's. The month's
    first publication numbers its bulletin (``documents.services.number_bulletin``). The caller commits; a concurrent publication of the same sequence fails on the unique (month, sequence).
    """
    month = month_text(month)
    _start, end = month_bounds(month, ZoneInfo(tz_name))
    if now < end:
        raise Conflict(
            N_("%(month)s is not over yet; publish it once the month has ended."),
            code="month_not_over",
            month=month,
        )
    previous = latest_snapshot(month, document=False)
    computed = compute(
        month, now=now, tz_name=tz_name, version=previous.checklist_version if previous else None
    )
    if previous is not None and previous.sha256 == computed.sha256:
        raise Conflict(
            N_("%(month)s is already published with these figures (publication %(sequence)s)."),
            code="unchanged",
            month=month,
            sequence=previous.sequence,
        )
    snapshot = RankingSnapshot(
        month=month,
        sequence=(previous.sequence + 1) if previous else 1,
        checklist_version_id=computed.version.id,
        created_at=now,
        created_by_id=user_id,
        document=doc_module.canonical(computed.document),
        sha256=computed.sha256,
        summary=doc_module.canonical(doc_module.summary(computed.document)),
        facts_sha256=doc_module.result_facts_digest(computed.result),
    )
    db.session.add(snapshot)
    db.session.flush()
    bulletin = number_bulletin(month, snapshot.id, now=now, tz_name=tz_name)
    audit.record(
        user_id,
        "ranking.publish",
        f"ranking:{month}",
        {
            "sequence": [previous.sequence if previous else None, snapshot.sequence],
            "sha256": [previous.sha256 if previous else None, snapshot.sha256],
            # The bulletin's number, given with the month's first publication since numbers are kept.
            **({"number": [None, bulletin.number]} if bulletin.snapshot_id == snapshot.id else {}),
        },
        at=now,
    )
    return snapshot


# ---------------------------------------------------------------------------------------------------
# What the API, the pages and the exports show


def publish_and_commit(
    month: str, user_id: int, *, now: datetime, tz_name: str
) -> tuple[RankingSnapshot, int]:
    """Publish (see ``publish``) and commit at once, in one unit of work, for the page and the API alike.

    Returns the snapshot and its sequence; another publication of the same month committed a moment
    earlier makes this one lose with 409 (the unique month and sequence), leaving nothing of it.
    """
    try:
        with writing():
            snapshot = publish(month, user_id, now=now, tz_name=tz_name)  # may flush: the race can show here
            sequence = snapshot.sequence
    except IntegrityError:
        raise Conflict(
            N_("Someone else published this month at the same moment; reload and check."), code="publish_race"
        ) from None
    return snapshot, sequence


def ranking(month: str, *, now: datetime, tz_name: str, live: bool = False) -> dict:
    """The month's ranking document for display.

    Unpublished: the live computation, ``"source": "live"``, ``"published": null``. Published: the latest
    snapshot as published (``"source": "published"``), or with ``live`` the recomputation
    (``"source": "live"``); either way ``"published"`` holds the snapshot's sequence, time, author and
    digest, the history of publications, ``differs`` (whether a recomputation now gives other figures)
    and ``differences`` (per community: published and recomputed score, the delta, ranks).
    """
    month = month_text(month)
    snapshot = latest_snapshot(month, document=False)
    computed = cached(
        month, now=now, tz_name=tz_name, version=snapshot.checklist_version if snapshot else None
    )
    if snapshot is None:
        return {**computed.document, "source": "live", "computed_at": now.isoformat(), "published": None}
    frozen = _frozen(snapshot)
    # Whether the digests would differ, found without building every breakdown.
    if snapshot.facts_sha256 is not None:
        differs = not (
            doc_module.same_but_breakdowns(frozen, computed.document)
            and snapshot.facts_sha256 == computed.facts_sha256
        )
    else:
        computed = compute(month, now=now, tz_name=tz_name, version=snapshot.checklist_version)
        differs = not doc_module.same_as_published(frozen, computed.document, computed.result)
    published = {
        "sequence": snapshot.sequence,
        "created_at": snapshot.created_at.isoformat(),
        "created_by": snapshot.created_by.username,
        "sha256": snapshot.sha256,
        "checklist_version_id": snapshot.checklist_version_id,
        "differs": differs,
        "differences": doc_module.differences(frozen, computed.document) if differs else [],
        "history": snapshot_history(month),
    }
    shown = computed.document if live else frozen
    return {
        **shown,
        "source": "live" if live else "published",
        "computed_at": now.isoformat(),
        "published": published,
    }


def standing(month: str, *, now: datetime, tz_name: str) -> dict:
    """The month as it stands for comparison with another: the latest publication as published (read, not
    recomputed), or the live computation of an unpublished month. NotFound without a checklist in force."""
    month = month_text(month)
    snapshot = latest_snapshot(month, document=False)
    if snapshot is None:
        return cached(month, now=now, tz_name=tz_name).document
    return _frozen(snapshot)


def _frozen(snapshot: RankingSnapshot) -> dict:
    """The snapshot's document as published. From its summary when it has one: the breakdowns are then
    read from the whole document (tens of megabytes on a large month) only when one of them is first
    read; most GETs show none."""
    if snapshot.summary is None:  # published before summaries were kept
        with doc_module.collector_paused():  # a large month's snapshot is a few hundred thousand objects
            return json.loads(snapshot.document)
    document = json.loads(snapshot.summary)
    whole: list[dict] = []

    def breakdown(code: str) -> dict:
        if not whole:
            with doc_module.collector_paused():
                whole.append(json.loads(snapshot.document)["breakdowns"])
        return whole[0][code]

    codes = sorted(c["code"] for c in document["communities"])  # as the stored JSON has them: sorted keys
    document["breakdowns"] = doc_module.Breakdowns(dict.fromkeys(codes), None, _build=breakdown)
    return document


def visible_to(
    document: dict, p: Principal, *, breakdowns: bool = True, community: str | None = None
) -> dict:
    """The document cut down to what ``p`` may see: the office everything; sub-district staff their
    communities and sub-district; community staff their own community (with its rank) and sub-district.
    Red and black lists and the published differences keep only visible communities; coverage and the
    district's indicators stay. ``breakdowns`` False drops them; ``community`` keeps only that one's."""
    everything = is_staff_of_office(p)
    rows = [
        c
        for c in document["communities"]
        if everything or can_view_community(p, c["id"], c["subdistrict_id"])
    ]
    codes = {c["code"] for c in rows}
    own_sd = next((c["subdistrict_id"] for c in document["communities"] if c["id"] == p.community_id), None)
    out = dict(document)
    out["communities"] = rows
    out["subdistricts"] = [
        s for s in document["subdistricts"] if everything or can_view_subdistrict_scores(p, s["id"], own_sd)
    ]
    out["red_list"] = [c for c in document["red_list"] if c in codes]
    out["black_list"] = [c for c in document["black_list"] if c in codes]
    keep = codes if community is None else codes & {community}
    source = document["breakdowns"]
    if not breakdowns:
        out["breakdowns"] = {}
    elif isinstance(source, doc_module.Breakdowns):
        out["breakdowns"] = source.only(keep)  # still built only when read
    else:
        out["breakdowns"] = {k: v for k, v in source.items() if k in keep}
    if document.get("published"):
        published = dict(document["published"])
        published["differences"] = [d for d in published["differences"] if d["code"] in codes]
        out["published"] = published
    return out
