"""Attribution pages: reports, funnel, journeys, write keys, visibility (UC-ATT-02..06)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dra.models import (
    AttributionEvent,
    AttributionReport,
    AttributionTrackingKey,
    PipelineRequest,
    Project,
    SubscriptionTier,
)
from tests.support.factories import add_member, create_project, create_user

T0 = datetime(2026, 10, 5, 10, tzinfo=UTC)
RANGE = {"start_date": "2026-10-01", "end_date": "2026-11-30"}


@pytest.fixture
def shop(database, login):
    """A project with an owner, an editor and a viewer, and a few visitors' events."""
    with database.system_session() as s:
        owner, editor, viewer = create_user(s), create_user(s), create_user(s)
        project_id = create_project(s, owner)
        add_member(s, project_id, editor, "editor")
        add_member(s, project_id, viewer, "viewer")

        def ev(user, hours, kind, channel=None, name=None):
            s.add(
                AttributionEvent(
                    project_id=project_id,
                    user_identifier=user,
                    event_type=kind,
                    event_name=name,
                    channel=channel,
                    occurred_at=T0 + timedelta(hours=hours),
                )
            )

        ev("u1", 0, "page_view", "paid"), ev("u1", 1, "page_view", "paid")
        ev("u1", 2, "page_view", "email"), ev("u1", 3, "signup"), ev("u1", 4, "purchase")
        ev("u2", 0, "page_view", "paid"), ev("u2", 1, "purchase")
        ev("u3", 0, "signup"), ev("u3", 1, "page_view", "paid"), ev("u3", 2, "click", "organic")
        ev("u4", 0, "page_view", "paid"), ev("u4", 40 * 24, "signup")
    return {
        "project_id": project_id,
        "owner": login(owner),
        "editor": login(editor),
        "viewer": login(viewer),
        "owner_ref": owner,
    }


def url(project_id, tail=""):
    return f"/projects/{project_id}/attribution{tail}"


def test_reports_index_and_generation(shop, database):
    pid = shop["project_id"]
    page = shop["viewer"].get(url(pid))
    assert page.status_code == 200 and b"No reports yet" in page.data
    assert b"Generate report" not in page.data  # viewers read reports only
    assert (
        shop["viewer"].post(url(pid, "/reports"), data={"model": "linear", **RANGE}).status_code
        == 403
    )
    resp = shop["editor"].post(url(pid, "/reports"), data={"model": "magic", **RANGE})
    assert resp.status_code == 400 and b"Invalid attribution model." in resp.data
    resp = shop["editor"].post(
        url(pid, "/reports"),
        data={"model": "linear", "start_date": "2025-01-01", "end_date": "2025-01-31"},
    )
    assert resp.status_code == 400
    assert b"No event data found for the specified date range." in resp.data
    for name in ("First", "Second"):
        resp = shop["editor"].post(
            url(pid, "/reports"), data={"model": "time_decay", "name": name, **RANGE}
        )
        assert resp.status_code == 302
    with database.system_session() as s:
        reports = s.scalars(select(AttributionReport).order_by(AttributionReport.id)).all()
        assert [(r.name, r.status, r.model) for r in reports] == [
            ("First", "queued", "time_decay"),
            ("Second", "queued", "time_decay"),
        ]
        kinds = s.scalars(select(PipelineRequest.kind)).all()
        assert kinds == ["attribution_report", "attribution_report"]
    listing = shop["viewer"].get(url(pid)).get_data(as_text=True)
    assert listing.index("Second") < listing.index("First")  # newest first
    queued = shop["viewer"].get(resp.headers["Location"])
    assert queued.status_code == 200 and b'http-equiv="refresh"' in queued.data


