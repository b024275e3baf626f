"""Deleting accounts (UC-ADM-01, UC-ADM-12): the function, the scheduled job, the admin page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import func, select, text

from assets.accounts import account_deletion_job, build_account_deletion_schedule
from dra.accounts import deletion
from dra.accounts.deletion import delete_account, delete_due_accounts
from dra.admin.errors import AdminError
from dra.models import (
    AccountCancellationRequest,
    Alert,
    ApiToken,
    EmailOutbox,
    Notification,
    Project,
    ProjectMember,
    User,
)
from dra.models.users import CancellationStatus
from dra.projects.invitations import hash_token
from orchestration.resources import PlatformResource
from tests.support.factories import (
    add_member,
    create_project,
    create_user,
    project_with_roles,
    set_tier,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------


def _give_data(database, data_dir, project_id: int) -> None:
    """A raw and a models schema with a table, and an uploaded file, like a used project."""
    with database.system_session() as s:
        for layer in ("raw", "models"):
            s.execute(text(f'create schema "{layer}_p{project_id}"'))
            s.execute(text(f'create table "{layer}_p{project_id}".t (x int)'))
    folder = data_dir / "uploads" / f"p{project_id}"
    folder.mkdir(parents=True)
    (folder / "orders.csv").write_text("x\n1\n")


def _schemas(database, project_id: int) -> list[str]:
    with database.system_session() as s:
        return list(
            s.scalars(
                text("select nspname from pg_namespace where nspname ~ :p order by 1"),
                {"p": f"^[a-z]+_p{project_id}$"},
            )
        )


def _exists(database, user_id: int) -> bool:
    with database.system_session() as s:
        return s.get(User, user_id) is not None


def _alerts(database, source: str = "accounts") -> list[Alert]:
    with database.system_session() as s:
        return list(s.scalars(select(Alert).where(Alert.source == source).order_by(Alert.id)))


def _request(session, user, status: str, scheduled: datetime | None) -> None:
    session.add(
        AccountCancellationRequest(
            user_id=user.id, reason="bye", status=status, deletion_scheduled_for=scheduled
        )
    )
    session.flush()


# --- delete_account ------------------------------------------------------------------------


def test_delete_account_removes_owned_projects_their_data_and_memberships(database, settings):
    data_dir = settings.data_dir
    with database.system_session() as s:
        team = project_with_roles(s)  # the owner is on Enterprise: an active subscription
        owner = team.owner
        second = create_project(s, owner, name="Second")
        add_member(s, team.outsider_project_id, owner, "editor")  # a membership elsewhere
        s.add(ApiToken(user_id=owner.id, name="t", token_hash=hash_token("x"), prefix="dra_x"))
    for project_id in (team.project_id, second, team.outsider_project_id):
        _give_data(database, data_dir, project_id)

    deleted = delete_account(database, data_dir, owner.id)

    assert deleted.user_id == owner.id and deleted.email == owner.email
    assert deleted.project_ids == (team.project_id, second) and deleted.projects_deleted == 2
    assert deleted.subscription_cancelled is True
    assert set(deleted.dropped_schemas) == {
        f"{layer}_p{p}" for layer in ("raw", "models") for p in (team.project_id, second)
    }
    assert deleted.data_left_project_ids == ()
    with database.system_session() as s:
        assert s.get(User, owner.id) is None
        assert set(s.scalars(select(Project.id))) == {team.outsider_project_id}
        assert (
            s.scalar(
                select(func.count())
                .select_from(ProjectMember)
                .where(ProjectMember.user_id == owner.id)
            )
            == 0
        )
        # the other members of the deleted projects stay, without those memberships
        assert s.get(User, team.admin.id) is not None
        assert (
            s.scalar(
                select(func.count())
                .select_from(ProjectMember)
                .where(ProjectMember.project_id.in_([team.project_id, second]))
            )
            == 0
        )
        assert list(
            s.scalars(
                select(ProjectMember.user_id).where(
                    ProjectMember.project_id == team.outsider_project_id
                )
            )
        ) == [team.outsider.id]
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0
        # scheduled-style deletion (no admin acting): nothing mailed to the user
        assert s.scalar(select(func.count()).select_from(EmailOutbox)) == 0
    for project_id in (team.project_id, second):
        assert _schemas(database, project_id) == []
        assert not (data_dir / "uploads" / f"p{project_id}").exists()
    assert _schemas(database, team.outsider_project_id) == [
        f"models_p{team.outsider_project_id}",
        f"raw_p{team.outsider_project_id}",
    ]
    assert (data_dir / "uploads" / f"p{team.outsider_project_id}" / "orders.csv").is_file()

    [alert] = _alerts(database)
    assert alert.severity == "info"
    assert owner.email in alert.title and "2 project(s) deleted" in alert.title
    assert alert.details["email"] == owner.email
    assert alert.details["projects_deleted"] == 2
    assert alert.details["subscription_cancelled"] is True
    assert alert.details["deleted_by"] is None
    with database.system_session() as s:  # the platform admins were notified
        assert (
            s.scalar(
                select(Notification.title).where(Notification.user_id == team.platform_admin.id)
            )
            == alert.title
        )


def test_admin_deletion_mails_the_user_and_records_the_admin(database, settings, make_user):
    admin = make_user(platform_admin=True)
    user = make_user(email="leaving@example.com", first_name="Lee")
    deleted = delete_account(database, settings.data_dir, user.id, actor_id=admin.id)
    assert deleted.project_ids == () and deleted.subscription_cancelled is False
    with database.system_session() as s:
        [mail] = s.scalars(select(EmailOutbox)).all()
    assert mail.to_address == "leaving@example.com" and mail.category == "account"
    assert mail.subject == "Your account was deleted" and "Hello Lee" in mail.body_text
    assert mail.user_id is None  # the account it was about is gone
    [alert] = _alerts(database)
    assert alert.details["deleted_by"] == admin.id and "0 project(s) deleted" in alert.title


def test_refusals_delete_nothing(database, settings, make_user):
    admin = make_user(platform_admin=True)
    other_admin = make_user(platform_admin=True)
    user = make_user(email="Mixed.Case@example.com")
    data_dir = settings.data_dir

    with pytest.raises(AdminError) as refused:
        delete_account(database, data_dir, other_admin.id, actor_id=admin.id)
    assert (refused.value.status, refused.value.message) == (400, "Cannot delete admin accounts.")
    with pytest.raises(AdminError) as refused:
        delete_account(database, data_dir, other_admin.id)  # scheduled: still refused
    assert refused.value.message == "Cannot delete admin accounts."
    with pytest.raises(AdminError) as refused:
        delete_account(database, data_dir, admin.id, actor_id=admin.id)
    assert refused.value.status == 400 and "your own account" in refused.value.message
    with pytest.raises(AdminError) as refused:
        delete_account(database, data_dir, 999_999, actor_id=admin.id)
    assert refused.value.status == 404
    with pytest.raises(AdminError) as refused:
        delete_account(database, data_dir, user.id, actor_id=admin.id, confirmation="mixed")
    assert refused.value.status == 400 and refused.value.field == "confirm_email"
    assert "Confirmation email" in refused.value.message
    with pytest.raises(AdminError):
        delete_account(database, data_dir, user.id, actor_id=admin.id, confirmation="")

    assert all(_exists(database, u.id) for u in (admin, other_admin, user))
    assert _alerts(database) == []
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(EmailOutbox)) == 0

    # the typed email is compared without case and surrounding spaces
    delete_account(
        database, data_dir, user.id, actor_id=admin.id, confirmation=" mixed.case@EXAMPLE.com "
    )
    assert not _exists(database, user.id)


def test_data_left_behind_is_reported(database, settings, make_user, monkeypatch):
    user = make_user()
    with database.system_session() as s:
        project_id = create_project(s, user)

    def broken(*_args):
        raise OSError("disk on fire")

    monkeypatch.setattr(deletion, "remove_project_data", broken)
    deleted = delete_account(database, settings.data_dir, user.id)
    assert not _exists(database, user.id) and deleted.data_left_project_ids == (project_id,)
    info, error = _alerts(database)
    assert info.severity == "info" and error.severity == "error"
    assert f"p{project_id}" in error.title and "drop them by hand" in error.details["message"]


# --- delete_due_accounts and the Dagster job -------------------------------------------------


@pytest.fixture
def requests(database):
    """One user per kind of cancellation request; only ``due`` is due at NOW."""
    with database.system_session() as s:
        users = {
            kind: create_user(s, email=f"{kind}@example.com")
            for kind in (
                "due",
                "due_twice",
                "future",
                "pending",
                "rejected",
                "withdrawn",
                "unscheduled",
                "admin",
                "none",
            )
        }
        admin = users["admin"]
        s.get(User, admin.id).is_platform_admin = True
        set_tier(s, users["due"], "Starter")
        create_project(s, users["due"])
        day = timedelta(days=1)
        _request(s, users["due"], CancellationStatus.APPROVED, NOW - day)
        _request(s, users["due_twice"], CancellationStatus.APPROVED, NOW - 2 * day)
        _request(s, users["due_twice"], CancellationStatus.APPROVED, NOW)  # exactly due
        _request(s, users["future"], CancellationStatus.APPROVED, NOW + timedelta(minutes=1))
        _request(s, users["pending"], CancellationStatus.PENDING, None)
        _request(s, users["rejected"], CancellationStatus.REJECTED, NOW - day)
        _request(s, users["withdrawn"], CancellationStatus.WITHDRAWN, NOW - day)
        _request(s, users["unscheduled"], CancellationStatus.APPROVED, None)
        _request(s, users["admin"], CancellationStatus.APPROVED, NOW - day)
    return users


def _remaining(database) -> set[str]:
    with database.system_session() as s:
        return {e.split("@")[0] for e in s.scalars(select(User.email))}


def test_due_deletion_deletes_only_due_approved_requests(database, settings, requests):
    deleted = delete_due_accounts(database, settings.data_dir, now=NOW)
    assert sorted(d.email for d in deleted) == ["due@example.com", "due_twice@example.com"]
    assert {d.email: d.projects_deleted for d in deleted}["due@example.com"] == 1
    assert _remaining(database) == {
        "future",
        "pending",
        "rejected",
        "withdrawn",
        "unscheduled",
        "admin",
        "none",
    }
    with database.system_session() as s:  # the approval mailed them already
        assert s.scalar(select(func.count()).select_from(EmailOutbox)) == 0
    assert [a.severity for a in _alerts(database)] == ["info", "info"]
    assert delete_due_accounts(database, settings.data_dir, now=NOW) == []  # nothing left


def test_one_failed_deletion_does_not_stop_the_others(database, settings, requests, monkeypatch):
    real = deletion.delete_account

    def flaky(database_, data_dir, user_id, **kwargs):
        if user_id == requests["due"].id:
            raise RuntimeError("lock timeout")
        return real(database_, data_dir, user_id, **kwargs)

    monkeypatch.setattr(deletion, "delete_account", flaky)
    deleted = delete_due_accounts(database, settings.data_dir, now=NOW)
    assert [d.email for d in deleted] == ["due_twice@example.com"]
    assert "due" in _remaining(database)
    errors = [a for a in _alerts(database) if a.severity == "error"]
    assert len(errors) == 1 and "due@example.com" in errors[0].title
    assert "lock timeout" in errors[0].details["message"]


def test_account_deletion_job_deletes_due_accounts(database, settings):
    now = datetime.now(UTC)
    with database.system_session() as s:
        due, later = create_user(s), create_user(s)
        _request(s, due, CancellationStatus.APPROVED, now - timedelta(days=1))
        _request(s, later, CancellationStatus.APPROVED, now + timedelta(days=1))
    defs = dg.Definitions(
        jobs=[account_deletion_job],
        resources={
            "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
        },
    )
    result = defs.get_job_def("account_deletion_job").execute_in_process()
    assert result.success
    assert result.output_for_node("delete_due_accounts") == 1
    assert not _exists(database, due.id) and _exists(database, later.id)


def test_account_deletion_schedule(monkeypatch):
    monkeypatch.delenv("DRA_ACCOUNT_DELETION_CRON", raising=False)
    schedule = build_account_deletion_schedule()
    assert schedule.name == "account_deletion_schedule"
    assert schedule.job_name == "account_deletion_job"
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 2 * * *", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    monkeypatch.setenv("DRA_ACCOUNT_DELETION_CRON", "15 4 * * *")
    assert build_account_deletion_schedule().cron_schedule == "15 4 * * *"


# --- the admin page (UC-ADM-01) -------------------------------------------------------------


@pytest.fixture
def admin(make_user):
    return make_user(email="root@example.com", platform_admin=True)


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


def test_users_page_offers_delete_with_typed_confirmation(admin_client, make_user):
    make_user(email="plain@example.com")
    make_user(email="boss@example.com", platform_admin=True)
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert page.count('name="confirm_email"') == 1  # not for admins, not for yourself
    assert "Type plain@example.com to delete this account" in page
    assert "admin accounts cannot be deleted" in page


def test_admin_deletes_a_user_after_typing_the_email(admin_client, login, make_user, database):
    user = make_user(email="gone@example.com")
    with database.system_session() as s:
        project_id = create_project(s, user)
        set_tier(s, user, "Starter")
    user_client = login(user)

    wrong = admin_client.post(f"/admin/users/{user.id}/delete", data={"confirm_email": "gone@"})
    assert wrong.status_code == 400
    assert wrong.data.count(b"Confirmation email: type gone@example.com exactly") == 1
    assert b'aria-invalid="true"' in wrong.data
    missing = admin_client.post(f"/admin/users/{user.id}/delete")
    assert missing.status_code == 400
    assert _exists(database, user.id)
    with database.system_session() as s:
        assert s.get(Project, project_id) is not None

    done = admin_client.post(
        f"/admin/users/{user.id}/delete", data={"confirm_email": "gone@example.com", "q": "gone"}
    )
    assert done.status_code == 302 and "q=gone" in done.headers["Location"]
    assert not _exists(database, user.id)
    with database.system_session() as s:
        assert s.get(Project, project_id) is None
        assert s.scalar(
            select(EmailOutbox.subject).where(EmailOutbox.to_address == user.email)
        ) == ("Your account was deleted")
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "The account gone@example.com was deleted with 1 project it owned" in page
    assert "its subscription was cancelled" in page
    assert user_client.get("/projects/").status_code == 302  # their session ended
    assert admin_client.post(f"/admin/users/{user.id}/delete").status_code == 404


def test_admin_accounts_and_own_account_are_refused(admin_client, admin, make_user, database):
    other = make_user(email="other.admin@example.com", platform_admin=True)
    resp = admin_client.post(f"/admin/users/{other.id}/delete", data={"confirm_email": other.email})
    assert resp.status_code == 400 and b"Cannot delete admin accounts." in resp.data
    own = admin_client.post(f"/admin/users/{admin.id}/delete", data={"confirm_email": admin.email})
    assert own.status_code == 400 and b"You cannot delete your own account." in own.data
    assert _exists(database, other.id) and _exists(database, admin.id)


def test_only_platform_admins_may_delete(app, login, make_user, database):
    victim = make_user(email="victim@example.com")
    user_client = login(make_user())
    refused = user_client.post(
        f"/admin/users/{victim.id}/delete", data={"confirm_email": victim.email}
    )
    assert refused.status_code == 403
    anonymous = app.test_client().post(
        f"/admin/users/{victim.id}/delete", data={"confirm_email": victim.email}
    )
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert _exists(database, victim.id)


def test_a_project_with_a_co_owner_is_handed_over_not_deleted(database, settings):
    with database.system_session() as s:
        leaving = create_user(s, email="leaving@example.com")
        heir = create_user(s, email="heir@example.com")
        editor = create_user(s, email="editor@example.com")
        shared = create_project(s, leaving, name="Shared")
        alone = create_project(s, leaving, name="Alone")
        add_member(s, shared, editor, "editor")
        add_member(s, shared, heir, "owner")
        ids = (leaving.id, heir.id, shared, alone)
    _give_data(database, settings.data_dir, ids[2])
    deleted = delete_account(database, settings.data_dir, ids[0])
    assert deleted.project_ids == (ids[3],)
    assert deleted.handed_over == {ids[2]: ids[1]}
    with database.system_session() as s:
        project = s.get(Project, ids[2])
        assert project is not None and project.owner_id == ids[1]
        assert s.get(Project, ids[3]) is None
    assert _schemas(database, ids[2]) == [f"models_p{ids[2]}", f"raw_p{ids[2]}"]
