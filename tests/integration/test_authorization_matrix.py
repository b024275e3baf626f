"""Who may reach which route: every rule of ``app.url_map`` x every kind of actor.

``MATRIX`` below is the one explicit table, keyed by endpoint name. A route without an
entry fails ``test_every_route_has_an_entry``: whoever adds a route adds its line here.

Outcomes
- ``ALLOWED``: the request got past authorization (any status below 500 other than a
  sign-in redirect/401, 403 and 404; a 400 for an empty form still counts as allowed);
- ``LOGIN``: redirected to the sign-in page (401 for ``/api/`` routes);
- an int: exactly that status (403 = signed in but not allowed, 404 = not a member of
  the project, whose existence stays hidden).

Expectations come from the entry's access level (``PUBLIC``, ``USER``,
``PLATFORM_ADMIN``, ``DB_ADMIN`` or a project ``Permission``, derived per role through
``dra.permissions.role_allows``), with explicit per-actor overrides where a route
differs. Each request runs on fresh objects made by the entry's ``args`` factory (a new
project with one member per role, a new throwaway user...), so a request that deletes
or changes something cannot affect the next one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import func, insert, select

from dra.models import (
    AccountCancellationRequest,
    Alert,
    ApiToken,
    Backup,
    BackupSchedule,
    BetaAllowlistEntry,
    DataModel,
    DataSource,
    EmailOutbox,
    Notification,
    PipelineRequest,
    ProjectInvitation,
    ProjectMember,
    SubscriptionTier,
)
from dra.permissions import Permission, role_allows
from dra.projects.invitations import hash_token
from tests.support.factories import (
    DEFAULT_PASSWORD,
    UserRef,
    add_member,
    add_quality_report_and_rule,
    create_project,
    create_user,
    set_tier,
)

P = Permission
ACTORS = ("anonymous", "outsider", "platform_admin", "viewer", "editor", "admin", "owner")
ROLE_ACTORS = ("viewer", "editor", "admin", "owner")
ALLOWED, LOGIN = "allowed", "login"
PUBLIC, USER, PLATFORM_ADMIN, DB_ADMIN = "public", "user", "platform:admin", "platform:db_admin"
_seq = itertools.count(1)


# --- the world each request runs in --------------------------------------------------------


@dataclass
class Fresh:
    """Objects made for one request."""

    project_id: int
    members: dict[str, int]  # role -> project_members.id


@dataclass
class World:
    database: object
    users: dict[str, UserRef]
    outsider_project_id: int
    cookies: dict[str, str] = field(default_factory=dict)

    def system(self):
        return self.database.system_session()

    def project(self) -> Fresh:
        """A new project of the owner with the admin, editor and viewer as members."""
        with self.system() as s:
            project_id = create_project(s, self.users["owner"], name=f"Matrix {next(_seq)}")
            for role in ("admin", "editor", "viewer"):
                add_member(s, project_id, self.users[role], role)
            members = {
                m.role: m.id
                for m in s.scalars(
                    select(ProjectMember).where(ProjectMember.project_id == project_id)
                )
            }
        return Fresh(project_id=project_id, members=members)

    def user(self, **kwargs) -> UserRef:
        with self.system() as s:
            return create_user(s, **kwargs)

    def add(self, row) -> int:
        with self.system() as s:
            s.add(row)
            s.flush()
            return row.id

    def actor_id(self, actor: str) -> int:
        """The acting user's id (a throwaway user for the anonymous visitor)."""
        return self.users[actor].id if actor in self.users else self.user().id


Args = Callable[[World, str], dict]


# --- argument factories ------------------------------------------------------------------


def project(w: World, _actor: str) -> dict:
    return {"project_id": w.project().project_id}


def project_member(w: World, _actor: str) -> dict:
    fresh = w.project()
    return {"project_id": fresh.project_id, "member_id": fresh.members["viewer"]}


def project_invitation(w: World, _actor: str) -> dict:
    fresh = w.project()
    invitation_id = w.add(
        ProjectInvitation(
            project_id=fresh.project_id,
            email=f"invitee{next(_seq)}@example.com",
            role="viewer",
            token_hash=hash_token(f"t-{next(_seq)}"),
            expires_at=datetime.now(UTC) + timedelta(days=7),
        )
    )
    return {"project_id": fresh.project_id, "invitation_id": invitation_id}


def invitation_token_for_outsider(w: World, _actor: str) -> dict:
    """A pending invitation of a fresh project, addressed to the outsider."""
    fresh = w.project()
    token = f"token-{next(_seq)}"
    w.add(
        ProjectInvitation(
            project_id=fresh.project_id,
            email=w.users["outsider"].email,
            role="editor",
            token_hash=hash_token(token),
            expires_at=datetime.now(UTC) + timedelta(days=7),
        )
    )
    return {"token": token}


def data_source(w: World, _actor: str) -> dict:
    fresh = w.project()
    source_id = w.add(DataSource(project_id=fresh.project_id, name=f"S{next(_seq)}", type="csv"))
    return {"project_id": fresh.project_id, "source_id": source_id}


def ad_platform(w: World, _actor: str) -> dict:
    return {"project_id": w.project().project_id, "platform_key": "meta_ads"}


def ad_source(w: World, _actor: str) -> dict:
    fresh = w.project()
    source_id = w.add(
        DataSource(project_id=fresh.project_id, name=f"A{next(_seq)}", type="meta_ads")
    )
    return {"project_id": fresh.project_id, "source_id": source_id}


