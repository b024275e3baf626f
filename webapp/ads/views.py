"""Connecting advertising and analytics accounts (UC-DS-07..11). Thin: authorize, call
``dra.ads`` and ``dra.sources.service``, render.

``/projects/<id>/sources/connect/<platform>``: the "Connect with ..." page; its POST
sends the browser to the provider (state and PKCE verifier kept in the session). The
provider comes back to the one ``/oauth/callback`` (the redirect URI to register with
each provider), which checks the state, exchanges the code, lists the accounts and
keeps the encrypted token in the session until one account is picked.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from dra.ads import oauth
from dra.ads.platforms import AdAccount, OAuthToken, Platform, is_ad_source, platform, platforms
from dra.errors import DraError
from dra.models import DataSource
from dra.permissions import Permission
from dra.security.crypto import Vault
from dra.sources import service
from dra.sources.service import SourceError
from webapp.auth.mailing import external_url
from webapp.authz import ProjectAccess, authorize, project_scoped, requires
from webapp.database import app_settings, db_session, get_database
from webapp.errors import on_error
from webapp.sources.views import check_source_limit

bp = project_scoped(
    Blueprint("ads", __name__, url_prefix="/projects/<int:project_id>/sources/connect")
)
callback_bp = Blueprint("ads_callback", __name__)

PENDING_KEY = "ads_oauth"
DRAFT_KEY = "ads_draft"
DENIED = "The connection was cancelled: access was not granted on the consent screen."


def _platform(key: str) -> Platform:
    try:
        return platform(key, app_settings().ads)
    except LookupError:
        abort(404, description="No such advertising platform.")


def _redirect_uri() -> str:
    return external_url("ads_callback.callback")


def platform_choices() -> list[dict]:
    """The platforms an account can be connected from, each with whether its provider's
    OAuth client is configured (the page and the API list the same)."""
    ads = app_settings().ads
    return [
        {
            "key": cls.key,
            "label": cls.label,
            "provider": oauth.provider_label(cls.provider),
            "configured": ads.provider(cls.provider).configured,
        }
        for cls in platforms()
    ]


@bp.get("/")
@requires(Permission.DATA_SOURCE_CREATE)
def index(project_id: int, access: ProjectAccess):
    return render_template("ads/index.html", choices=platform_choices())


@bp.get("/<platform_key>")
@requires(Permission.DATA_SOURCE_CREATE)
def connect(project_id: int, platform_key: str, access: ProjectAccess):
    plat = _platform(platform_key)
    error = DENIED if request.args.get("error") == "access_denied" else None
    return render_template(
        "ads/connect.html",
        platform=plat,
        provider=oauth.provider_label(plat.provider),
        configured=plat.oauth.configured,
        error=error,
    )


def _to_provider(project_id: int, plat: Platform, source_id: int | None = None):
    """Send the browser to the provider; state, PKCE verifier and what to do on return
    (a new source, or reconnecting ``source_id``) kept in the session."""
    started = oauth.begin(plat, _redirect_uri())
    session[PENDING_KEY] = {
        "state": started.state,
        "verifier": started.code_verifier,
        "project_id": project_id,
        "platform": plat.key,
        "source_id": source_id,
    }
    session.pop(DRAFT_KEY, None)
    return redirect(started.url)


@bp.post("/<platform_key>")
@requires(Permission.DATA_SOURCE_CREATE)
def begin(project_id: int, platform_key: str, access: ProjectAccess):
    check_source_limit(project_id)
    return _to_provider(project_id, _platform(platform_key))


def _ad_source(project_id: int, source_id: int) -> DataSource:
    try:
        source = service.get_source(db_session(), project_id, source_id)
    except LookupError:
        abort(404, description="No such data source in this project.")
    if not is_ad_source(source.type):
        abort(404, description="This data source is not an advertising account.")
    return source


@bp.post("/reconnect/<int:source_id>")
@requires(Permission.DATA_SOURCE_EDIT)
def reconnect(project_id: int, source_id: int, access: ProjectAccess):
    """Run the OAuth flow again for an advertising source (its token revoked or expired):
    the callback updates that source's tokens instead of creating a source."""
    source = _ad_source(project_id, source_id)
    return _to_provider(project_id, _platform(source.type), source.id)


