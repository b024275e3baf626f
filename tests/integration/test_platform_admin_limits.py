"""Tier limits and the platform's own admins: the demo admin can build a team, and a
platform admin is never blocked by a tier; everyone else still is."""

from __future__ import annotations

from sqlalchemy import select

from dra.billing.limits import Limit, check_limit
from dra.demo.load import DEMO_PROJECT, load_demo
from dra.models import Project, ProjectInvitation, SubscriptionTier, UserSubscription
from tests.support.factories import create_project


def test_demo_admin_invites_a_colleague_to_the_demo_project(app, database, settings):
    load_demo(database.url, settings)
    load_demo(database.url, settings)  # idempotent, the subscription too
    with database.system_session() as s:
        project_id = s.scalar(select(Project.id).where(Project.name == DEMO_PROJECT))
        tiers = s.scalars(
            select(SubscriptionTier.name)
            .join(UserSubscription, UserSubscription.tier_id == SubscriptionTier.id)
            .join(Project, Project.owner_id == UserSubscription.user_id)
            .where(Project.id == project_id)
        ).all()
    assert tiers == ["Enterprise"]  # the top tier
    client = app.test_client()
    signed_in = client.post(
        "/auth/login",
        data={"email": settings.demo_admin_email, "password": settings.demo_admin_password},
    )
    assert signed_in.status_code == 302
    resp = client.post(
        f"/projects/{project_id}/invitations",
        data={"email": "colleague@example.com", "role": "editor"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to colleague@example.com (editor)." in page
    with database.system_session() as s:
        invited = s.scalars(select(ProjectInvitation.email)).all()
    assert invited == ["colleague@example.com"]


def test_platform_admins_are_not_limited_by_their_tier(database, make_user, login):
    admin = make_user(email="root@example.com", platform_admin=True)  # Free: 0 members
    analyst = make_user(email="ana@example.com")  # Free too
    with database.system_session() as s:
        admin_project = create_project(s, admin)
        analyst_project = create_project(s, analyst)
        usage = check_limit(s, admin.id, Limit.MEMBERS_PER_PROJECT, project_id=admin_project)
    assert usage.unlimited
    ok = login(admin).post(
        f"/projects/{admin_project}/invitations",
        data={"email": "bea@example.com", "role": "viewer"},
    )
    assert ok.status_code == 302
    refused = login(analyst).post(
        f"/projects/{analyst_project}/invitations",
        data={"email": "bea@example.com", "role": "viewer"},
    )
    assert refused.status_code == 403
    assert b"Your Free plan allows 0 members in this project." in refused.data
    with database.system_session() as s:
        assert s.scalars(select(ProjectInvitation.project_id)).all() == [admin_project]