def quality_model(w: World, _actor: str) -> dict:
    """A built data model with a (empty) quality report and one cleaning rule."""
    fresh = w.project()
    with w.system() as s:
        model = DataModel(
            project_id=fresh.project_id,
            name=f"M{next(_seq)}",
            materialized_table=f"model_m{next(_seq)}",
        )
        s.add(model)
        s.flush()
        rule_id = add_quality_report_and_rule(s, model.id)
        return {"project_id": fresh.project_id, "model_id": model.id, "rule_id": rule_id}


def throwaway_user(w: World, _actor: str) -> dict:
    return {"user_id": w.user().id}


def tier(w: World, _actor: str) -> dict:
    n = next(_seq)
    tier_id = w.add(
        SubscriptionTier(
            name=f"Matrix tier {n}",
            sort_order=90,
            **{
                c: 1
                for c in (
                    "max_rows_per_model",
                    "max_projects",
                    "max_sources_per_project",
                    "max_dashboards",
                    "max_models_per_source",
                    "max_members_per_project",
                    "max_ai_generations_per_month",
                )
            },
        )
    )
    return {"tier_id": tier_id}


def beta_entry(w: World, _actor: str) -> dict:
    return {"entry_id": w.add(BetaAllowlistEntry(email=f"beta{next(_seq)}@example.com"))}


def cancellation(w: World, _actor: str) -> dict:
    request_id = w.add(AccountCancellationRequest(user_id=w.user().id, reason="matrix"))
    return {"request_id": request_id, "decision": "approve"}


def mail(w: World, _actor: str) -> dict:
    return {"mail_id": w.add(EmailOutbox(to_address="m@example.com", subject="s", body_text="b"))}


def alert(w: World, _actor: str) -> dict:
    return {"alert_id": w.add(Alert(source="pipeline", severity="error", title="t"))}


def backup(w: World, _actor: str) -> dict:
    return {"backup_id": w.add(Backup(file_name=f"matrix-{next(_seq)}.zip"))}


def restore_request(w: World, _actor: str) -> dict:
    backup_id = w.add(Backup(file_name=f"matrix-{next(_seq)}.zip", status="succeeded"))
    req = PipelineRequest(kind="restore", target_id=backup_id, status="succeeded")
    return {"request_id": w.add(req)}


def schedule(w: World, _actor: str) -> dict:
    return {"schedule_id": w.add(BackupSchedule(cron="0 2 * * *"))}


def own_notification(w: World, actor: str) -> dict:
    """A notification of the acting user (read back by its owner only)."""
    with w.system() as s:
        s.execute(
            insert(Notification.__table__)
            .inline()
            .values(user_id=w.actor_id(actor), type="info", title="matrix")
        )
        notification_id = s.scalar(select(func.max(Notification.id)))
    return {"notification_id": notification_id}


def own_api_token(w: World, actor: str) -> dict:
    token_id = w.add(
        ApiToken(
            user_id=w.actor_id(actor),
            name="matrix",
            token_hash=hash_token(f"api-{next(_seq)}"),
            prefix="dra_x",
        )
    )
    return {"token_id": token_id}


def own_cancellation_request(w: World, actor: str) -> dict:
    """A pending account-cancellation request of the acting user (so it can be withdrawn)."""
    w.add(AccountCancellationRequest(user_id=w.actor_id(actor), reason="matrix"))
    return {}


def token(w: World, _actor: str) -> dict:
    return {"token": "not-a-real-token"}


def static_file(_w: World, _actor: str) -> dict:
    return {"filename": "css/app.css"}


def attribution_report(w: World, _actor: str) -> dict:
    from dra.models import AttributionReport

    fresh = w.project()
    report_id = w.add(
        AttributionReport(
            project_id=fresh.project_id,
            name="matrix",
            model="linear",
            start_date=datetime(2026, 10, 1).date(),
            end_date=datetime(2026, 10, 31).date(),
        )
    )
    return {"project_id": fresh.project_id, "report_id": report_id}


def tracking_key(w: World, _actor: str) -> dict:
    from dra.models import AttributionTrackingKey

    fresh = w.project()
    key_id = w.add(
        AttributionTrackingKey(
            project_id=fresh.project_id,
            name="matrix",
            key_hash=hash_token(f"wk-{next(_seq)}"),
            prefix="dra_wk",
        )
    )
    return {"project_id": fresh.project_id, "key_id": key_id}


def data_model(w: World, _actor: str) -> dict:
    """A saved (not yet built) data model of a fresh project."""
    fresh = w.project()
    model_id = w.add(
        DataModel(
            project_id=fresh.project_id,
            name=f"M{next(_seq)}",
            query="select 1",
            query_json={"mode": "sql", "sql": "select 1"},
        )
    )
    return {"project_id": fresh.project_id, "model_id": model_id}


def ai_conversation(w: World, actor: str) -> dict:
    """A data model saved from an AI conversation (UC-AI-09: readable by every member)."""
    from dra.models import AIConversation

    args = data_model(w, actor)
    w.add(
        AIConversation(
            project_id=args["project_id"], data_model_id=args["model_id"], title="matrix"
        )
    )
    return args


