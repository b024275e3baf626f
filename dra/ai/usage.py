"""The tier's monthly AI generations, counted per user and month in ``app.ai_usage``.

Every feature that asks the model for something (the AI data modeler's chat, insights)
checks the cap before the request and counts it after a successful answer, in the
caller's transaction (a refused or failed call counts nothing):

- ``check_generations(session, user_id, count=1)``: 403 with the upgrade prompt when
  ``count`` more would exceed the tier's ``max_ai_generations_per_month`` (-1 unlimited;
  platform admins exempt);
- ``count_generation(session, user_id, now=None, count=1)``: adds them to this month.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dra.billing.limits import Limit, LimitExceeded, check_limit, tier_for
from dra.models import AIUsage


def check_generations(session: Session, user_id: int, count: int = 1) -> None:
    """Raise LimitExceeded (403) when ``count`` more generations exceed the monthly cap."""
    usage = check_limit(session, user_id, Limit.AI_GENERATIONS_PER_MONTH)
    if not usage.unlimited and usage.used + count > usage.maximum:
        tier = tier_for(session, user_id)
        raise LimitExceeded.of(Limit.AI_GENERATIONS_PER_MONTH, usage.maximum, tier.name)


def count_generation(
    session: Session, user_id: int, now: datetime | None = None, count: int = 1
) -> None:
    """Add ``count`` generations to the user's month (UTC)."""
    month = (now or datetime.now(UTC)).date().replace(day=1)
    stmt = insert(AIUsage).values(user_id=user_id, month=month, count=count)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[AIUsage.user_id, AIUsage.month],
            set_={"count": AIUsage.count + count},
        )
    )
