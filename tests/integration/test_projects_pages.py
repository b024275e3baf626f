"""Project pages through HTTP: status codes, messages, and that refused requests change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from dra.models import EmailOutbox, Project, ProjectInvitation, ProjectMember
from webapp import create_app


@pytest.fixture
def team(database):
    from tests.support.factories import project_with_roles

    with database.system_session() as s:
        return project_with_roles(s)


def _member_id(database, project_id, user_id):
    with database.system_session() as s:
        return s.scalar(
            select(ProjectMember.id).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
            )
        )


def test_create_list_view_delete(login, make_user, database):
    client = login(make_user())
    empty = client.get("/projects/")
    assert empty.status_code == 200 and b"No projects yet" in empty.data
    missing = client.post("/projects/new", data={"name": "  "})
    assert missing.status_code == 400 and b"Project name is required." in missing.data
    assert b'aria-invalid="true"' in missing.data
    created = client.post("/projects/new", data={"name": "Coffee <shop>", "description": "d"})
    assert created.status_code == 302
    project_url = created.headers["Location"]
    page = client.get(project_url)
    assert page.status_code == 200 and b"Coffee &lt;shop&gt;" in page.data
    assert b"The project has been added." in page.data
    dup = client.post("/projects/new", data={"name": "coffee <SHOP>"})
    assert dup.status_code == 409 and b"already have a project named" in dup.data
    listing = client.get("/projects/").get_data(as_text=True)
    assert "Coffee &lt;shop&gt;" in listing and 'class="badge role-owner"' in listing
    assert 'class="member-list"' in page.get_data(as_text=True)
    project_id = int(project_url.rstrip("/").rsplit("/", 1)[1])
    confirm = client.get(f"/projects/{project_id}/delete")
    assert confirm.status_code == 200 and b"Type the project name" in confirm.data
    wrong = client.post(f"/projects/{project_id}/delete", data={"confirm_name": "Coffee"})
    assert wrong.status_code == 400
    with database.system_session() as s:
        s.execute(text(f'create schema "raw_p{project_id}"'))
    gone = client.post(f"/projects/{project_id}/delete", data={"confirm_name": "Coffee <shop>"})
    assert gone.status_code == 302
    assert client.get(f"/projects/{project_id}").status_code == 404
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 0
        assert (
            s.scalar(
                text("select count(*) from pg_namespace where nspname = :n"),
                {"n": f"raw_p{project_id}"},
            )
            == 0
        )  # its data schema went too


def test_tier_limit_answers_403_with_upgrade_message(login, make_user):
    client = login(make_user())  # Free: 3 projects
    for n in range(3):
        assert client.post("/projects/new", data={"name": f"P{n}"}).status_code == 302
    over = client.post("/projects/new", data={"name": "P3"})
    assert over.status_code == 403
    assert b"Your Free plan allows 3 projects. Upgrade your plan to add more." in over.data


def test_members_page_by_role(login, team):
    url = f"/projects/{team.project_id}/members"
    owner_page = login(team.owner).get(url).get_data(as_text=True)
    assert "Invite someone" in owner_page and "Change role" in owner_page
    viewer_page = login(team.viewer).get(url).get_data(as_text=True)
    assert team.editor.email in viewer_page and "Invite someone" not in viewer_page
    assert login(team.outsider).get(url).status_code == 404


def test_invite_flow_through_pages(app, login, make_user, team, database):
    admin = login(team.admin)
    url = f"/projects/{team.project_id}/invitations"
    bad = admin.post(url, data={"email": "x@", "role": "viewer"})
    assert bad.status_code == 400 and b"Invalid email format." in bad.data
    bad_role = admin.post(url, data={"email": "x@example.com", "role": "owner"})
    assert bad_role.status_code == 400
    assert b"Invalid role. Must be one of: viewer, editor, admin." in bad_role.data
    assert admin.post(url, data={"email": team.editor.email, "role": "viewer"}).status_code == 409
    assert (
        login(team.editor).post(url, data={"email": "y@example.com", "role": "viewer"}).status_code
        == 403
    )
    sent = admin.post(url, data={"email": "guest@example.com", "role": "editor"})
    assert sent.status_code == 302
    with database.system_session() as s:
        mail = s.scalar(select(EmailOutbox).where(EmailOutbox.to_address == "guest@example.com"))
    link = re.search(r"http://localhost(/projects/invitations/\S+)", mail.body_text).group(1)

    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 200 and b"Sign in" in anonymous.data
    guest = make_user(email="guest@example.com")
    guest_client = login(guest)
    assert b"Accept invitation" in guest_client.get(link).data
    assert login(team.outsider).post(link, data={"action": "accept"}).status_code == 403
    assert guest_client.post(link, data={"action": "maybe"}).status_code == 400
    accepted = guest_client.post(link, data={"action": "accept"})
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith(f"/projects/{team.project_id}")
    assert guest_client.get(f"/projects/{team.project_id}").status_code == 200
    assert guest_client.get(link).status_code == 409
    assert app.test_client().get("/projects/invitations/not-a-token").status_code == 404


def test_cancel_invitation(login, team, database):
    owner = login(team.owner)
    owner.post(
        f"/projects/{team.project_id}/invitations",
        data={"email": "later@example.com", "role": "viewer"},
    )
    with database.system_session() as s:
        inv_id = s.scalar(select(ProjectInvitation.id))
    cancel = f"/projects/{team.project_id}/invitations/{inv_id}/cancel"
    assert login(team.viewer).post(cancel).status_code == 403
    done = owner.post(cancel)
    assert done.status_code == 302 and done.location.endswith(
        f"/projects/{team.project_id}/members"
    )
    assert "The invitation to later@example.com was cancelled." in owner.get(
        done.location
    ).get_data(as_text=True)
    assert owner.post(cancel).status_code == 409
    other = f"/projects/{team.outsider_project_id}/invitations/{inv_id}/cancel"
    assert login(team.outsider).post(other).status_code == 404


def test_change_role_and_remove_through_pages(login, team, database):
    owner = login(team.owner)
    editor_m = _member_id(database, team.project_id, team.editor.id)
    owner_m = _member_id(database, team.project_id, team.owner.id)
    base = f"/projects/{team.project_id}/members"
    bad = owner.post(f"{base}/{editor_m}/role", data={"role": "superuser"})
    assert bad.status_code == 400 and b"Invalid role" in bad.data
    promote = owner.post(f"{base}/{editor_m}/role", data={"role": "admin"})
    assert promote.status_code == 302 and promote.location.endswith(base)
    assert " is now admin." in owner.get(base).get_data(as_text=True)
    # the new role applies on the next request
    promoted = login(team.editor).get(base).get_data(as_text=True)
    assert "Invite someone" in promoted
    demote_owner = login(team.admin).post(f"{base}/{owner_m}/role", data={"role": "viewer"})
    assert demote_owner.status_code == 400 and b"Cannot remove or demote" in demote_owner.data
    remove_owner = login(team.admin).post(f"{base}/{owner_m}/remove")
    assert remove_owner.status_code == 400
    assert b"Cannot remove the project owner." in remove_owner.data
    viewer_m = _member_id(database, team.project_id, team.viewer.id)
    assert login(team.viewer).post(f"{base}/{editor_m}/remove").status_code == 403
    removed = owner.post(f"{base}/{viewer_m}/remove")
    assert removed.status_code == 302 and removed.location.endswith(base)
    assert " was removed from the project." in owner.get(base).get_data(as_text=True)
    assert login(team.viewer).get(f"/projects/{team.project_id}").status_code == 404
    # a member id of another project is not found through this project
    other_m = _member_id(database, team.outsider_project_id, team.outsider.id)
    assert owner.post(f"{base}/{other_m}/remove").status_code == 404


def test_invitations_are_rate_limited(settings, team):
    # flask-limiter's extension object is shared by every app in the process: enable it
    # explicitly, since an earlier test app may have switched it off.
    app = create_app(
        settings,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "SERVER_NAME": "localhost",
        },
    )
    try:
        client = app.test_client()
        resp = client.post(
            "/auth/login", data={"email": team.owner.email, "password": "correct-horse-9"}
        )
        assert resp.status_code == 302
        url = f"/projects/{team.project_id}/invitations"
        codes = [
            client.post(url, data={"email": f"r{n}@example.com", "role": "viewer"}).status_code
            for n in range(11)
        ]
        assert codes[:10] == [302] * 10 and codes[10] == 429
    finally:
        app.extensions["dra_database"].dispose()


def test_feature_pages_of_a_project_get_a_tab(app, login, team):
    from flask import Blueprint

    extra = Blueprint("field_notes", __name__, url_prefix="/projects/<int:project_id>/field-notes")
    extra.add_url_rule("/", "index", lambda project_id: "ok")
    app.register_blueprint(extra)
    page = login(team.viewer).get(f"/projects/{team.project_id}").get_data(as_text=True)
    assert f'href="/projects/{team.project_id}/field-notes/">Field Notes</a>' in page


def test_a_page_below_a_feature_gets_no_tab_of_its_own(login, team):
    """The ad accounts' connect page (/sources/connect/) belongs to the Data sources tab."""
    page = login(team.owner).get(f"/projects/{team.project_id}").get_data(as_text=True)
    assert f'href="/projects/{team.project_id}/sources/">Data sources</a>' in page
    assert f'href="/projects/{team.project_id}/sources/connect/"' not in page


@pytest.mark.parametrize(
    ("path", "title", "action"),
    [
        ("sources/", "No data sources yet", None),
        ("models", "No data models yet", "Build your first model"),
        ("dashboards", "No dashboards yet", None),
        ("insights", "No data models yet", None),
    ],
)
def test_a_new_project_s_pages_say_what_would_be_there(login, team, path, title, action):
    """Every list page of an empty project shows the same empty state: a title, a line on
    what belongs there, and for those who may, the action that starts it."""
    client = login(team.owner)
    page = client.get(f"/projects/{team.project_id}/{path}").get_data(as_text=True)
    assert f'<section class="card empty">\n  <h2>{title}</h2>\n  <p class="muted">' in page
    if action:
        assert action in page
        assert action not in login(team.viewer).get(f"/projects/{team.project_id}/{path}").text