def dashboard(w: World, _actor: str) -> dict:
    """A dashboard of a fresh project with one widget (its model since deleted)."""
    from dra.models import Dashboard, DashboardWidget

    fresh = w.project()
    board_id = w.add(
        Dashboard(project_id=fresh.project_id, name=f"D{next(_seq)}", layout={}, filters={})
    )
    widget_id = w.add(DashboardWidget(dashboard_id=board_id, chart_type="bar", title="w"))
    return {"project_id": fresh.project_id, "dashboard_id": board_id, "widget_id": widget_id}


def pipeline_request(w: World, _actor: str) -> dict:
    """A queued ingestion request of a fresh project (what a 202 answer points at)."""
    fresh = w.project()
    request_id = w.add(
        PipelineRequest(kind="ingest_source", project_id=fresh.project_id, status="queued")
    )
    return {"project_id": fresh.project_id, "request_id": request_id}


def shared_dashboard(w: World, actor: str) -> dict:
    """Such a dashboard with a live public link (the API reads and revokes it)."""
    from dra.models import DashboardPublicLink

    args = dashboard(w, actor)
    token = f"matrix-api-link-{next(_seq):08d}-abcdefghijklmnop"
    w.add(DashboardPublicLink(dashboard_id=args["dashboard_id"], token=token))
    return args


def swagger_asset(_w: World, _actor: str) -> dict:
    return {"name": "swagger-ui.css"}


def public_dashboard(w: World, actor: str) -> dict:
    """A live public link of such a dashboard (anyone holding it may view)."""
    from dra.models import DashboardPublicLink

    args = dashboard(w, actor)
    token = f"matrix-public-link-{next(_seq):08d}-abcdefghijkl"
    w.add(DashboardPublicLink(dashboard_id=args["dashboard_id"], token=token))
    return {"token": token, "widget_id": args["widget_id"]}


def article(w: World, _actor: str) -> dict:
    from dra.models import Article

    n = next(_seq)
    row = Article(title=f"Matrix {n}", slug=f"matrix-{n}", body="", status="published")
    return {"article_id": w.add(row)}


def article_action(w: World, actor: str) -> dict:
    return article(w, actor) | {"action": "publish"}


def article_slug(w: World, actor: str) -> dict:
    from dra.models import Article

    with w.system() as s:
        return {"slug": s.get(Article, article(w, actor)["article_id"]).slug}


def category(w: World, _actor: str) -> dict:
    from dra.models import ArticleCategory

    n = next(_seq)
    return {"category_id": w.add(ArticleCategory(name=f"Matrix {n}", slug=f"matrix-{n}"))}


def category_slug(w: World, actor: str) -> dict:
    from dra.models import ArticleCategory

    with w.system() as s:
        return {"slug": s.get(ArticleCategory, category(w, actor)["category_id"]).slug}


def image_name(_w: World, _actor: str) -> dict:
    return {"name": "0" * 32 + ".png"}


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    access: str
    args: Args | None = None
    data: dict[str, str] | None = None
    # overrides, keyed by actor or "METHOD actor": ALLOWED, LOGIN or an exact status
    expect: dict[str, str | int] = field(default_factory=dict)
    note: str = ""


ANY_404 = {actor: 404 for actor in ACTORS}
ADMIN_404 = {"platform_admin": 404}

