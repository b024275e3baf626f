"""Sign-in flows (UC-AUTH-01..10): register, verify, sign in and out, reset a forgotten
password, unsubscribe, Google sign-in, and the JSON session/profile checks.

Every view here is public except ``logout`` and the two JSON endpoints, which need a
signed-in user (session or API token). The sign-in, register, forgot-password and
resend-verification forms are rate limited (10 POSTs per 15 minutes per address).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from dra.accounts.authentication import SignIn, check_credentials
from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.accounts.preferences import read_unsubscribe_token, unsubscribe
from dra.accounts.profile import profile
from dra.accounts.recovery import RESET_FAILED, request_password_reset, reset_password
from dra.accounts.recovery import reset_token_user as _reset_user
from dra.accounts.registration import (
    register,
    resend_verification,
    verify_email,
)
from webapp.auth import google
from webapp.auth.loader import start_session
from webapp.auth.mailing import (
    external_url,
    send_password_changed,
    send_to_user,
    send_verification,
)
from webapp.database import db_session, get_database
from webapp.errors import on_error
from webapp.extensions import limiter
from webapp.urls import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")
api_bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")

AUTH_LIMIT = "10 per 15 minutes"
SIGN_IN_FAILED = "Invalid email or password."
NOT_VERIFIED = (
    "Please confirm your email address before signing in: open the link we sent "
    "you, or ask for a new one below."
)
SUSPENDED = "This account is suspended. Contact an administrator."
CHECK_INBOX = (
    "If an account needs it, we've sent a new verification link to that address. "
    "It works once, within 24 hours."
)
RESET_SENT = (
    "If an account exists for that address, we've sent a link to reset the password. "
    "It works once, within an hour."
)
UNSUBSCRIBE_FAILED = "Unsubscription failed. Please try again."

PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.register",
        "auth.verify",
        "auth.resend_verification",
        "auth.forgot_password",
        "auth.reset",
        "auth.unsubscribe",
        "auth.google_login",
        "auth.google_callback",
    }
)
"""Endpoints of this module that are intentionally reachable without signing in."""


def _form(name: str) -> str:
    return request.form.get(name, "")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    """Public. UC-AUTH-02: the sign-in form; one message for unknown email or wrong password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    if request.method == "GET":
        return render_template("auth/login.html", email="", google=google.google_enabled())
    email, password = _form("email").strip(), _form("password")
    with get_database().system_session() as db:
        result = check_credentials(db, email, password)
        if result.outcome is SignIn.OK:
            start_session(result.user)
    if result.outcome is SignIn.OK:
        return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
    message, status = {
        SignIn.UNVERIFIED: (NOT_VERIFIED, 403),
        SignIn.SUSPENDED: (SUSPENDED, 403),
    }.get(result.outcome, (SIGN_IN_FAILED, 401))
    flash(message, "error")
    return render_template(
        "auth/login.html",
        email=email,
        google=google.google_enabled(),
        unverified=result.outcome is SignIn.UNVERIFIED,
    ), status


