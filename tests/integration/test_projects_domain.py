"""dra.projects against the real database, run as the acting user under row-level security."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from dra.db import act_as
from dra.models import (
    DataSource,
    EmailOutbox,
    Notification,
    Project,
    ProjectInvitation,
    ProjectMember,
)
from dra.projects import invitations, members, projects
from dra.projects.errors import ProjectError
from tests.support.factories import create_project, create_user, project_with_roles, set_tier


@contextmanager
def as_user(database, user):
    """A dra_app session acting as ``user`` (committed on success)."""
    with database.AppSession() as session, session.begin():
        act_as(session, user.id)
        yield session


@pytest.fixture
def team(database):
    with database.system_session() as s:
        return project_with_roles(s)


def test_create_project_makes_owner_member_and_enforces_rules(database):
    with database.system_session() as s:
        user = create_user(s)  # default Free tier: 3 projects
    with as_user(database, user) as s:
        project = projects.create_project(s, user.id, "  Coffee   shop ", "beans")
        assert project.name == "Coffee shop"
    with as_user(database, user) as s:
        role = s.scalar(select(ProjectMember.role).where(ProjectMember.project_id == project.id))
        assert role == "owner"
        listed = projects.list_projects(s, user.id)
        assert [(p.name, p.role) for p in listed] == [("Coffee shop", "owner")]

    def refused(name):
        with pytest.raises(ProjectError) as err, as_user(database, user) as s:
            projects.create_project(s, user.id, name)
        return err.value

    assert (refused("   ").status, refused("   ").field) == (400, "name")
    assert refused("x" * 201).field == "name"
    assert refused(None).message == "Project name is required."
    assert refused("x" * 201).message == "Project name must be at most 200 characters."
    dup = refused("COFFEE SHOP")
    assert (dup.status, dup.field) == (409, "name") and "already have" in dup.message
    for name in ("Two", "Three"):
        with as_user(database, user) as s:
            projects.create_project(s, user.id, name)
    over = refused("Four")
    assert over.status == 403 and "Free plan allows 3 projects" in over.message
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 3


def test_list_shows_owned_and_member_projects_with_roles(database, team):
    with as_user(database, team.editor) as s:
        listed = projects.list_projects(s, team.editor.id)
    assert [(p.id, p.role) for p in listed] == [(team.project_id, "editor")]
    with as_user(database, team.outsider) as s:
        assert [p.id for p in projects.list_projects(s, team.outsider.id)] == [
            team.outsider_project_id
        ]


def test_detail_counts_and_delete_cascades(database, team, tmp_path):
    with database.system_session() as s:
        s.add(DataSource(project_id=team.project_id, name="Orders", type="csv"))
        for schema in (f"raw_p{team.project_id}", f"models_p{team.project_id}"):
            s.execute(text(f'create schema "{schema}"'))
            s.execute(text(f'create table "{schema}".t (x int)'))
        s.execute(text(f'create schema "raw_p{team.outsider_project_id}"'))
    upload = tmp_path / "uploads" / f"p{team.project_id}" / "orders.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("x\n1\n")
    contract = tmp_path / "quality" / "contracts" / f"p{team.project_id}" / "model_1.yml"
    contract.parent.mkdir(parents=True)
    contract.write_text("dataset: x\n")
    with as_user(database, team.viewer) as s:
        info = projects.project_detail(s, team.project_id)
    assert (info.data_sources, info.members, info.dashboards) == (1, 4, 0)
    with pytest.raises(ProjectError) as err, as_user(database, team.owner) as s:
        projects.delete_project(s, team.project_id, "wrong name", actor_id=team.owner.id)
    assert err.value.field == "confirm_name"
    with as_user(database, team.owner) as s:
        name = projects.get_project(s, team.project_id).name
        projects.delete_project(s, team.project_id, name, actor_id=team.owner.id)
    with database.system_session() as s:
        assert s.get(Project, team.project_id) is None
        assert s.scalar(select(func.count()).select_from(DataSource)) == 0
        assert (
            s.scalar(
                select(func.count())
                .select_from(ProjectMember)
                .where(ProjectMember.project_id == team.project_id)
            )
            == 0
        )
    dropped = projects.remove_project_data(database, tmp_path, team.project_id)
    assert dropped == [f"models_p{team.project_id}", f"raw_p{team.project_id}"]
    assert projects.project_schemas(database, team.project_id) == []
    assert projects.project_schemas(database, team.outsider_project_id) == [
        f"raw_p{team.outsider_project_id}"
    ]  # other projects keep their data
    assert not upload.parent.exists() and not contract.parent.exists()


def test_invite_registered_user_adds_and_notifies(database, team):
    with database.system_session() as s:
        newcomer = create_user(s, email="Nina@Example.com")
    with as_user(database, team.admin) as s, database.system_session() as limits:
        result = invitations.invite(
            s,
            team.project_id,
            "nina@example.com",
            "editor",
            inviter_id=team.admin.id,
            base_url="http://x",
            limit_session=limits,
        )
    assert result.added_directly and result.role == "editor"
    with database.system_session() as s:
        assert (
            s.scalar(
                select(ProjectMember.role).where(
                    ProjectMember.project_id == team.project_id,
                    ProjectMember.user_id == newcomer.id,
                )
            )
            == "editor"
        )
        assert s.scalar(
            select(Notification.title).where(Notification.user_id == newcomer.id)
        ).startswith("You joined")
        assert s.scalar(
            select(EmailOutbox.subject).where(EmailOutbox.to_address == "Nina@Example.com")
        ).startswith("You were added")
    with pytest.raises(ProjectError) as err, as_user(database, team.owner) as s:
        invitations.invite(
            s,
            team.project_id,
            "NINA@example.com",
            "viewer",
            inviter_id=team.owner.id,
            base_url="http://x",
        )
    assert (err.value.status, err.value.message) == (
        409,
        "User is already a member of this project.",
    )


def test_direct_add_respects_the_members_email_preferences(database, team):
    from dra.models import EmailPreferences

    with database.system_session() as s:
        quiet = create_user(s, email="quiet@example.com")
        s.add(EmailPreferences(user_id=quiet.id, notifications=False))
    with as_user(database, team.admin) as s, database.system_session() as limits:
        invitations.invite(
            s,
            team.project_id,
            quiet.email,
            "viewer",
            inviter_id=team.admin.id,
            base_url="http://x",
            limit_session=limits,
        )
    with database.system_session() as s:
        assert s.scalar(select(EmailOutbox.id).where(EmailOutbox.to_address == quiet.email)) is None
        assert s.scalar(select(Notification.id).where(Notification.user_id == quiet.id))


def test_mail_sent_while_acting_as_someone_else_reads_the_recipients_choice_once(database, team):
    """One send_mail for every feature: under row-level security the acting user cannot
    see another user's email preferences, so ``prefs_session`` (a system session) reads them."""
    from dra.mail import send_mail
    from dra.models import EmailPreferences

    with database.system_session() as s:
        quiet = create_user(s, email="quiet2@example.com")
        s.add(EmailPreferences(user_id=quiet.id, notifications=False))
        keen = create_user(s, email="keen@example.com")
    sent = {}
    for user in (quiet, keen):
        with as_user(database, team.admin) as s, database.system_session() as prefs:
            sent[user.email] = send_mail(
                s,
                to=user.email,
                subject="Hello",
                body="Hi\n",
                category="notification",
                user_id=user.id,
                prefs_session=prefs,
            )
    assert sent["quiet2@example.com"] is None and sent["keen@example.com"] is not None
    with database.system_session() as s:
        assert s.scalars(
            select(EmailOutbox.to_address).where(EmailOutbox.subject == "Hello")
        ).all() == ["keen@example.com"]