MATRIX: dict[str, Entry] = {
    # core and static files
    "core.index": Entry(USER),
    "core.healthz": Entry(PUBLIC),
    "core.plotly_js": Entry(PUBLIC),
    "static": Entry(PUBLIC, static_file),
    # sign-in and registration (part A)
    "auth.login": Entry(
        PUBLIC, expect={"POST anonymous": 401}, note="401: an empty form is not valid credentials"
    ),
    "auth.logout": Entry(
        USER,
        expect={a: LOGIN for a in ACTORS},
        note="signing out sends everyone to the sign-in page",
    ),
    "auth.register": Entry(PUBLIC),
    "auth.verify": Entry(PUBLIC, token),
    "auth.resend_verification": Entry(PUBLIC),
    "auth.forgot_password": Entry(PUBLIC),
    "auth.reset": Entry(PUBLIC, token),
    "auth.unsubscribe": Entry(PUBLIC, token),
    "auth.google_login": Entry(PUBLIC, expect=ANY_404, note="404: Google not configured"),
    "auth.google_callback": Entry(PUBLIC, expect=ANY_404, note="404: Google not configured"),
    "auth_api.me": Entry(USER),
    "auth_api.session_check": Entry(
        PUBLIC, expect={"anonymous": LOGIN}, note="UC-AUTH-08: answers 401 itself when signed out"
    ),
    # the signed-in user's own account
    "account.index": Entry(USER),
    "account.edit_profile": Entry(USER),
    "account.password": Entry(USER),
    "account.email_preferences": Entry(USER),
    "account.notifications": Entry(USER),
    "account.mark_notification_read": Entry(USER, own_notification),
    "account.mark_all_notifications_read": Entry(USER),
    "account.delete_notification": Entry(USER, own_notification),
    "account.subscription": Entry(USER),
    "account.cancel": Entry(USER),
    "account.withdraw_cancel": Entry(USER, own_cancellation_request),
    "account.tokens": Entry(USER),
    "account.create_token": Entry(USER),
    "account.revoke_token": Entry(USER, own_api_token),
    "account_api.list_notifications": Entry(USER),
    "account_api.unread_count": Entry(USER),
    "account_api.mark_read": Entry(USER, own_notification),
    "account_api.mark_all_read": Entry(USER),
    "account_api.delete": Entry(USER, own_notification),
    "account_api.patch_profile": Entry(USER),
    # projects (UC-PROJ)
    "projects.index": Entry(USER),
    "projects.create": Entry(USER),
    "projects.detail": Entry(P.PROJECT_VIEW, project),
    "projects.delete": Entry(P.PROJECT_DELETE, project),
    "projects.members_list": Entry(P.PROJECT_VIEW, project),
    "projects.invite": Entry(P.PROJECT_MANAGE_MEMBERS, project),
    "projects.cancel_invitation": Entry(P.PROJECT_MANAGE_MEMBERS, project_invitation),
    "projects.change_role": Entry(
        P.PROJECT_MANAGE_MEMBERS, project_member, data={"role": "editor"}
    ),
    "projects.remove_member": Entry(P.PROJECT_MANAGE_MEMBERS, project_member),
    # the token link: anyone holding it sees the invitation; only the invitee may answer
    "projects.invitation": Entry(
        PUBLIC,
        invitation_token_for_outsider,
        data={"action": "accept"},
        expect={
            "anonymous": ALLOWED,
            "outsider": ALLOWED,
            "platform_admin": 403,
            "viewer": 403,
            "editor": 403,
            "admin": 403,
            "owner": 403,
        },
    ),
    # data sources
    "sources.index": Entry(P.DATA_SOURCE_VIEW, project),
    "sources.status": Entry(P.DATA_SOURCE_VIEW, project),
    "sources.new_database": Entry(P.DATA_SOURCE_CREATE, project),
    "sources.new_file": Entry(P.DATA_SOURCE_CREATE, project),
    "sources.detail": Entry(P.DATA_SOURCE_VIEW, data_source),
    "sources.refresh": Entry(P.DATA_SOURCE_EDIT, data_source),
    "sources.delete": Entry(P.DATA_SOURCE_DELETE, data_source),
    "ads.index": Entry(P.DATA_SOURCE_CREATE, project),
    "ads.connect": Entry(P.DATA_SOURCE_CREATE, ad_platform),
    "ads.begin": Entry(
        P.DATA_SOURCE_CREATE,
        ad_platform,
        expect={"owner": 404, "admin": 404, "editor": 404},
        note="no Meta client id/secret in these tests: 404 not configured, once authorized",
    ),
    "ads.pick": Entry(P.DATA_SOURCE_CREATE, ad_platform),
    "ads.reconnect": Entry(
        P.DATA_SOURCE_EDIT,
        ad_source,
        expect={"owner": 404, "admin": 404, "editor": 404},
        note="no Meta client id/secret in these tests: 404 not configured, once authorized",
    ),
    "ads_callback.callback": Entry(USER),
    # data models (UC-DM-01..09)
    "models.index": Entry(P.DATA_MODEL_VIEW, project),
    "models.tables": Entry(P.DATA_MODEL_VIEW, project),
    "models.catalog": Entry(P.DATA_MODEL_VIEW, project),
    "models.new": Entry(P.DATA_MODEL_CREATE, project),
    "models.create": Entry(P.DATA_MODEL_CREATE, project, note="form instead of JSON: 422"),
    "models.preview": Entry(P.DATA_MODEL_EXECUTE, project, note="form instead of JSON: 422"),
    "models.detail": Entry(P.DATA_MODEL_VIEW, data_model),
    "models.edit": Entry(P.DATA_MODEL_EDIT, data_model),
    "models.update": Entry(P.DATA_MODEL_EDIT, data_model, note="form instead of JSON: 422"),
    "models.execute": Entry(P.DATA_MODEL_EXECUTE, data_model),
    "models.preview_saved": Entry(P.DATA_MODEL_EXECUTE, data_model),
    "models.refresh": Entry(P.DATA_MODEL_EDIT, data_model),
    "models.copy": Entry(P.DATA_MODEL_CREATE, data_model),
    "models.delete": Entry(P.DATA_MODEL_DELETE, data_model),
    "models.dbt": Entry(P.DATA_MODEL_VIEW, data_model),
    # dashboards (UC-DASH-01..07) and their public page (UC-DASH-06)
    "dashboards.index": Entry(P.DASHBOARD_VIEW, project),
    "dashboards.create": Entry(P.DASHBOARD_CREATE, project, note="no name: 422"),
    "dashboards.view": Entry(P.DASHBOARD_VIEW, dashboard),
    "dashboards.widget_data": Entry(P.DASHBOARD_VIEW, dashboard),
    "dashboards.widget_csv": Entry(
        P.DASHBOARD_VIEW, dashboard, note="409: the widget's model was deleted"
    ),
    "dashboards.layout": Entry(P.DASHBOARD_EDIT, dashboard, note="no version: 422"),
    "dashboards.widget_new": Entry(P.DASHBOARD_EDIT, dashboard, note="no version: 422"),
    "dashboards.widget_edit": Entry(P.DASHBOARD_EDIT, dashboard, note="no version: 422"),
    "dashboards.widget_delete": Entry(P.DASHBOARD_EDIT, dashboard, note="no version: 422"),
    "dashboards.settings": Entry(P.DASHBOARD_EDIT, dashboard, note="no version: 422"),
    "dashboards.delete": Entry(P.DASHBOARD_DELETE, dashboard),
    "dashboards.share": Entry(P.DASHBOARD_SHARE, dashboard),
    "all_dashboards.index": Entry(USER),
    "public_dashboards.public_view": Entry(PUBLIC, public_dashboard),
    "public_dashboards.public_widget_data": Entry(PUBLIC, public_dashboard),
    "public_dashboards.public_widget_csv": Entry(
        PUBLIC, public_dashboard, note="409: the widget's model was deleted"
    ),
    # platform administration
    "admin.index": Entry(PLATFORM_ADMIN),
    "admin.users_list": Entry(PLATFORM_ADMIN),
    "admin.user_suspension": Entry(PLATFORM_ADMIN, throwaway_user, data={"suspend": "1"}),
    "admin.user_admin_rights": Entry(PLATFORM_ADMIN, throwaway_user, data={"grant": "1"}),
    "admin.user_tier": Entry(PLATFORM_ADMIN, throwaway_user),
    "admin.user_delete": Entry(
        PLATFORM_ADMIN, throwaway_user, note="no typed email: refused with 400, nothing deleted"
    ),
    "admin.tiers_list": Entry(PLATFORM_ADMIN),
    "admin.tier_new": Entry(PLATFORM_ADMIN),
    "admin.tier_edit": Entry(PLATFORM_ADMIN, tier),
    "admin.tier_delete": Entry(PLATFORM_ADMIN, tier),
    "admin.beta_list": Entry(PLATFORM_ADMIN),
    "admin.beta_remove": Entry(PLATFORM_ADMIN, beta_entry),
    "admin.platform_settings": Entry(PLATFORM_ADMIN, data={"registration_open": "on"}),
    "admin.cancellations_list": Entry(PLATFORM_ADMIN),
    "admin.cancellation_decide": Entry(PLATFORM_ADMIN, cancellation),
    "admin.outbox": Entry(PLATFORM_ADMIN),
    "admin.outbox_mail": Entry(PLATFORM_ADMIN, mail),
    "admin.alerts": Entry(PLATFORM_ADMIN),
    "admin.alert_acknowledge": Entry(PLATFORM_ADMIN, alert),
    # database administration
    "dbadmin.index": Entry(DB_ADMIN),
    "dbadmin.apply": Entry(DB_ADMIN),
    "dbadmin.backup_now": Entry(DB_ADMIN),
    "dbadmin.progress": Entry(DB_ADMIN, backup),
    "dbadmin.backup_page": Entry(DB_ADMIN, backup),
    "dbadmin.restore_page": Entry(DB_ADMIN, restore_request),
    "dbadmin.restore_progress": Entry(DB_ADMIN, restore_request),
    "dbadmin.download": Entry(
        DB_ADMIN, backup, expect=ADMIN_404, note="404 for admins: the backup row has no file"
    ),
    "dbadmin.restore": Entry(DB_ADMIN, backup, note="no confirmation: refused with 400"),
    "dbadmin.upload": Entry(DB_ADMIN, note="no file: refused with 400"),
    "api_backups.backup_list": Entry(DB_ADMIN),
    "api_backups.backup_start": Entry(DB_ADMIN),
    "api_backups.backup_get": Entry(DB_ADMIN, backup),
    "api_backups.restore_get": Entry(DB_ADMIN, restore_request),
    "dbadmin.schedule": Entry(DB_ADMIN, None),  # two rules; see _args_for
    "dbadmin.delete_schedule": Entry(DB_ADMIN, schedule),
    "dbadmin.acknowledge": Entry(DB_ADMIN, alert),
    "dbadmin.grant": Entry(PLATFORM_ADMIN),
    "dbadmin.revoke": Entry(PLATFORM_ADMIN, throwaway_user),
    # data quality of a data model
    "quality.show": Entry(P.DATA_MODEL_VIEW, quality_model),
    "quality.latest_json": Entry(P.DATA_MODEL_VIEW, quality_model),
    "quality.contract": Entry(
        P.DATA_MODEL_VIEW,
        quality_model,
        expect={r: 404 for r in ROLE_ACTORS},
        note="404 for members: no contract file (test_quality_web)",
    ),
    "quality.run": Entry(P.DATA_MODEL_EXECUTE, quality_model),
    "quality.add_rule": Entry(P.DATA_MODEL_EDIT, quality_model, note="empty form: 400"),
    "quality.toggle_rule": Entry(P.DATA_MODEL_EDIT, quality_model),
    "quality.delete_rule": Entry(P.DATA_MODEL_EDIT, quality_model),
    "quality.clean": Entry(P.DATA_MODEL_EDIT, quality_model),
    # attribution tracking: public, authenticated by the write key, not by a session
    "tracking.track_one": Entry(PUBLIC, expect={a: 401 for a in ACTORS}, note="401: no write key"),
    "tracking.track_batch": Entry(
        PUBLIC, expect={a: 401 for a in ACTORS}, note="401: no write key"
    ),
    # attribution pages of a project (UC-ATT-02..05) and their admin toggle (UC-ATT-06)
    "attribution.index": Entry(P.ATTRIBUTION_VIEW, project),
    "attribution.generate": Entry(P.ATTRIBUTION_ANALYZE, project, note="empty form: 400"),
    "attribution.report": Entry(P.ATTRIBUTION_VIEW, attribution_report),
    "attribution.funnel": Entry(
        P.ATTRIBUTION_VIEW,
        project,
        expect={"POST viewer": 403},
        note="viewers see the page; running a funnel needs analyze",
    ),
    "attribution.journeys": Entry(P.ATTRIBUTION_VIEW, project),
    "attribution.keys_list": Entry(P.ATTRIBUTION_MANAGE, project),
    "attribution.key_create": Entry(P.ATTRIBUTION_MANAGE, project, note="empty form: 400"),
    "attribution.key_revoke": Entry(P.ATTRIBUTION_MANAGE, tracking_key),
    "attribution.key_origins": Entry(P.ATTRIBUTION_MANAGE, tracking_key),
    "attribution_api.report_list": Entry(P.ATTRIBUTION_VIEW, project),
    "attribution_api.report_create": Entry(
        P.ATTRIBUTION_ANALYZE, project, note="no JSON body: 400"
    ),
    "attribution_api.report": Entry(P.ATTRIBUTION_VIEW, attribution_report),
    "attribution_api.funnel": Entry(P.ATTRIBUTION_ANALYZE, project, note="no JSON body: 400"),
    "attribution_api.journeys": Entry(P.ATTRIBUTION_VIEW, project),
    "attribution_api.key_list": Entry(P.ATTRIBUTION_MANAGE, project),
    "attribution_api.key_create": Entry(P.ATTRIBUTION_MANAGE, project, note="no JSON body: 400"),
    "attribution_api.key_revoke": Entry(P.ATTRIBUTION_MANAGE, tracking_key),
    "attribution_api.key_origins": Entry(P.ATTRIBUTION_MANAGE, tracking_key, note="no body: 400"),
    "attribution_admin.index": Entry(PLATFORM_ADMIN),
    # the AI data modeler (UC-AI-01..10): its page, a saved conversation, the JSON API
    "ai.index": Entry(P.DATA_MODEL_CREATE, project),
    "ai.conversation": Entry(P.DATA_MODEL_VIEW, ai_conversation),
    "ai_api.initialize": Entry(P.DATA_MODEL_CREATE, project, note="no dataSources: 400"),
    "ai_api.chat": Entry(P.DATA_MODEL_CREATE, project, note="no JSON body: 400"),
    "ai_api.draft": Entry(P.DATA_MODEL_CREATE, project, note="no JSON body: 400"),
    "ai_api.state": Entry(P.DATA_MODEL_CREATE, project, note="no dataSources: 400"),
    "ai_api.save": Entry(P.DATA_MODEL_CREATE, project, note="no JSON body: 400"),
    "ai_api.discard": Entry(P.DATA_MODEL_CREATE, project, note="no dataSources: 400"),
    "ai_api.history": Entry(P.DATA_MODEL_VIEW, ai_conversation),
    "ai_api.suggested_joins": Entry(P.DATA_MODEL_CREATE, project),
    # AI insights (UC-INS-01/02): viewers read, owners/admins/editors generate
    "insights.index": Entry(P.DATA_MODEL_VIEW, project),
    "insights.model": Entry(P.DATA_MODEL_VIEW, data_model),
    "insights.generate_model": Entry(P.DATA_MODEL_EDIT, data_model, note="not built: 400"),
    "insights.dashboard": Entry(P.DASHBOARD_VIEW, dashboard),
    "insights.generate_dashboard": Entry(P.DASHBOARD_EDIT, dashboard, note="no data: 400"),
    "insights_api.list_model": Entry(P.DATA_MODEL_VIEW, data_model),
    "insights_api.generate_model": Entry(P.DATA_MODEL_EDIT, data_model, note="not built: 400"),
    "insights_api.list_dashboard": Entry(P.DASHBOARD_VIEW, dashboard),
    "insights_api.generate_dashboard": Entry(P.DASHBOARD_EDIT, dashboard, note="no data: 400"),
    # the public site (UC-ADM-09..11, 13): its admin pages, its public pages
    "content_admin.articles_list": Entry(PLATFORM_ADMIN),
    "content_admin.article_new": Entry(PLATFORM_ADMIN, note="empty form: 422"),
    "content_admin.article_edit": Entry(PLATFORM_ADMIN, article, note="empty form: 422"),
    "content_admin.article_status": Entry(PLATFORM_ADMIN, article_action),
    "content_admin.categories_list": Entry(PLATFORM_ADMIN, note="empty form: 422"),
    "content_admin.category_edit": Entry(PLATFORM_ADMIN, category, note="empty form: 422"),
    "content_admin.category_delete": Entry(PLATFORM_ADMIN, category),
    "content_admin.images_list": Entry(PLATFORM_ADMIN),
    "content_admin.image_upload": Entry(PLATFORM_ADMIN, note="no file: 400"),
    "content_admin.image_delete": Entry(
        PLATFORM_ADMIN, image_name, expect=ADMIN_404, note="404 for admins: no such image file"
    ),
    "content_admin.sitemap_page": Entry(PLATFORM_ADMIN),
    "admin_api.get_settings": Entry(PLATFORM_ADMIN),
    "admin_api.patch_settings": Entry(PLATFORM_ADMIN, note="no JSON body: 422"),
    "admin_api.user_list": Entry(PLATFORM_ADMIN),
    "admin_api.user_get": Entry(PLATFORM_ADMIN, throwaway_user),
    "admin_api.user_suspension": Entry(PLATFORM_ADMIN, throwaway_user, note="form body: 415"),
    "admin_api.user_tier": Entry(PLATFORM_ADMIN, throwaway_user, note="form body: 415"),
    "admin_api.tier_list": Entry(PLATFORM_ADMIN),
    "admin_api.tier_create": Entry(PLATFORM_ADMIN, note="form body: 415"),
    "admin_api.tier_update": Entry(PLATFORM_ADMIN, tier, note="form body: 415"),
    "blog.blog": Entry(PUBLIC),
    "blog.blog_category": Entry(PUBLIC, category_slug),
    "blog.article": Entry(PUBLIC, article_slug),
    "blog.image": Entry(PUBLIC, image_name, expect=ANY_404, note="404: no such image file"),
    "blog.sitemap_xml": Entry(PUBLIC),
    "blog.robots": Entry(PUBLIC),
    "attribution_admin.project_toggle": Entry(PLATFORM_ADMIN, project, data={"visible": "on"}),
    "attribution_admin.tier_toggle": Entry(PLATFORM_ADMIN, tier, data={"visible": "on"}),
    # the REST API (webapp/api): the pages' permissions; a form body instead of JSON: 415
    "api_docs.openapi_json": Entry(PUBLIC),
    "api_docs.docs_page": Entry(PUBLIC),
    "api_docs.docs_asset": Entry(PUBLIC, swagger_asset),
    "api_projects.index": Entry(USER),
    "api_projects.create": Entry(USER, note="form body: 415"),
    "api_projects.get": Entry(P.PROJECT_VIEW, project),
    "api_projects.members_list": Entry(P.PROJECT_VIEW, project),
    "api_projects.invite": Entry(P.PROJECT_MANAGE_MEMBERS, project, note="form body: 415"),
    "api_projects.change_role": Entry(
        P.PROJECT_MANAGE_MEMBERS, project_member, note="form body: 415"
    ),
    "api_projects.remove_member": Entry(P.PROJECT_MANAGE_MEMBERS, project_member),
    "api_requests.get": Entry(P.PROJECT_VIEW, pipeline_request),
    "api_account.me": Entry(USER),
    "api_account.token_list": Entry(USER),
    "api_account.token_create": Entry(USER, note="no JSON body: 415"),
    "api_account.token_revoke": Entry(USER, own_api_token),
    "api_account.notification_list": Entry(USER),
    "api_account.notification_read": Entry(USER, own_notification),
    "api_account.notification_read_all": Entry(USER),
    "api_sources.index": Entry(P.DATA_SOURCE_VIEW, project),
    "api_sources.create_database": Entry(P.DATA_SOURCE_CREATE, project, note="form body: 415"),
    "api_sources.upload": Entry(P.DATA_SOURCE_CREATE, project, note="no file: 415/422"),
    "api_sources.get": Entry(P.DATA_SOURCE_VIEW, data_source),
    "api_sources.preview": Entry(P.DATA_SOURCE_VIEW, data_source, note="nothing ingested: 409"),
    "api_sources.status": Entry(P.DATA_SOURCE_VIEW, data_source),
    "api_sources.refresh": Entry(P.DATA_SOURCE_EDIT, data_source),
    "api_sources.delete": Entry(P.DATA_SOURCE_DELETE, data_source),
    "api_advertising.platform_list": Entry(P.DATA_SOURCE_VIEW, project),
    "api_advertising.source_list": Entry(P.DATA_SOURCE_VIEW, project),
    "api_models.index": Entry(P.DATA_MODEL_VIEW, project),
    "api_models.create": Entry(P.DATA_MODEL_CREATE, project, note="form body: 415"),
    "api_models.preview": Entry(P.DATA_MODEL_EXECUTE, project, note="form body: 415"),
    "api_models.get": Entry(P.DATA_MODEL_VIEW, data_model),
    "api_models.update": Entry(P.DATA_MODEL_EDIT, data_model, note="form body: 415"),
    "api_models.preview_saved": Entry(P.DATA_MODEL_EXECUTE, data_model),
    "api_models.execute": Entry(P.DATA_MODEL_EXECUTE, data_model),
    "api_models.refresh": Entry(P.DATA_MODEL_EDIT, data_model),
    "api_models.build": Entry(P.DATA_MODEL_VIEW, data_model),
    "api_models.copy": Entry(P.DATA_MODEL_CREATE, data_model),
    "api_models.delete": Entry(P.DATA_MODEL_DELETE, data_model),
    "api_models.dbt": Entry(P.DATA_MODEL_VIEW, data_model),
    "api_dashboards.index": Entry(P.DASHBOARD_VIEW, project),
    "api_dashboards.create": Entry(P.DASHBOARD_CREATE, project, note="form body: 415"),
    "api_dashboards.get": Entry(P.DASHBOARD_VIEW, dashboard),
    "api_dashboards.update": Entry(P.DASHBOARD_EDIT, dashboard, note="form body: 415"),
    "api_dashboards.delete": Entry(P.DASHBOARD_DELETE, dashboard),
    "api_dashboards.widget_create": Entry(P.DASHBOARD_EDIT, dashboard, note="form body: 415"),
    "api_dashboards.widget_update": Entry(P.DASHBOARD_EDIT, dashboard, note="form body: 415"),
    "api_dashboards.widget_delete": Entry(P.DASHBOARD_EDIT, dashboard, note="no version: 422"),
    "api_dashboards.widget_data": Entry(P.DASHBOARD_VIEW, dashboard),
    "api_dashboards.widget_csv": Entry(
        P.DASHBOARD_VIEW, dashboard, note="409: the widget's model was deleted"
    ),
    "api_dashboards.link_get": Entry(P.DASHBOARD_SHARE, shared_dashboard),
    "api_dashboards.link_create": Entry(P.DASHBOARD_SHARE, dashboard, note="form body: 415"),
    "api_dashboards.link_revoke": Entry(P.DASHBOARD_SHARE, shared_dashboard),
    "api_quality.latest": Entry(P.DATA_MODEL_VIEW, quality_model),
    "api_quality.run": Entry(P.DATA_MODEL_EXECUTE, quality_model, note="form body: 415"),
    "api_quality.rules": Entry(P.DATA_MODEL_VIEW, quality_model),
    "api_quality.rule_add": Entry(P.DATA_MODEL_EDIT, quality_model, note="form body: 415"),
    "api_quality.rule_toggle": Entry(P.DATA_MODEL_EDIT, quality_model),
    "api_quality.rule_delete": Entry(P.DATA_MODEL_EDIT, quality_model),
}


