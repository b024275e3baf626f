"""Account pages (UC-ACC-01..10): profile, password, email preferences, notifications,
plan and usage, API tokens, account cancellation.

Every view here requires a signed-in user and only ever touches that user's rows
(through the request's row-level-security session as well): another user's
notification or token answers 404.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from dra.accounts import api_tokens, cancellation, notifications, preferences
from dra.accounts.errors import ValidationFailed
from dra.accounts.passwords import change_password
from dra.accounts.profile import get_user, profile, update_profile
from dra.accounts.usage import plan_and_usage
from webapp.account.forms import CancelForm, PasswordForm, ProfileForm, TokenForm
from webapp.auth.loader import refresh_epoch
from webapp.auth.mailing import external_url, send_password_changed, send_to_user
from webapp.database import commit, db_session
from webapp.errors import on_error

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def _signed_in_only():
    """Every page of this blueprint needs a signed-in user (each view says so too)."""


@bp.app_context_processor
def _header_helpers():
    """``unread_notification_count()`` for the header badge (base.html)."""

    def unread_notification_count() -> int | None:
        if not current_user.is_authenticated:
            return None
        try:
            return notifications.unread_count(db_session(), current_user.id)
        except SQLAlchemyError:
            return None

    return {"unread_notification_count": unread_notification_count}


def _page(template: str, status: int = 200, **context):
    return render_template(f"account/{template}", section=template.split(".")[0], **context), status


def _profile_page(errors: dict | None = None, status: int = 200, values: dict | None = None):
    db = db_session()
    return _page(
        "profile.html", status, me=profile(db, current_user.id), errors=errors or {}, values=values
    )


@bp.get("/")
@login_required
def index():
    """Signed-in users. UC-AUTH-09 / UC-ACC-01: the profile page with its edit form."""
    return _profile_page()


@bp.post("/profile")
@login_required
def edit_profile():
    """Signed-in users. UC-ACC-01: change first and last name."""
    values = ProfileForm().data
    on_error(lambda exc: _profile_page(exc.errors, values=values))
    update_profile(db_session(), current_user.id, **values)
    flash("Profile updated successfully.", "success")
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Signed-in users. UC-ACC-02: change the password (other sessions are signed out)."""
    if request.method == "GET":
        return _page("password.html", errors={})
    db = db_session()
    form = PasswordForm()
    on_error(lambda exc: _page("password.html", errors=exc.errors))
    user = change_password(
        db,
        current_user.id,
        form.current_password.data,
        form.new_password.data,
        form.confirm_new_password.data,
    )
    send_password_changed(db, user)
    commit()
    refresh_epoch(user)
    flash("Password changed successfully. Other devices were signed out.", "success")
    return redirect(url_for("account.index"))


@bp.route("/email-preferences", methods=["GET", "POST"])
@login_required
def email_preferences():
    """Signed-in users. UC-ACC-03: which optional emails to receive."""
    db = db_session()
    if request.method == "POST":
        chosen = {field: request.form.get(field) == "on" for field in preferences.FIELDS}
        preferences.update_preferences(db, current_user.id, chosen)
        flash("Email preferences saved.", "success")
        return redirect(url_for("account.email_preferences"))
    prefs = preferences.get_preferences(db, current_user.id)
    return _page(
        "email_preferences.html",
        prefs=prefs,
        fields=preferences.FIELDS,
        user=get_user(db, current_user.id),
    )


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.lstrip("-").isdigit():
        abort(400, description="Page must be a whole number >= 1.")
    return int(raw)


@bp.get("/notifications", endpoint="notifications")
@login_required
def notifications_page():
    """Signed-in users. UC-ACC-04/05: my notifications, 20 per page, newest first."""
    page = notifications.list_notifications(db_session(), current_user.id, _page_number())
    return _page("notifications.html", page=page)


def _back_to_notifications():
    target = request.form.get("page", "1")
    page = int(target) if target.isdigit() and int(target) > 0 else 1
    return redirect(url_for("account.notifications", page=page))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_notification_read(notification_id: int):
    """Signed-in users. UC-ACC-06: mark one of my notifications read (404 if not mine)."""
    notifications.mark_read(db_session(), current_user.id, notification_id)
    return _back_to_notifications()


