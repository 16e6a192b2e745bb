"""What a notification says: a title and a line for the inbox, Chinese markdown for robots and e-mail."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from .. import links
from .rules import TITLES

MAX_NOTE = 200


def title(kind: str) -> str:
    return gettext(TITLES.get(kind, kind))


def summary(payload: dict, report_id: int | None, zh: bool) -> str:
    """The report's number, item and community, as one line (a digest: its counts; a month: the month)."""
    if payload.get("month"):
        return str(payload["month"])
    if "communities" in payload:
        counts = ", ".join(f"{name} {n}" for name, n in payload["communities"])
        total = gettext("%(count)s overdue", count=payload.get("count", 0))
        return f"{payload.get('subdistrict_name') or ''} {total} ({counts})".strip()
    parts = []
    if report_id is not None:
        parts.append(f"#{report_id}")
    item = payload.get("item_zh") if zh else payload.get("item_en")
    if item:
        parts.append(f"{payload.get('item_code') or ''} {item}".strip())
    if payload.get("community_name"):
        parts.append(payload["community_name"])
    return " · ".join(parts)


def note_of(payload: dict) -> str:
    note = (payload.get("note") or "").strip().replace("\n", " ")
    return note if len(note) <= MAX_NOTE else note[: MAX_NOTE - 1] + "…"


def item_link(report_id: int | None, payload: dict | None = None) -> str | None:
    """The absolute link of a notification: its report, or the month's ranking page."""
    if report_id is not None:
        return links.public_url("workflow.item", report_id=report_id)
    if payload and payload.get("month"):
        return links.public_url("ranking.month_page", month=payload["month"])
    return None


def render_batch(items: list[dict], key: str) -> tuple[str, str]:
    """(title, markdown) in Chinese for one message carrying several items; the key is its last line.

    ``items``: dicts with kind, report_id, payload.
    """
    with force_locale("zh_CN"):
        if len(items) == 1:
            heading = title(items[0]["kind"])
        else:
            heading = gettext("%(count)s notifications", count=len(items))
        lines = [f"### {heading}"]
        for it in items:
            line = f"- **{title(it['kind'])}** {summary(it['payload'], it['report_id'], zh=True)}"
            note = note_of(it["payload"])
            if note:
                line += f"：{note}"
            link = item_link(it["report_id"], it["payload"])
            if link:
                label = (
                    gettext("Open the report") if it["report_id"] is not None else gettext("Open the ranking")
                )
                line += " [" + label + "](" + link + ")"
            lines.append(line)
            lines += [_sub_line(sub) for sub in it["payload"].get("items", [])]
        lines.append("")
        lines.append(gettext("Message key") + "：" + key)
    return heading, "\n".join(lines)


def _sub_line(sub: dict) -> str:
    """One report listed in a digest (Chinese, with its link)."""
    text = summary(sub, sub.get("report_id"), zh=True)
    link = item_link(sub.get("report_id"))
    return f"  - {text}" + (" [" + gettext("Open the report") + "](" + link + ")" if link else "")