def expected(entry: Entry, method: str, actor: str) -> str | int:
    for key in (f"{method} {actor}", actor):
        if key in entry.expect:
            return entry.expect[key]
    if entry.access == PUBLIC:
        return ALLOWED
    if actor == "anonymous":
        return LOGIN
    if entry.access == USER:
        return ALLOWED
    if entry.access in (PLATFORM_ADMIN, DB_ADMIN):
        return ALLOWED if actor == "platform_admin" else 403
    if actor in ("outsider", "platform_admin"):
        return 404  # not a member: the project stays hidden, platform admin or not
    return ALLOWED if role_allows(actor, entry.access) else 403


def outcome(path: str, status: int, location: str) -> str | int:
    if path.startswith("/api/") and status == 401:
        return LOGIN
    if (
        status in (301, 302, 303, 307)
        and "/auth/login" in location
        and not path.startswith("/auth/login")
    ):
        return LOGIN
    if status in (401, 403, 404) or status >= 500:
        return status
    return ALLOWED


PER_ACTOR = {own_notification, own_api_token, own_cancellation_request}
"""Factories whose objects belong to the acting user: never shared between actors."""


def _args_for(endpoint: str, rule, w: World, actor: str) -> dict:
    entry = MATRIX[endpoint]
    if entry.args is not None:
        return entry.args(w, actor)
    if "schedule_id" in rule.arguments:
        return schedule(w, actor)
    return {}