@bp.post("/notifications/read-all")
@login_required
def mark_all_notifications_read():
    """Signed-in users. UC-ACC-07: mark all my notifications read."""
    changed = notifications.mark_all_read(db_session(), current_user.id)
    flash(f"Marked {changed} notification{'s' if changed != 1 else ''} as read.", "success")
    return _back_to_notifications()


@bp.post("/notifications/<int:notification_id>/delete")
@login_required
def delete_notification(notification_id: int):
    """Signed-in users. UC-ACC-08: delete one of my notifications (404 if not mine)."""
    notifications.delete_notification(db_session(), current_user.id, notification_id)
    flash("Notification deleted.", "success")
    return _back_to_notifications()


@bp.get("/subscription")
@login_required
def subscription():
    """Signed-in users. UC-ACC-09: my plan and usage bars."""
    return _page("subscription.html", plan=plan_and_usage(db_session(), current_user.id))


@bp.route("/cancel", methods=["GET", "POST"])
@login_required
def cancel():
    """Signed-in users. UC-ACC-10: request account cancellation (reviewed by an admin)."""
    db = db_session()
    if request.method == "POST":
        form = CancelForm()
        on_error(
            lambda exc: _page(
                "cancel.html",
                errors=exc.errors,
                reason=form.reason.data,
                current=cancellation.latest_request(db, current_user.id),
            )
        )
        if form.confirm.data != "yes":
            raise ValidationFailed(
                errors={"confirm": "Tick the box to confirm you want to close your account."}
            )
        cancellation.request_cancellation(db, current_user.id, form.reason.data)
        send_to_user(
            db,
            get_user(db, current_user.id),
            "cancellation_received",
            "account",
            account_url=external_url("account.cancel"),
        )
        flash(
            "We've received your cancellation request. An administrator will review it.", "success"
        )
        return redirect(url_for("account.cancel"))
    return _page(
        "cancel.html",
        current=cancellation.latest_request(db, current_user.id),
        errors={},
        reason="",
    )


@bp.post("/cancel/withdraw")
@login_required
def withdraw_cancel():
    """Signed-in users. UC-ACC-10 ALT-C: withdraw my pending cancellation request."""
    cancellation.withdraw_cancellation(db_session(), current_user.id)
    flash("Your cancellation request was withdrawn. Your account stays open.", "success")
    return redirect(url_for("account.cancel"))


def _tokens_page(status: int = 200, new_token=None, errors: dict | None = None, name: str = ""):
    tokens = api_tokens.list_api_tokens(db_session(), current_user.id)
    return _page(
        "tokens.html",
        status,
        tokens=tokens,
        new_token=new_token,
        errors=errors or {},
        name=name,
        status_of=api_tokens.token_status,
        choices=api_tokens.EXPIRY_CHOICES,
    )


@bp.get("/tokens")
@login_required
def tokens():
    """Signed-in users. My API tokens (prefix, created, last used, status)."""
    return _tokens_page()


@bp.post("/tokens")
@login_required
def create_token():
    """Signed-in users. Create an API token; the full token is shown once, on this answer."""
    form = TokenForm()
    name = form.name.data
    on_error(
        lambda exc: _tokens_page(
            errors=exc.errors if isinstance(exc, ValidationFailed) else {"form": exc.message},
            name=name,
        )
    )
    raw_days = form.expires_in_days.data
    days = int(raw_days) if raw_days.isdigit() else -1
    created = api_tokens.create_api_token(db_session(), current_user.id, name, days)
    return _tokens_page(201, new_token=created)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Signed-in users. Revoke one of my API tokens (404 if not mine)."""
    token = api_tokens.revoke_api_token(db_session(), current_user.id, token_id)
    flash(f"Token “{token.name}” revoked: requests using it are refused from now on.", "success")
    return redirect(url_for("account.tokens"))
