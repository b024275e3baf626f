"""The page after sign-in: each user's projects, dashboards, pipeline work and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dra.models import (
    Dashboard,
    DataModel,
    DataSource,
    Notification,
    PipelineRequest,
    Project,
)
from tests.support.factories import create_user, project_with_roles


@pytest.fixture
def two_projects(database):
    """The owner's project and the outsider's, each with a dashboard, requests and alerts."""
    now = datetime.now(UTC)
    with database.system_session() as s:
        roles = project_with_roles(s)
        s.get(Project, roles.project_id).name = "Olga's shop"
        s.get(Project, roles.outsider_project_id).name = "Otto's secrets"
        source = DataSource(project_id=roles.project_id, name="Orders CSV", type="csv")
        model = DataModel(project_id=roles.outsider_project_id, name="Otto model")
        s.add_all(
            [
                source,
                model,
                Dashboard(project_id=roles.project_id, name="Sales board", layout={}, filters={}),
                Dashboard(
                    project_id=roles.outsider_project_id, name="Otto board", layout={}, filters={}
                ),
            ]
        )
        s.flush()

        def request(project_id, kind, target, status, age_days=0, error=None):
            at = now - timedelta(days=age_days)
            s.add(
                PipelineRequest(
                    project_id=project_id,
                    kind=kind,
                    target_id=target,
                    status=status,
                    error=error,
                    created_at=at,
                    finished_at=at if status in ("failed", "succeeded") else None,
                )
            )

        request(roles.project_id, "ingest_source", source.id, "running")
        request(roles.project_id, "ingest_source", source.id, "failed", 1, "bad header on line 3")
        request(roles.project_id, "ingest_source", source.id, "failed", 10, "long ago failure")
        request(roles.project_id, "ingest_source", source.id, "succeeded", 0)
        request(roles.outsider_project_id, "refresh_model", model.id, "failed", 0, "otto broke")
        s.add_all(
            [
                Notification(user_id=roles.owner.id, type="alert.pipeline", title="Olga unread"),
                Notification(
                    user_id=roles.owner.id, type="alert.pipeline", title="Olga read", read_at=now
                ),
                Notification(user_id=roles.outsider.id, type="alert.pipeline", title="Otto alert"),
            ]
        )
        source_id = source.id
    return roles, source_id


def test_home_lists_the_users_own_projects_dashboards_requests_and_alerts(two_projects, login):
    roles, source_id = two_projects
    html = login(roles.owner).get("/").get_data(as_text=True)
    assert "Olga&#39;s shop" in html and "owner</span>" in html
    assert "Sales board" in html
    # running now and failed yesterday, each linking to the source; not the old failure
    assert 'data-request-id="' in html and "running" in html and "bad header on line 3" in html
    assert f'href="/projects/{roles.project_id}/sources/{source_id}">Orders CSV</a>' in html
    assert "long ago failure" not in html and "succeeded" not in html
    assert "Olga unread" in html and "Olga read" not in html and "(1)" in html
    # nothing of the other user's project
    for theirs in ("Otto&#39;s secrets", "Otto board", "otto broke", "Otto model", "Otto alert"):
        assert theirs not in html, theirs

    other = login(roles.outsider).get("/").get_data(as_text=True)
    assert "Otto&#39;s secrets" in other and "Otto board" in other and "otto broke" in other
    assert "Otto alert" in other
    for mine in ("Olga&#39;s shop", "Sales board", "bad header", "Olga unread"):
        assert mine not in other, mine


def test_members_see_the_project_with_their_role(two_projects, login):
    roles, _ = two_projects
    html = login(roles.viewer).get("/").get_data(as_text=True)
    assert "Olga&#39;s shop" in html and "viewer</span>" in html and "Sales board" in html
    assert "Olga unread" not in html  # another user's notification


def test_a_platform_admin_home_shows_only_their_own_projects(two_projects, login):
    roles, _ = two_projects
    html = login(roles.platform_admin).get("/").get_data(as_text=True)
    assert "Olga&#39;s shop" not in html and "Otto&#39;s secrets" not in html
    assert "Create your first project" in html


def test_a_new_user_is_told_what_to_do_next(database, login):
    with database.system_session() as s:
        user = create_user(s, first_name="Nina")
    html = login(user).get("/").get_data(as_text=True)
    assert "Welcome, Nina" in html
    assert "Create your first project" in html
    assert "Dashboards live in projects: create a project first." in html
    assert "Nothing queued or running" in html and "You are all caught up" in html


def test_anonymous_visitors_are_sent_to_sign_in(client):
    resp = client.get("/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