def _path(app, rule, w: World, actor: str) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **_args_for(rule.endpoint, rule, w, actor))


# --- the tests -----------------------------------------------------------------------------


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - MATRIX.keys())
    assert not missing, (
        f"routes without an entry in MATRIX of {__file__}: {missing}. Whoever adds a route "
        "adds its line there: who may reach it (PUBLIC, USER, PLATFORM_ADMIN, DB_ADMIN or a "
        "project Permission) and, for URL arguments, a factory that builds them."
    )


def test_table_agrees_with_the_views_declared_permissions(app):
    """Views decorated by webapp.authz (or alike) declare what they require: same as the table."""
    disagree = []
    for endpoint, view in app.view_functions.items():
        declared = getattr(view, "required_permission", None)
        entry = MATRIX.get(endpoint)
        if declared is not None and entry is not None and str(entry.access) != declared:
            disagree.append((endpoint, str(entry.access), declared))
    assert not disagree, f"table vs view decorator (endpoint, table, view): {disagree}"


@pytest.fixture
def world(database, app):
    with database.system_session() as s:
        users = {"owner": create_user(s, first_name="Owner")}
        set_tier(s, users["owner"], "Enterprise")
        for role in ("admin", "editor", "viewer", "outsider"):
            users[role] = create_user(s, first_name=role.title())
        users["platform_admin"] = create_user(s, first_name="Root", platform_admin=True)
        outsider_project = create_project(s, users["outsider"])
    w = World(database=database, users=users, outsider_project_id=outsider_project)
    for actor, user in users.items():
        client = app.test_client()
        resp = client.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
        assert resp.status_code == 302, actor
        w.cookies[actor] = client.get_cookie("session", domain="localhost").value
    return w