@bp.post("/logout")
@login_required
def logout():
    """Signed-in users. UC-AUTH-07: end the session."""
    logout_user()
    session.clear()
    flash("You have been signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"], endpoint="register")
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register_view():
    """Public. UC-AUTH-01: create an account, then mail a verification link."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    values = {k: _form(k).strip() for k in ("first_name", "last_name", "email")}
    if request.method == "GET":
        return render_template(
            "auth/register.html", values=values, errors={}, google=google.google_enabled()
        )
    on_error(
        lambda exc: render_template(
            "auth/register.html", values=values, errors=exc.errors, google=google.google_enabled()
        )
    )
    with get_database().system_session() as db:
        user, secret = register(
            db,
            password=_form("password"),
            confirm_password=request.form.get("confirm_password"),
            **values,
        )
        send_verification(db, user, secret)
    return render_template(
        "auth/message.html",
        title="Check your email",
        message=(
            f"Your account was created. We've sent a link to {user.email}: open it to "
            "confirm your address, then sign in."
        ),
        resend=True,
        email=user.email,
    )


@bp.get("/verify/<token>")
def verify(token: str):
    """Public. UC-AUTH-04: the link in the verification email (works once, 24 hours)."""
    on_error(
        lambda exc: render_template(
            "auth/message.html",
            title="Verification failed",
            message=exc.message,
            resend=True,
            email="",
        )
    )
    with get_database().system_session() as db:
        verify_email(db, token)
    flash("Email verified successfully. Please sign in to continue.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/resend-verification", methods=["GET", "POST"], endpoint="resend_verification")
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def resend_verification_view():
    """Public. UC-AUTH-05: mail a new verification link; the same answer for any email."""
    if request.method == "GET":
        return render_template(
            "auth/message.html",
            title="New verification link",
            message="Enter your email address to get a new link.",
            resend=True,
            email=request.args.get("email", "")[:320],
        )
    email = _form("email").strip()
    with get_database().system_session() as db:
        found = resend_verification(db, email)
        if found is not None:
            user, secret = found
            send_verification(db, user, secret)
    return render_template(
        "auth/message.html", title="Check your email", message=CHECK_INBOX, resend=False, email=""
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def forgot_password():
    """Public. UC-AUTH-06 step 1: mail a reset link; the same answer for any email."""
    if request.method == "GET":
        return render_template("auth/forgot.html", email="")
    email = _form("email").strip()
    with get_database().system_session() as db:
        found = request_password_reset(db, email)
        if found is not None:
            user, secret = found
            send_to_user(
                db,
                user,
                "reset_password",
                "password_reset",
                reset_url=external_url("auth.reset", token=secret),
                hours=1,
            )
    return render_template(
        "auth/message.html", title="Check your email", message=RESET_SENT, resend=False, email=""
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Public. UC-AUTH-06 step 2: choose a new password; other sessions end."""
    if request.method == "GET":
        with get_database().system_session() as db:
            valid = _reset_user(db, token) is not None
        if not valid:
            return render_template(
                "auth/message.html", title="Link expired", message=RESET_FAILED, forgot=True
            ), 400
        return render_template("auth/reset.html", errors={})

    def refused(exc: AccountError):
        if isinstance(exc, ValidationFailed):
            return render_template("auth/reset.html", errors=exc.errors)
        return render_template(
            "auth/message.html", title="Link expired", message=exc.message, forgot=True
        )

    on_error(refused)
    with get_database().system_session() as db:
        user = reset_password(db, token, _form("password"), _form("confirm_password"))
        send_password_changed(db, user)
    logout_user()
    session.clear()
    flash("Your password was changed. Please sign in with the new one.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
def unsubscribe_view(token: str):
    """Public. UC-AUTH-10 / UC-ACC-11: the signed link in every email; GET asks to
    confirm (mail scanners open links), POST turns optional emails off."""
    user_id = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    if user_id is None:
        return render_template(
            "auth/message.html", title="Unsubscribe", message=UNSUBSCRIBE_FAILED
        ), 400
    if request.method == "GET":
        return render_template("auth/unsubscribe.html", token=token)
    try:
        with get_database().system_session() as db:
            unsubscribe(db, user_id)
    except NotFound:
        return render_template(
            "auth/message.html", title="Unsubscribe", message=UNSUBSCRIBE_FAILED
        ), 400
    return render_template(
        "auth/message.html",
        title="Unsubscribed",
        message=(
            "Unsubscribed successfully. You will only receive emails about your account's security."
        ),
    )


@bp.get("/google")
@limiter.limit(AUTH_LIMIT)
def google_login():
    """Public. UC-AUTH-03: start Google sign-in (404 when not configured)."""
    return google.begin()


@bp.get("/google/callback")
def google_callback():
    """Public. UC-AUTH-03: Google redirects back here with a code."""
    return google.finish()


@api_bp.get("/session")
@login_required
def session_check():
    """Signed-in users (session or API token). UC-AUTH-08: 200 with who is signed in, else 401."""
    return jsonify(
        authenticated=True,
        message="validated token",
        user={
            "id": current_user.id,
            "email": current_user.email,
            "name": current_user.display_name,
            "is_platform_admin": current_user.is_platform_admin,
        },
        via=("api_token" if current_user.via_api_token else "session"),
    )


@api_bp.get("/me")
@login_required
def me():
    """Signed-in users (session or API token). UC-AUTH-09: the profile as JSON."""
    try:
        return jsonify(profile(db_session(), current_user.id))
    except NotFound:
        abort(404, description="Account not found.")
