"""Every page type runs under the Content-Security-Policy (no inline script, no console
violation), its scripts still work, and every chart (dashboard, public dashboard,
attribution, quality) uses the one plotly config: no "share to Chart Studio" button, no
plotly logo link, no cloud URL. Screenshots go to test-artifacts/browser/page_security/.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg import sql

from assets.data_models import data_model_tables
from dra.dashboards import service as dashboards
from dra.dashboards.cache import widget_cache
from dra.modeling import service as models
from dra.models import AttributionEvent, Dashboard, DataModel
from dra.quality.checks import profile_check
from tests.support.factories import DEFAULT_PASSWORD, project_with_roles
from tests.support.modeling import JOIN_QUERY, seed_shop

pytestmark = pytest.mark.browser

SAFE_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "plotlyServerURL": "",
    "removed": True,
}
READ_CONFIGS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((g) => ({
  displaylogo: g._context.displaylogo,
  showSendToCloud: g._context.showSendToCloud,
  plotlyServerURL: g._context.plotlyServerURL,
  removed: (g._context.modeBarButtonsToRemove || []).includes('sendChartToCloud'),
}))"""
CLOUD_LINKS = (
    ".modebar-btn[data-title*='Share'], .modebar-btn[data-title*='Chart Studio'], "
    "a[href*='plotly.com'], a[href*='plot.ly']"
)


def _seed(database, materialize, live_server):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    with database.system_session() as s:
        model_id = models.save_model(
            s, database, roles.project_id, roles.owner.id, name="Revenue", query_json=JOIN_QUERY
        ).model.id
    materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    )
    widget_cache.clear()
    with database.system_session() as s:
        board = dashboards.create_dashboard(s, database, roles.project_id, roles.owner.id, "Sales")
        s.flush()
        for chart in ("bar", "donut"):
            dashboards.save_widget(
                s,
                database,
                board,
                board.version,
                widget_id=None,
                title=chart,
                data_model_id=model_id,
                chart_type=chart,
                binding={"x": "country", "y": "revenue", "aggregate": "sum"},
            )
            s.flush()
            s.expire(board)  # the next widget takes the next free slot
        board = s.get(Dashboard, board.id)
        token = dashboards.share(s, board, roles.owner.id).token
        board_id = board.id
        t0 = datetime(2026, 10, 5, 10, tzinfo=UTC)
        for user, hours, kind, channel in (
            ("u1", 0, "page_view", "paid"),
            ("u1", 1, "page_view", "email"),
            ("u1", 2, "purchase", None),
            ("u2", 0, "page_view", "organic"),
            ("u2", 1, "signup", None),
        ):
            s.add(
                AttributionEvent(
                    project_id=roles.project_id,
                    user_identifier=user,
                    event_type=kind,
                    channel=channel,
                    occurred_at=t0 + timedelta(hours=hours),
                )
            )
        quality_model = DataModel(
            project_id=roles.project_id,
            name="Orders table",
            materialized_table="model_orders",
            status="active",
        )
        s.add(quality_model)
        s.flush()
        quality_id = quality_model.id
    raw = database.system_engine.raw_connection()
    try:
        raw.driver_connection.execute(
            sql.SQL(
                "create table {}.model_orders as select g as id, (g % 40) * 2.5 as amount "
                "from generate_series(1, 60) g"
            ).format(sql.Identifier(f"models_p{roles.project_id}"))
        )
        raw.driver_connection.commit()
    finally:
        raw.close()
    settings = live_server.app.config["DRA_SETTINGS"]
    profile_check(database, settings.data_dir, quality_id)
    profile_check(database, settings.data_dir, quality_id)
    return roles, board_id, token, quality_id


def _watch(page, problems: list[str]) -> None:
    """Collect console errors (CSP violations included) and uncaught exceptions."""

    def _console(message) -> None:
        where = (message.location or {}).get("url", "")
        if where.endswith("/favicon.ico"):
            return  # the browser's own guess; the app has no icon
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"{message.text} ({where})")

    page.on("console", _console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))


def _charts_are_safe(page, count: int) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {count}")
    configs = page.evaluate(READ_CONFIGS)
    assert len(configs) >= count
    assert all(c == SAFE_CONFIG for c in configs), configs
    assert page.locator(CLOUD_LINKS).count() == 0


def test_pages_run_under_the_csp_and_charts_offer_no_cloud_upload(
    live_server, chromium, database, materialize, artifacts_dir
):
    base = live_server.url
    folder = artifacts_dir / "browser" / "page_security"
    folder.mkdir(parents=True, exist_ok=True)
    roles, board_id, token, quality_id = _seed(database, materialize, live_server)
    project = f"{base}/projects/{roles.project_id}"

    problems: list[str] = []
    context = chromium.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    _watch(page, problems)
    login = page.goto(f"{base}/auth/login")
    csp = login.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    page.fill("input[name=email]", roles.owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()

    pages = (
        ("dashboard", f"{project}/dashboards/{board_id}", 2),
        (
            "journeys",
            f"{project}/attribution/journeys?start_date=2026-10-01&end_date=2026-10-31",
            1,
        ),
        ("quality", f"{project}/models/{quality_id}/quality", 1),
    )
    for name, url, charts in pages:
        resp = page.goto(url)
        assert resp.status == 200, (name, resp.status)
        assert "content-security-policy" in resp.headers
        _charts_are_safe(page, charts)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    # scripts moved out of the templates still work
    page.goto(f"{project}/dashboards/{board_id}/widgets/new")
    page.select_option("#data_model_id", label="Revenue")
    assert page.locator("#model-columns option").count() >= 2
    page.goto(f"{project}/sources/new/database")
    page.select_option("#db-type", "mongodb")
    assert page.locator(".js-mongo").first.is_visible()
    assert not page.locator(".js-relational").first.is_visible()
    page.goto(f"{project}/members")
    asked: list[str] = []

    def _dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", _dismiss)
    page.locator("form[data-confirm] button.danger").first.click()
    page.wait_for_timeout(200)
    assert asked and asked[0].startswith("Remove ")
    assert page.url.endswith("/members")  # dismissed: nothing was sent
    context.close()

    guest = chromium.new_context(viewport={"width": 1300, "height": 900})
    gpage = guest.new_page()
    _watch(gpage, problems)
    resp = gpage.goto(f"{base}/public/d/{token}")
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    _charts_are_safe(gpage, 2)
    gpage.screenshot(path=str(folder / "public-dashboard.png"), full_page=True)
    with gpage.expect_download() as download:  # plotly's toImage works under the CSP
        gpage.click(".widget >> nth=0 >> button[title='Download as PNG']")
    assert download.value.suggested_filename.endswith(".png")
    guest.close()
    assert problems == []
