"""Sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from dra.accounts.authentication import authenticate
from webapp.auth.loader import CurrentUser
from webapp.database import get_database
from webapp.extensions import limiter
from webapp.urls import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")

SIGN_IN_FAILED = "Invalid email or password."


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        with get_database().system_session() as db:
            user = authenticate(db, email, password)
            if user is not None:
                me = CurrentUser.from_model(user)
        if user is None:
            flash(SIGN_IN_FAILED, "error")
            return render_template("auth/login.html", email=email), 401
        session.clear()  # new session at sign-in
        login_user(me)
        return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
    return render_template("auth/login.html", email="")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You have been signed out.", "info")
    return redirect(url_for("auth.login"))