@pytest.mark.parametrize(
    ("email", "role", "field", "message"),
    [
        ("not-an-email", "viewer", "email", "Invalid email format."),
        ("a@b.co", "owner", "role", "Invalid role. Must be one of: viewer, editor, admin."),
        ("a@b.co", "", "role", "Invalid role. Must be one of: viewer, editor, admin."),
    ],
)
def test_invite_rejects_bad_input(database, team, email, role, field, message):
    with pytest.raises(ProjectError) as err, as_user(database, team.owner) as s:
        invitations.invite(
            s, team.project_id, email, role, inviter_id=team.owner.id, base_url="http://x"
        )
    assert (err.value.status, err.value.field, err.value.message) == (400, field, message)


def test_member_limit_uses_the_owners_tier(database):
    with database.system_session() as s:
        owner = create_user(s)  # Free: 0 members
        project_id = create_project(s, owner)
        set_tier(s, owner, "Free")
    with pytest.raises(ProjectError) as err, as_user(database, owner) as s:
        invitations.invite(
            s, project_id, "x@example.com", "viewer", inviter_id=owner.id, base_url="http://x"
        )
    assert err.value.status == 403 and "members in this project" in err.value.message


def test_invitation_token_accept_decline_expire_cancel(database, team):
    with as_user(database, team.owner) as s:
        result = invitations.invite(
            s,
            team.project_id,
            "new@example.com",
            "viewer",
            inviter_id=team.owner.id,
            base_url="http://host/",
        )
    assert not result.added_directly and result.token
    with database.system_session() as s:
        stored = s.scalar(select(ProjectInvitation))
        assert stored.token_hash == invitations.hash_token(result.token)
        assert result.token not in stored.token_hash
        mail = s.scalar(select(EmailOutbox).where(EmailOutbox.to_address == "new@example.com"))
        assert f"http://host/projects/invitations/{result.token}" in mail.body_text
        assert (
            timedelta(days=6, hours=23) < stored.expires_at - datetime.now(UTC) <= timedelta(days=7)
        )
    with pytest.raises(ProjectError) as dup, as_user(database, team.owner) as s:
        invitations.invite(
            s,
            team.project_id,
            "NEW@example.com",
            "editor",
            inviter_id=team.owner.id,
            base_url="http://x",
        )
    assert (dup.value.status, dup.value.field) == (409, "email")
    assert "already pending" in dup.value.message
    with database.system_session() as s:
        newcomer = create_user(s, email="new@example.com")
    # someone else holding the link cannot use it
    with pytest.raises(ProjectError) as wrong, database.system_session() as s:
        invitations.respond(
            s, invitations.invitation_by_token(s, result.token), team.outsider.id, accept=True
        )
    assert wrong.value.status == 403
    with database.system_session() as s:
        project_id = invitations.respond(
            s, invitations.invitation_by_token(s, result.token), newcomer.id, accept=True
        )
    assert project_id == team.project_id
    with database.system_session() as s:
        assert (
            s.scalar(select(ProjectMember.role).where(ProjectMember.user_id == newcomer.id))
            == "viewer"
        )
        with pytest.raises(ProjectError) as again:
            invitations.respond(
                s, invitations.invitation_by_token(s, result.token), newcomer.id, accept=True
            )
        assert again.value.status == 409
        with pytest.raises(ProjectError) as unknown:
            invitations.invitation_by_token(s, "nope")
        assert unknown.value.status == 404

    # expired, then cancelled
    with as_user(database, team.owner) as s:
        late = invitations.invite(
            s,
            team.project_id,
            "late@example.com",
            "editor",
            inviter_id=team.owner.id,
            base_url="http://x",
        )
    with database.system_session() as s:
        inv = invitations.invitation_by_token(s, late.token)
        inv.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        late_user = create_user(s, email="late@example.com")
    with pytest.raises(ProjectError) as expired, database.system_session() as s:
        invitations.respond(
            s, invitations.invitation_by_token(s, late.token), late_user.id, accept=True
        )
    assert expired.value.message.startswith("Invitation has expired")
    with as_user(database, team.owner) as s:
        fresh = invitations.invite(
            s,
            team.project_id,
            "other@example.com",
            "editor",
            inviter_id=team.owner.id,
            base_url="http://x",
        )
        pending = invitations.pending_invitations(s, team.project_id)
        assert [p.email for p in pending] == ["other@example.com", "late@example.com"]
        invitations.cancel_invitation(s, team.project_id, pending[0].id)
    with pytest.raises(ProjectError) as cancelled, database.system_session() as s:
        invitations.check_open(invitations.invitation_by_token(s, fresh.token))
    assert cancelled.value.status == 409 and "cancelled" in cancelled.value.message