@callback_bp.get("/oauth/callback")
@login_required
def callback():
    """The provider's answer: state checked (400 when forged or missing), consent refused
    back to the connect page, else the code exchanged and the accounts listed."""
    pending = session.pop(PENDING_KEY, None) or {}
    code = None
    try:
        code = oauth.check_callback(request.args.to_dict(), pending.get("state"))
    except oauth.ConsentDenied:  # the connect page says so (once: no flash as well)
        return redirect(
            url_for(
                "ads.connect",
                project_id=pending["project_id"],
                platform_key=pending["platform"],
                error="access_denied",
            )
        )
    project_id = pending["project_id"]
    source_id = pending.get("source_id")
    needed = Permission.DATA_SOURCE_EDIT if source_id else Permission.DATA_SOURCE_CREATE
    authorize(project_id, needed)
    plat = _platform(pending["platform"])
    token = oauth.finish(plat, _redirect_uri(), code, pending["verifier"])
    accounts = plat.list_accounts(token)
    if source_id:
        source = service.reconnect_ad_source(
            db_session(),
            _ad_source(project_id, source_id),
            user_id=current_user.id,
            platform=plat,
            token=token,
            accounts=accounts,
            settings=app_settings(),
        )
        flash(f"“{source.name}” has been reconnected; its data is being ingested.", "success")
        return redirect(url_for("sources.detail", project_id=project_id, source_id=source.id))
    if not accounts:
        raise SourceError(plat.none_found, status=400)
    session[DRAFT_KEY] = {
        "project_id": project_id,
        "platform": plat.key,
        "token": Vault(app_settings().encryption_keys).encrypt_json(token.as_dict()).decode(),
        "accounts": [a.as_dict() for a in accounts],
    }
    return redirect(url_for("ads.pick", project_id=project_id, platform_key=plat.key))


def _draft(project_id: int, platform_key: str) -> dict:
    draft = session.get(DRAFT_KEY)
    if not draft or draft["project_id"] != project_id or draft["platform"] != platform_key:
        raise DraError(
            "No connection is waiting for an account choice: connect again.", field="account"
        )
    return draft


@bp.route("/<platform_key>/account", methods=["GET", "POST"])
@requires(Permission.DATA_SOURCE_CREATE)
def pick(project_id: int, platform_key: str, access: ProjectAccess):
    plat = _platform(platform_key)
    draft = _draft(project_id, platform_key)
    accounts = [AdAccount.from_dict(a) for a in draft["accounts"]]
    if request.method == "GET":
        return render_template("ads/pick.html", platform=plat, accounts=accounts, form={})
    form = {"account": request.form.get("account", ""), "name": request.form.get("name", "")}
    on_error(
        lambda exc: render_template(
            "ads/pick.html", platform=plat, accounts=accounts, form=form, error=exc
        )
    )
    chosen = next((a for a in accounts if a.id == form["account"]), None)
    if chosen is None:
        raise SourceError(f"Choose one {plat.account_noun} in the list.", field="account")
    token = OAuthToken.from_dict(
        Vault(app_settings().encryption_keys).decrypt_json(draft["token"].encode())
    )
    source = service.create_ad_source(
        db_session(),
        get_database(),
        project_id=project_id,
        user_id=current_user.id,
        name=form["name"].strip() or None,
        platform=plat,
        token=token,
        account=chosen,
        settings=app_settings(),
    )
    session.pop(DRAFT_KEY, None)
    flash(f"“{source.name}” has been connected; its data is being ingested.", "success")
    return redirect(url_for("sources.detail", project_id=project_id, source_id=source.id))
