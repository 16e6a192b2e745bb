"""Import every model so metadata is complete (migrations, tests)."""

from .audit import AuditEntry  # noqa: F401
from .auth.models import ApiToken, User, UserSession  # noqa: F401
from .calendar.models import CalendarDay, CalendarYear  # noqa: F401
from .checklist.models import ChecklistCategory, ChecklistItem, ChecklistVersion  # noqa: F401
from .documents.models import BulletinNumber  # noqa: F401
from .geography.models import BoundaryVersion, Community, CommunityBoundary, Spot, Subdistrict  # noqa: F401
from .notify.models import Delivery, Notification, NotifyPreference, NotifyTarget  # noqa: F401, E402
from .ranking.models import MonthCache, MonthChange, RankingSnapshot  # noqa: F401, E402
from .reports.models import Event, Photo, Report, Visit  # noqa: F401, E402
from .settings import Setting  # noqa: F401, E402
