"""AI data modeler housekeeping: sessions close 24 hours after they were opened (BR-AI-01).

The web app treats a session past its ``expires_at`` as absent already; this job marks
such sessions expired and deletes closed ones a week later
(dra.ai.sessions.expire_sessions), so the table holds only what someone may still reopen.
"""

import dagster as dg

from dra.ai.sessions import expire_sessions
from orchestration.resources import PlatformResource
from orchestration.schedules import cron_schedule


@dg.op(description="Mark AI sessions past their 24 hours expired; delete closed ones a week on.")
def expire_ai_sessions(context: dg.OpExecutionContext, platform: PlatformResource) -> None:
    outcome = expire_sessions(platform.database)
    context.log.info(
        f"AI sessions: {outcome.expired} expired, {outcome.purged} closed session(s) deleted"
    )


@dg.job(description="Close AI modeler sessions 24 hours after they were opened.")
def ai_session_expiry_job() -> None:
    expire_ai_sessions()


def build_ai_session_expiry_schedule() -> dg.ScheduleDefinition:
    return cron_schedule(
        "ai_session_expiry_schedule",
        ai_session_expiry_job,
        "DRA_AI_SESSION_EXPIRY_CRON",
        "*/15 * * * *",
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(
        jobs=[ai_session_expiry_job], schedules=[build_ai_session_expiry_schedule()]
    )