def test_decline_creates_no_membership(database, team):
    with as_user(database, team.owner) as s:
        result = invitations.invite(
            s,
            team.project_id,
            "d@example.com",
            "editor",
            inviter_id=team.owner.id,
            base_url="http://x",
        )
    with database.system_session() as s:
        assert s.scalar(select(ProjectInvitation.invited_by)) == team.owner.id
        user = create_user(s, email="d@example.com")
        invitations.respond(
            s, invitations.invitation_by_token(s, result.token), user.id, accept=False
        )
    with database.system_session() as s:
        assert s.scalar(select(ProjectMember.id).where(ProjectMember.user_id == user.id)) is None
        assert s.scalar(select(ProjectInvitation.status)) == "declined"
        told = s.scalar(select(Notification).where(Notification.user_id == team.owner.id))
        assert told.type == "project.invitation_declined" and "d@example.com" in told.message


def _member_id(database, project_id, user):
    with database.system_session() as s:
        return s.scalar(
            select(ProjectMember.id).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user.id
            )
        )


def test_roles_change_and_owner_rules(database, team):
    editor_m = _member_id(database, team.project_id, team.editor)
    owner_m = _member_id(database, team.project_id, team.owner)
    with as_user(database, team.admin) as s:
        row = members.change_role(s, team.project_id, editor_m, "viewer", actor_role="admin")
        listed = {m.id: m for m in members.list_members(s, team.project_id)}
    assert row.role == "viewer"
    # the changed member is answered as the member list shows them
    assert row == listed[editor_m] and not row.is_project_owner
    assert listed[owner_m].is_project_owner and listed[owner_m].user_id == team.owner.id

    def refused(actor, member_id, role, actor_role):
        with pytest.raises(ProjectError) as err, as_user(database, actor) as s:
            members.change_role(s, team.project_id, member_id, role, actor_role=actor_role)
        return err.value

    assert refused(team.owner, owner_m, "admin", "owner").message == (
        "Cannot remove or demote the project owner."
    )
    bad = refused(team.owner, editor_m, "boss", "owner")
    assert (bad.status, bad.field) == (400, "role")
    assert "viewer, editor, admin, owner" in bad.message
    assert refused(team.admin, editor_m, "owner", "admin").status == 403
    # an owner may make a co-owner; only an owner may demote them again
    with as_user(database, team.owner) as s:
        members.change_role(s, team.project_id, editor_m, "owner", actor_role="owner")
    assert refused(team.admin, editor_m, "viewer", "admin").status == 403
    with pytest.raises(ProjectError) as co_owner, as_user(database, team.editor) as s:
        name = projects.get_project(s, team.project_id).name
        projects.delete_project(s, team.project_id, name, actor_id=team.editor.id)
    assert co_owner.value.status == 403  # co-owners manage, only the creator deletes
    with as_user(database, team.owner) as s:
        members.change_role(s, team.project_id, editor_m, "editor", actor_role="owner")
    with database.system_session() as s:
        assert s.get(ProjectMember, editor_m).role == "editor"


def test_remove_member_but_never_the_owner(database, team):
    owner_m = _member_id(database, team.project_id, team.owner)
    viewer_m = _member_id(database, team.project_id, team.viewer)
    with pytest.raises(ProjectError) as err, as_user(database, team.admin) as s:
        members.remove_member(s, team.project_id, owner_m, actor_role="admin")
    assert (err.value.status, err.value.message) == (400, "Cannot remove the project owner.")
    with as_user(database, team.admin) as s:
        members.remove_member(s, team.project_id, viewer_m, actor_role="admin")
    with as_user(database, team.viewer) as s:
        assert projects.list_projects(s, team.viewer.id) == []
    with pytest.raises(ProjectError) as gone, as_user(database, team.admin) as s:
        members.remove_member(s, team.project_id, viewer_m, actor_role="admin")
    assert gone.value.status == 404
    with as_user(database, team.viewer) as s:
        names = [m.email for m in members.list_members(s, team.project_id)]
    assert names == []  # row-level security: no longer a member, sees nothing
