"""SQLAlchemy models of the ``app`` schema (owned by the Alembic migrations).

Importing this package registers every table on ``Base.metadata``.
"""

from dra.models.ai import (
    AIConversation,
    AIMessage,
    AISession,
    AISessionMessage,
    AIUsage,
    Insight,
)
from dra.models.attribution import (
    AttributionEvent,
    AttributionEventId,
    AttributionReport,
    AttributionTrackingKey,
)
from dra.models.base import APP_SCHEMA, Base, TimestampMixin, utcnow
from dra.models.billing import UNLIMITED, SubscriptionTier, UserSubscription
from dra.models.content import Article, ArticleCategory
from dra.models.dashboards import Dashboard, DashboardPublicLink, DashboardWidget
from dra.models.data_models import DataModel, DataModelInput, DataModelSource
from dra.models.notifications import EmailOutbox, EmailPreferences, Notification
from dra.models.operations import Alert, Backup, BackupSchedule, PipelineRequest
from dra.models.platform import BetaAllowlistEntry, PlatformSetting
from dra.models.projects import Project, ProjectInvitation, ProjectMember
from dra.models.quality import QualityReport, QualityRule
from dra.models.sources import DataSource, DataSourceTable
from dra.models.users import (
    AccountCancellationRequest,
    ApiToken,
    EmailVerificationToken,
    PasswordResetToken,
    User,
)

__all__ = [
    "APP_SCHEMA",
    "UNLIMITED",
    "AIConversation",
    "AIMessage",
    "AISession",
    "AISessionMessage",
    "AIUsage",
    "AccountCancellationRequest",
    "Alert",
    "ApiToken",
    "Article",
    "ArticleCategory",
    "AttributionEvent",
    "AttributionEventId",
    "AttributionReport",
    "AttributionTrackingKey",
    "Backup",
    "BackupSchedule",
    "Base",
    "BetaAllowlistEntry",
    "Dashboard",
    "DashboardPublicLink",
    "DashboardWidget",
    "DataModel",
    "DataModelInput",
    "DataModelSource",
    "DataSource",
    "DataSourceTable",
    "EmailOutbox",
    "EmailPreferences",
    "EmailVerificationToken",
    "Insight",
    "Notification",
    "PasswordResetToken",
    "PipelineRequest",
    "PlatformSetting",
    "Project",
    "ProjectInvitation",
    "ProjectMember",
    "QualityReport",
    "QualityRule",
    "SubscriptionTier",
    "TimestampMixin",
    "User",
    "UserSubscription",
    "utcnow",
]
