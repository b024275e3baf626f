"""The REST API against its own OpenAPI document, fuzzed by schemathesis.

Every operation of ``/api/v1/openapi.json`` (every area: projects, requests, sources,
advertising, models, dashboards, quality, attribution, AI modeler, insights, account,
admin) is called with generated valid and invalid inputs (schemathesis' positive and
negative modes) against the real app (in-process WSGI) and database. Path ids are pinned to one
project and its objects (a source, a built-less model with its quality report and rule,
a dashboard with a widget, a pipeline request, an attribution report and write key, an
AI conversation; for the account and admin areas a spare API token and a notification of
the editor, the viewer as the user to suspend or move, a tier and a backup: never the
callers' own tokens), so the calls reach the views, not only the 404 of an unknown project.

The app has an AI provider (the fake Gemini server of tests/support/ai.py), so that chat
answers as configured instead of 503; no generated call reaches it (the project's source
has no ingested table, so no AI session opens). Who: the editor of that project, with an
API token, for every operation. An operation the editor may not use (every answer 403:
deleting, sharing, members, sources, write keys, every admin operation) runs once more as the
project's owner, who is also a platform admin; in that second pass deletions and the
admin settings come last, so that the objects the other operations need are still there.

Checks: schemathesis' own (no 5xx, status and body as declared, headers...) except
``ignored_auth`` (authorization is the matrix test's job: every call here has a token) and
``positive_data_acceptance`` (schema-valid input may still break a rule of the core, such
as an expiry in the past or an unknown table: 400/404/409/422, not a fault); and every 4xx
a problem details document with its status and a detail.

Budget (about a minute on the shared 2-CPU machine, up to 3 under heavy load):
``MAX_EXAMPLES`` generated cases per operation and mode (91 operations x 2 modes, plus
those refused to the editor, again as the owner); no shrinking phase (a failure is
reported as found, with its request: shrinking one could take minutes); derandomized
(the same cases every run). Nothing is skipped. Raise ``MAX_EXAMPLES`` to fuzz harder.
"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance
from sqlalchemy import func, select

from dra.accounts.api_tokens import create_api_token
from dra.accounts.notifications import notify
from dra.models import (
    AIConversation,
    AttributionReport,
    AttributionTrackingKey,
    Backup,
    DashboardWidget,
    DataModel,
    DataSource,
    Notification,
    PipelineRequest,
    ProjectMember,
    SubscriptionTier,
)
from dra.models.billing import TIER_LIMIT_COLUMNS as LIMITS
from dra.projects.invitations import hash_token
from tests.support.factories import (
    add_member,
    add_quality_report_and_rule,
    create_project,
    create_user,
    set_tier,
)

MAX_EXAMPLES = 15
PROBLEM = "application/problem+json"
EXCLUDED = [ignored_auth, positive_data_acceptance]


@pytest.fixture
def fuzz_world(database):
    from dra.dashboards.service import create_dashboard

    with database.system_session() as s:
        owner = create_user(s, platform_admin=True)
        set_tier(s, owner, "Enterprise")  # attribution on
        editor = create_user(s)
        project_id = create_project(s, owner)
        add_member(s, project_id, editor, "editor")
        viewer = create_user(s)
        add_member(s, project_id, viewer, "viewer")
        member_id = s.scalar(select(ProjectMember.id).where(ProjectMember.user_id == viewer.id))
        source = DataSource(project_id=project_id, name="orders.csv", type="csv")
        model = DataModel(
            project_id=project_id,
            name="M",
            query="select 1 as n",
            query_json={"mode": "sql", "sql": "select 1 as n"},
            materialized_table="model_fuzz",
        )
        report = AttributionReport(
            project_id=project_id,
            name="fuzz",
            model="linear",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 10, 31),
        )
        key = AttributionTrackingKey(
            project_id=project_id, name="fuzz", key_hash=hash_token("fuzz-key"), prefix="dra_wk"
        )
        s.add_all([source, model, report, key])
        s.flush()
        rule_id = add_quality_report_and_rule(s, model.id)
        req = PipelineRequest(kind="ingest_source", project_id=project_id, target_id=source.id)
        conversation = AIConversation(project_id=project_id, data_model_id=model.id, title="AI")
        s.add_all([req, conversation])
        s.flush()
        board = create_dashboard(s, database, project_id, owner.id, "Board")
        widget = DashboardWidget(dashboard_id=board.id, chart_type="bar", title="w")
        s.add(widget)
        s.flush()
        tokens = {
            "editor": create_api_token(s, editor.id, "fuzz").secret,
            "owner": create_api_token(s, owner.id, "fuzz").secret,
        }
        # the account and admin operations act on these, not on the callers' own tokens
        spare_token = create_api_token(s, editor.id, "spare").token
        notify(s, editor.id, type="info", title="fuzz")
        notification_id = s.scalar(select(func.max(Notification.id)))
        tier = SubscriptionTier(name="Fuzz tier", sort_order=9, **dict.fromkeys(LIMITS, -1))
        backup = Backup(file_name="fuzz.zip", status="succeeded")
        s.add_all([tier, backup])
        s.flush()
        ids = {
            "project_id": project_id,
            "source_id": source.id,
            "model_id": model.id,
            "dashboard_id": board.id,
            "widget_id": widget.id,
            "request_id": req.id,
            "rule_id": rule_id,
            "member_id": member_id,
            "report_id": report.id,
            "key_id": key.id,
            "token_id": spare_token.id,
            "notification_id": notification_id,
            "user_id": viewer.id,
            "tier_id": tier.id,
            "backup_id": backup.id,
        }
    return {"tokens": tokens, "ids": ids}


def _fuzz(strategy, headers: dict, seen: list) -> None:
    """Run one operation's generated cases (one mode) with every check."""

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])[0]
            assert content_type.startswith(PROBLEM), (
                f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                f"{response.status_code} {content_type} {response.text[:300]}"
            )
            body = response.json()
            assert body["status"] == response.status_code and body["detail"], body
        seen.append(response.status_code)

    run()


def _last(operation) -> tuple[bool, str]:
    """The owner's pass: deletions and the admin settings last (their objects are shared)."""
    return (operation.method.upper() == "DELETE" or "/admin/" in operation.path, operation.label)


def test_api_against_its_document(ai_app, fuzz_world):
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", ai_app)
    operations = [result.ok() for result in api.get_all_operations()]
    calls: dict[str, list[int]] = {}
    failures: list[str] = []

    def fuzz(operation, who: str) -> None:
        headers = {"Authorization": f"Bearer {fuzz_world['tokens'][who]}"}
        pinned = {k: v for k, v in fuzz_world["ids"].items() if "{" + k + "}" in operation.path}
        seen = calls.setdefault(f"{operation.label} as {who}", [])
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=pinned or None)
            try:
                _fuzz(strategy, headers, seen)
            except (Exception, BaseExceptionGroup) as exc:  # all tried; failures listed at the end
                failures.append(f"{operation.label} as {who} ({mode.value}): {exc}"[:2000])

    for operation in operations:
        fuzz(operation, "editor")
    refused = [o for o in operations if set(calls[f"{o.label} as editor"]) == {403}]
    for operation in sorted(refused, key=_last):
        fuzz(operation, "owner")

    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 70, sorted(o.label for o in operations)
    for area in ("/attribution/", "/ai/", "/insights", "/admin/", "/advertising/"):
        assert any(area in o.path for o in operations), area
    assert len(refused) >= 10, [o.label for o in refused]
    answered = {code for codes in calls.values() for code in codes}
    assert {200, 201, 202, 400, 404, 409, 422} <= answered, answered  # reached the views
