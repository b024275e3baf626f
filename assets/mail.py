"""Email delivery retries: messages that could not be sent are tried again every few minutes.

Mail is sent when it is recorded (dra.mail.send_email); when the SMTP server was down,
the message waits in app.email_outbox with its error. This job sends those, up to five
attempts each and for a day at most (dra.mail.sender.deliver_pending).
"""

import dagster as dg

from dra.mail import MailConfig, deliver_pending
from orchestration.resources import PlatformResource
from orchestration.schedules import cron_schedule


@dg.op(description="Send the outbox's unsent messages (oldest first) over SMTP.")
def deliver_outbox(context: dg.OpExecutionContext, platform: PlatformResource) -> None:
    config = MailConfig.from_settings(platform.settings)
    if not config.host:
        context.log.info("no SMTP server configured (DRA_SMTP_HOST): messages stay in the outbox")
        return
    with platform.database.system_session() as session:
        outcome = deliver_pending(session, config)
    context.log.info(
        f"email outbox: {outcome.sent} of {outcome.tried} message(s) sent, "
        f"{outcome.waiting} still waiting"
    )
    if outcome.tried and not outcome.sent:
        raise dg.Failure(
            description=f"No message could be sent ({outcome.tried} tried): is the SMTP "
            "server reachable?"
        )


@dg.job(description="Retry the email messages the SMTP server did not take.")
def email_outbox_job() -> None:
    deliver_outbox()


def build_email_outbox_schedule() -> dg.ScheduleDefinition:
    return cron_schedule(
        "email_outbox_schedule", email_outbox_job, "DRA_MAIL_RETRY_CRON", "*/10 * * * *"
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(jobs=[email_outbox_job], schedules=[build_email_outbox_schedule()])
