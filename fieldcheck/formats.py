"""How every page says a checklist name, a distance and the time left on an item, in the current locale.

One formatter each, so that no two pages word the same thing differently. The browser says the same
things from the same translated patterns: the capture page hands ``ACCURACY`` (``±{m} m``, ``±{m} 米``)
to static/js/capture.js, which fills in ``{m}`` exactly as :func:`accuracy_text` does (rounded to the
metre).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _

from .errors import N_

#: The position's accuracy, ``{m}`` in whole metres (also used by static/js/capture.js).
ACCURACY = N_("±{m} m")


def english() -> bool:
    """Whether the current request speaks English (everything else shows the Chinese names)."""
    return str(get_locale() or "zh").startswith("en")


def display_name(named, *, en: bool | None = None) -> str:
    """The checklist name (item or category) in the current locale: ``name_en`` in English, else
    ``name_zh``; the other one when the wanted one is empty. Takes a row or a document dict (a
    ranking deduction's ``item_name_zh``/``item_name_en`` too); '' for None."""
    if named is None:
        return ""
    en = english() if en is None else en
    if isinstance(named, Mapping):
        zh_name = named.get("name_zh") or named.get("item_name_zh") or ""
        en_name = named.get("name_en") or named.get("item_name_en") or ""
    else:
        zh_name = getattr(named, "name_zh", "") or ""
        en_name = getattr(named, "name_en", "") or ""
    return (en_name or zh_name) if en else (zh_name or en_name)


def accuracy_pattern() -> str:
    """``ACCURACY`` translated, ``{m}`` left to fill in (the capture page's script fills it)."""
    return _(ACCURACY)


def accuracy_text(metres) -> str:
    """``±12 m`` (``±12 米``): a position's accuracy, rounded to the metre."""
    return accuracy_pattern().replace("{m}", str(round(float(metres))))


def duration_text(delta: timedelta) -> str:
    """A short duration: days and hours, hours and minutes under a day, minutes under an hour."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=mins)
    return _("%(m)s min", m=mins)


def time_left(report, now: datetime) -> str:
    """How long the community has left on a report, or how long it is overdue; '' when no deadline runs."""
    from .workflow import rules

    if report.due_at is None or report.status not in rules.AWAITING_FIX:
        return ""
    if rules.is_overdue(report.status, report.due_at, now):
        return _("overdue by %(time)s", time=duration_text(now - report.due_at))
    return _("%(time)s left", time=duration_text(report.due_at - now))