def test_report_page_shows_table_and_charts(shop, database):
    pid = shop["project_id"]
    result = {
        "channels": ["email", "paid"],
        "conversions": 2,
        "attributed_conversions": 2,
        "unattributed_conversions": 0,
        "total_value": 2.0,
        "lookback_days": 30,
        "conversion_types": ["purchase"],
        "paths": [{"path": "paid > email", "conversions": 1}],
        "models": {
            "linear": {
                "email": {"credits": 0.5, "value": 0.5},
                "paid": {"credits": 1.5, "value": 1.5},
            }
        },
    }
    with database.system_session() as s:
        report = AttributionReport(
            project_id=pid,
            name="<b>Oct</b>",
            model="linear",
            start_date=T0.date(),
            end_date=T0.date(),
            status="succeeded",
            result=result,
        )
        s.add(report)
        s.flush()
        report_id = report.id
    page = shop["viewer"].get(url(pid, f"/reports/{report_id}"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "&lt;b&gt;Oct&lt;/b&gt;" in html and "<b>Oct</b>" not in html  # escaped
    assert 'data-channel="paid"' in html and "1.50" in html and "75.0 %" in html
    assert html.count('class="chart"') == 2 and "plotly.min.js" in html
    assert "paid &gt; email" in html
    assert shop["viewer"].get(url(pid, "/reports/999999")).status_code == 404


def test_funnel(shop):
    pid = shop["project_id"]
    assert shop["viewer"].get(url(pid, "/funnel")).status_code == 200
    assert shop["viewer"].post(url(pid, "/funnel"), data={"steps": "a\nb"}).status_code == 403
    resp = shop["editor"].post(url(pid, "/funnel"), data={"steps": "page_view", **RANGE})
    assert resp.status_code == 400 and b"Funnel requires at least 2 steps." in resp.data
    resp = shop["editor"].post(
        url(pid, "/funnel"),
        data={"steps": "page_view\nsignup\npurchase", "window_days": "30", **RANGE},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    # u1 reaches all three; u2 has no signup; u3 signed up before its page view; u4's
    # signup is 40 days later, outside the window.
    rows = [r.split("</td><td>") for r in html.split("<tr><td>")[1:]]
    assert [(r[1], r[2], r[3], r[5].split("</td>")[0]) for r in rows] == [
        ("page_view", "4", "100.0 %", "0.0 %"),
        ("signup", "1", "25.0 %", "75.0 %"),
        ("purchase", "1", "25.0 %", "0.0 %"),
    ]
    assert 'id="funnel-chart"' in html
    bad = shop["editor"].post(url(pid, "/funnel"), data={"steps": "a\nb", "window_days": "x"})
    assert bad.status_code == 400 and b"The conversion window must be a whole number." in bad.data


def test_journeys(shop):
    pid = shop["project_id"]
    resp = shop["viewer"].get(url(pid, "/journeys"), query_string={**RANGE, "depth": 3})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    rows = [r.split("</td><td>")[:4] for r in html.split("<tr><td>")[1:]]
    assert [(r[0], r[1], r[2], r[3].split("</td>")[0]) for r in rows] == [
        # A signup without UTM tags or referrer is a direct touch; repeats are merged.
        ("paid", "1", "1", "100.0 %"),  # u2
        ("paid → email → direct", "1", "1", "100.0 %"),  # u1, cut at depth 3
        ("direct → paid → organic", "1", "0", "0.0 %"),  # u3
        ("paid → direct", "1", "0", "0.0 %"),  # u4
    ]
    assert 'id="journey-chart"' in html and "sankey" in html
    assert shop["viewer"].get(url(pid, "/journeys"), query_string={"depth": 99}).status_code == 400


def test_write_keys(shop, database):
    pid = shop["project_id"]
    assert shop["editor"].get(url(pid, "/keys")).status_code == 403
    resp = shop["owner"].post(
        url(pid, "/keys"), data={"name": "Site", "allowed_origins": "ftp://x"}
    )
    assert resp.status_code == 400 and b"is not an origin" in resp.data
    resp = shop["owner"].post(
        url(pid, "/keys"), data={"name": "Site", "allowed_origins": "https://shop.example.com/"}
    )
    assert resp.status_code == 201
    secret = resp.get_data(as_text=True).split("data-secret>")[1].split("<")[0]
    assert secret.startswith("dra_wk_")
    assert secret not in shop["owner"].get(url(pid, "/keys")).get_data(as_text=True)
    with database.system_session() as s:
        key = s.scalar(select(AttributionTrackingKey))
        assert key.allowed_origins == ["https://shop.example.com"]
        assert secret not in (key.key_hash, key.prefix)
        key_id = key.id
    track = shop["owner"].post(
        "/api/track",
        headers={"X-Write-Key": secret},
        json={"userIdentifier": "z", "eventType": "click"},
    )
    assert track.status_code == 201
    assert (
        shop["owner"]
        .post(url(pid, f"/keys/{key_id}/origins"), data={"allowed_origins": ""})
        .status_code
        == 302
    )
    assert shop["owner"].post(url(pid, f"/keys/{key_id}/revoke")).status_code == 302
    assert (
        shop["owner"]
        .post(
            "/api/track",
            headers={"X-Write-Key": secret},
            json={"userIdentifier": "z", "eventType": "click"},
        )
        .status_code
        == 401
    )
    assert shop["owner"].post(url(pid, "/keys/999999/revoke")).status_code == 404


def test_other_projects_stay_hidden(shop, login, database):
    with database.system_session() as s:
        stranger = create_user(s)
        create_project(s, stranger)
    client = login(stranger)
    pid = shop["project_id"]
    for tail in ("", "/funnel", "/journeys", "/keys"):
        assert client.get(url(pid, tail)).status_code == 404


def test_visibility_per_project_and_tier(shop, database, make_user, login):
    pid = shop["project_id"]
    detail = shop["viewer"].get(f"/projects/{pid}").get_data(as_text=True)
    assert f'href="/projects/{pid}/attribution"' in detail
    admin = login(make_user(platform_admin=True))
    assert shop["owner"].get("/admin/attribution").status_code == 403
    assert admin.get("/admin/attribution").status_code == 200
    assert (
        admin.post(f"/admin/attribution/projects/{pid}", data={"visible": "off"}).status_code == 302
    )
    assert shop["viewer"].get(url(pid)).status_code == 404
    detail = shop["viewer"].get(f"/projects/{pid}").get_data(as_text=True)
    assert f'href="/projects/{pid}/attribution"' not in detail
    admin.post(f"/admin/attribution/projects/{pid}", data={"visible": "on"})
    assert shop["viewer"].get(url(pid)).status_code == 200
    with database.system_session() as s:
        default_tier = s.scalar(select(SubscriptionTier).where(SubscriptionTier.is_default))
        tier_id = default_tier.id
    assert (
        admin.post(f"/admin/attribution/tiers/{tier_id}", data={"visible": "off"}).status_code
        == 302
    )
    assert shop["owner"].get(url(pid)).status_code == 404
    with database.system_session() as s:
        assert s.get(Project, pid).attribution_tab_visible is True
    assert (
        admin.post(f"/admin/attribution/tiers/{tier_id}", data={"visible": "maybe"}).status_code
        == 400
    )


def test_report_generation_is_rate_limited(settings, shop):
    from webapp import create_app

    limited = create_app(
        settings,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "SERVER_NAME": "localhost",
        },
    )
    try:
        client = limited.test_client()
        client.post(
            "/auth/login", data={"email": shop["owner_ref"].email, "password": "correct-horse-9"}
        )
        pid = shop["project_id"]
        empty = {"model": "linear", "start_date": "2025-01-01", "end_date": "2025-01-01"}
        codes = [client.post(url(pid, "/reports"), data=empty).status_code for _ in range(31)]
        assert codes[:30] == [400] * 30 and codes[30] == 429
    finally:
        limited.extensions["dra_database"].dispose()


def test_report_of_a_failed_run_says_so(shop, database):
    pid = shop["project_id"]
    with database.system_session() as s:
        report = AttributionReport(
            project_id=pid,
            name="Broken",
            model="linear",
            start_date=T0.date(),
            end_date=T0.date(),
            status="queued",
        )
        s.add(report)
        s.flush()
        s.add(
            PipelineRequest(
                kind="attribution_report",
                target_id=report.id,
                project_id=pid,
                status="failed",
                error="dbt test assert_credit_weights failed",
            )
        )
        report_id = report.id
    html = shop["viewer"].get(url(pid, f"/reports/{report_id}")).get_data(as_text=True)
    assert "could not be generated: dbt test assert_credit_weights failed" in html
    assert 'http-equiv="refresh"' not in html


def test_report_values_carry_their_currency(shop, database):
    pid = shop["project_id"]
    result = {
        "channels": ["paid"],
        "conversions": 1200,
        "attributed_conversions": 1200,
        "unattributed_conversions": 0,
        "total_value": 12345.5,
        "currency": "EUR",
        "lookback_days": 30,
        "conversion_types": ["purchase"],
        "paths": [],
        "models": {"linear": {"paid": {"credits": 1200.0, "value": 12345.5}}},
    }
    with database.system_session() as s:
        report = AttributionReport(
            project_id=pid,
            name="EUR",
            model="linear",
            start_date=T0.date(),
            end_date=T0.date(),
            status="succeeded",
            result=result,
        )
        s.add(report)
        s.flush()
        report_id = report.id
    html = shop["viewer"].get(url(pid, f"/reports/{report_id}")).get_data(as_text=True)
    assert "<h2>€12,345.50</h2>" in html and "<h2>1,200</h2>" in html
    assert "<td>paid</td><td>1,200</td><td>€12,345.50</td>" in html
    assert '"hoverformat": ",.2~f"' in html.replace("&#34;", '"')  # the chart's hover labels
