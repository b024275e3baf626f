"""Scheduled account deletion: accounts whose approved cancellation is due (UC-ADM-12).

Approving a cancellation schedules the account's deletion ``GRACE_DAYS`` later
(dra.admin.cancellations.approve); this daily job deletes the accounts whose date has
come, with their owned projects and those projects' data
(dra.accounts.deletion.delete_due_accounts). Each deletion raises an info alert; a
failed one an error alert, without stopping the others.
"""

import dagster as dg

from dra.accounts.deletion import delete_due_accounts
from orchestration.resources import PlatformResource
from orchestration.schedules import cron_schedule


@dg.op(
    name="delete_due_accounts",
    description="Delete the accounts whose approved cancellation reached its deletion date.",
)
def delete_due_accounts_op(context: dg.OpExecutionContext, platform: PlatformResource) -> int:
    deleted = delete_due_accounts(platform.database, platform.settings.data_dir)
    for account in deleted:
        context.log.info(
            f"deleted account {account.email} (user {account.user_id}) with "
            f"{account.projects_deleted} owned project(s)"
            + (
                f"; data left of projects {list(account.data_left_project_ids)}"
                if account.data_left_project_ids
                else ""
            )
        )
    context.log.info(f"{len(deleted)} account(s) deleted")
    return len(deleted)


@dg.job(description="Delete the accounts whose approved cancellation's grace period is over.")
def account_deletion_job() -> None:
    delete_due_accounts_op()


def build_account_deletion_schedule() -> dg.ScheduleDefinition:
    """The daily run of ``account_deletion_job`` (``DRA_ACCOUNT_DELETION_CRON``, UTC)."""
    return cron_schedule(
        "account_deletion_schedule",
        account_deletion_job,
        "DRA_ACCOUNT_DELETION_CRON",
        "30 2 * * *",
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(
        jobs=[account_deletion_job], schedules=[build_account_deletion_schedule()]
    )
