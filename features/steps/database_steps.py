"""Steps for features/database_pipelines.feature, driving the real platform: the web app
(with CSRF on), the request sensor and Dagster jobs from the one Definitions object,
Alembic, pg_dump/pg_restore and PostgreSQL roles. Failures come from the product's own
fault-injection switch (DRA_FAULT_INJECT, dra/operations/faults.py)."""

from __future__ import annotations

import os
import re
import zipfile

import dagster as dg
import psycopg
from behave import given, then, when
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dra import migrate
from dra.models import Alert, Backup, Notification, PipelineRequest, User

ADMIN_EMAIL = "db-admin@example.test"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# ----------------------------------------------------------------------------- helpers
def _web(context):
    """The web app for this scenario's database (built once per scenario)."""
    if getattr(context, "app", None) is None:
        from webapp import create_app

        context.app = create_app(
            context.settings, config={"TESTING": True, "RATELIMIT_ENABLED": False}
        )
        context.cleanups.append(lambda: context.app.extensions["dra_database"].dispose())
    return context.app


def _sign_in(context, email: str, password: str):
    from tests.support.factories import DEFAULT_PASSWORD

    client = _web(context).test_client()
    page = client.get("/auth/login")
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    resp = client.post(
        "/auth/login",
        data={"email": email, "password": password or DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302, f"sign-in failed for {email}: {resp.status_code}"
    return client


def _post(context, path: str, data: dict | None = None, **kwargs):
    """POST like the browser does: with the CSRF token of the database page."""
    page = context.client.get("/admin/database/")
    assert page.status_code == 200, page.status_code
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    return context.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def _dagster(context):
    """An ephemeral Dagster instance, and the environment the platform resource reads."""
    os.environ["DRA_DATABASE_URL"] = context.database_url
    os.environ["DRA_DATA_DIR"] = str(context.data_dir)
    if getattr(context, "instance", None) is None:
        context.instance = dg.DagsterInstance.ephemeral()
        context.cleanups.append(context.instance.dispose)
    return context.instance


def _run_requested_jobs(context) -> list:
    """What the Dagster daemon does: tick the request sensor, launch the runs it asks for."""
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    instance = _dagster(context)
    platform = PlatformResource(database_url=context.database_url, data_dir=str(context.data_dir))
    sensor = defs.get_sensor_def("pipeline_request_sensor")
    with dg.build_sensor_context(instance=instance, resources={"platform": platform}) as ctx:
        result = sensor(ctx)
    assert result.run_requests, "the request sensor launched nothing"
    outcomes = []
    for run_request in result.run_requests:
        job = defs.resolve_job_def(run_request.job_name)
        outcomes.append(
            job.execute_in_process(instance=instance, tags=run_request.tags, raise_on_error=False)
        )
    return outcomes


def _latest_backup(context) -> Backup:
    with context.database.system_session() as s:
        backup = s.scalars(select(Backup).order_by(Backup.id.desc()).limit(1)).first()
        assert backup is not None, "no backup row was recorded"
        return backup


# -------------------------------------------------------------------------- background
@given("an administrator exists and is authenticated")
def step_admin(context):
    from tests.support.factories import DEFAULT_PASSWORD, create_user

    with context.database.system_session() as s:
        context.admin = create_user(s, email=ADMIN_EMAIL, platform_admin=True)
    context.client = _sign_in(context, ADMIN_EMAIL, DEFAULT_PASSWORD)
    assert context.client.get("/admin/database/").status_code == 200


# -------------------------------------------------------------------------- migrations
@when("the administrator applies schema migrations")
def step_apply(context):
    context.revision_before = migrate.status(context.database_url).current
    context.response = _post(context, "/admin/database/migrations/apply")


@then("the database schema is up to date")
def step_up_to_date(context):
    assert context.response.status_code == 303, context.response.status_code
    status = migrate.status(context.database_url)
    assert status.up_to_date and status.current == status.head, status
    page = context.client.get("/admin/database/").get_data(as_text=True)
    assert "up to date" in page and status.head in page


@given("a migration error is simulated")
def step_migration_fault(context):
    os.environ["DRA_FAULT_INJECT"] = "migration"


@then("the system reports a migration failure")
def step_migration_failed(context):
    body = context.response.get_data(as_text=True)
    assert context.response.status_code == 500, context.response.status_code
    assert "failed and was rolled back" in body, body[:2000]
    assert migrate.status(context.database_url).current == context.revision_before


@then("an alert is recorded for administrator review")
def step_alert(context):
    with context.database.system_session() as s:
        alerts = s.scalars(select(Alert).where(Alert.source == "migration")).all()
        assert len(alerts) == 1 and alerts[0].acknowledged_at is None, alerts
        assert "simulated migration failure" in alerts[0].details["message"]
    page = context.client.get("/admin/database/").get_data(as_text=True)
    assert 'data-source="migration"' in page and "Database migration failed" in page


# ----------------------------------------------------------------------------- backups
@when("the administrator creates a database backup")
def step_backup(context):
    resp = _post(context, "/admin/database/backups", headers={"Accept": "application/json"})
    assert resp.status_code == 202, (resp.status_code, resp.get_data(as_text=True))
    context.backup_id = resp.get_json()["backup_id"]
    context.runs = _run_requested_jobs(context)


@then("a backup file is stored")
def step_backup_stored(context):
    assert all(r.success for r in context.runs)
    backup = _latest_backup(context)
    assert (backup.status, backup.drill_status) == ("succeeded", "passed"), backup.error
    path = context.settings.backup_dir / backup.file_name
    assert re.fullmatch(r"dra-backup-\d{8}T\d{6}Z\.zip", path.name), path.name
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["database.dump", "metadata.json"]
    assert backup.metadata_["tables"]["app.users"] == 1
    assert backup.metadata_["created_by"]["email"] == ADMIN_EMAIL
    with context.database.system_session() as s:  # the admin who asked is told
        told = s.scalars(
            select(Notification.type).where(Notification.user_id == context.admin.id)
        ).all()
    assert told == ["backup.succeeded"], told


@when("the administrator restores the database from the latest backup")
def step_restore(context):
    from tests.support.factories import create_user

    # A change made after the backup: the restore must take it away.
    with context.database.system_session() as s:
        create_user(s, email="after-backup@example.test")
    backup = _latest_backup(context)
    resp = _post(
        context,
        f"/admin/database/backups/{backup.id}/restore",
        {"confirm": "RESTORE"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 202, (resp.status_code, resp.get_data(as_text=True))
    context.runs = _run_requested_jobs(context)


@then("the restore operation completes successfully")
def step_restored(context):
    assert [r.success for r in context.runs] == [True]
    with context.database.system_session() as s:
        emails = set(s.scalars(select(User.email)))
        restored = s.scalars(select(Alert).where(Alert.source == "restore")).all()
    assert emails == {ADMIN_EMAIL}, emails
    with context.database.system_session() as s:  # the restored rows tell the truth
        requests = s.execute(select(PipelineRequest.kind, PipelineRequest.status)).all()
        backups = s.execute(select(Backup.status, Backup.file_name)).all()
    assert requests == [("backup", "succeeded")], requests
    assert [b.status for b in backups] == ["succeeded"], backups
    assert len(restored) == 1 and restored[0].title.startswith("Database restored from")
    assert migrate.status(context.database_url).up_to_date
    logs = " ".join(e.message for e in context.instance.all_logs(context.runs[0].run_id))
    assert "restore completed" in logs


@given("the backup process is simulated to fail")
def step_backup_fault(context):
    os.environ["DRA_FAULT_INJECT"] = "pg_dump"


@then("the system records the backup failure and schedules a retry")
def step_backup_failed(context):
    assert [r.success for r in context.runs] == [False]
    backup = _latest_backup(context)
    assert backup.status == "failed" and "pg_dump failed" in (backup.error or ""), backup.error
    attempts = backup.metadata_["attempts"]
    assert attempts[0]["retry_at"] is not None, attempts  # the retry was scheduled...
    assert backup.attempt == len(attempts) > 1, attempts  # ...and it ran
    events = context.instance.all_logs(context.runs[0].run_id)
    assert any(
        e.dagster_event and e.dagster_event.event_type_value == "STEP_UP_FOR_RETRY" for e in events
    )
    leftovers = list(context.settings.backup_dir.glob("*.zip*"))
    assert leftovers == [], leftovers
    with context.database.system_session() as s:
        alert = s.scalars(select(Alert).where(Alert.source == "backup")).one()
    assert f"after {len(attempts)} attempt(s)" in alert.details["message"]
    page = context.client.get("/admin/database/").get_data(as_text=True)
    assert 'data-status="failed"' in page and "pg_dump failed" in page


# ------------------------------------------------------------------------------ access
@given('a user "{name}" exists')
def step_user(context, name):
    from tests.support.factories import create_user

    with context.database.system_session() as s:
        context.member = create_user(s, email=f"{name}@example.test", first_name=name, last_name="")


@when("the administrator grants the user database-admin access")
def step_grant(context):
    from dra.db import Database
    from dra.operations.db_access import revoke_db_admin

    resp = _post(
        context, "/admin/database/access", {"email": context.member.email, "login_role": "on"}
    )
    assert resp.status_code == 200, resp.status_code
    user_id = context.member.id
    context.cleanups.append(lambda: _revoke(context, Database, revoke_db_admin, user_id))
    match = re.search(r'data-password="([^"]+)"', resp.get_data(as_text=True))
    assert match, "the new role's password was not shown"
    context.role_password = match.group(1)


def _revoke(context, database_cls, revoke, user_id):
    database = database_cls(context.database_url)
    try:
        revoke(database, user_id)
    finally:
        database.dispose()


@then('the user "{name}" has elevated database permissions')
def step_elevated(context, name):
    from dra.operations.db_access import role_name, role_state
    from tests.support.factories import DEFAULT_PASSWORD

    with context.database.system_session() as s:
        user = s.scalar(select(User).where(User.email == f"{name}@example.test"))
        assert user.is_db_admin
    state = role_state(context.database, user.id)
    assert state.exists and state.can_login and state.owner_member, state
    # Sign in to PostgreSQL as the new role and do what only the schema owner may.
    url = make_url(context.database_url).set(
        drivername="postgresql", username=role_name(user.id), password=context.role_password
    )
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        assert conn.execute("select current_user").fetchone()[0] == role_name(user.id)
        conn.execute("create table app.dbadmin_probe (id int)")
        conn.execute("drop table app.dbadmin_probe")
        assert conn.execute("select count(*) from app.users").fetchone()[0] == 2
        conn.rollback()
    # And the platform permission: the database pages open for them.
    client = _sign_in(context, user.email, DEFAULT_PASSWORD)
    assert client.get("/admin/database/").status_code == 200


# ---------------------------------------------------------------------------- pipelines
@when('the administrator starts the data pipeline run named "{job_name}"')
def step_start_pipeline(context, job_name):
    from dra.demo.load import load_demo
    from orchestration.definitions import defs

    load_demo(context.database_url, context.settings)  # the sources the pipeline refreshes
    instance = _dagster(context)
    context.run = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance, raise_on_error=False
    )


@then('the pipeline run completes with status "{status}"')
def step_run_status(context, status):
    run = context.instance.get_run_by_id(context.run.run_id)
    assert run.status.value == status, run.status


@then('pipeline run logs contain the text "{first}" and "{second}"')
def step_run_logs(context, first, second):
    messages = [e.message or "" for e in context.instance.all_logs(context.run.run_id)]
    summary = [m for m in messages if first in m and second in m]
    assert summary, messages[-20:]
    rows = re.search(r"(\d+) rows " + re.escape(first), summary[-1])
    assert rows and int(rows.group(1)) > 0, summary[-1]  # the demo sources were really read