def _client(app, w: World, actor: str):
    client = app.test_client()
    if actor in w.cookies:
        client.set_cookie("session", w.cookies[actor], domain="localhost")
    return client


def test_authorization_matrix(app, world):
    mismatches = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        entry = MATRIX.get(rule.endpoint)
        if entry is None:
            continue  # reported by test_every_route_has_an_entry
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # GET changes nothing, so its objects are shared by the seven actors (objects
            # that belong to the acting user excepted); other methods get fresh ones each.
            shared = None
            for actor in ACTORS:
                path = shared or _path(app, rule, world, actor)
                if method == "GET" and entry.args not in PER_ACTOR:
                    shared = path
                client = _client(app, world, actor)
                kwargs = {"data": entry.data or {}} if method != "GET" else {}
                resp = client.open(path, method=method, **kwargs)
                want = expected(entry, method, actor)
                got = (
                    resp.status_code
                    if isinstance(want, int)
                    else outcome(path, resp.status_code, resp.headers.get("Location", ""))
                )
                resp.close()
                checked += 1
                if got != want:
                    mismatches.append(
                        f"{method} {path} [{rule.endpoint}] as {actor}: "
                        f"expected {want}, got {got} ({resp.status_code})"
                    )
    assert checked > 300
    assert not mismatches, "\n".join(mismatches)
