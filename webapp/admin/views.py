"""Admin pages: every view is for platform admins only (``@platform_admin_required``).

The request session acts as the signed-in platform admin, for whom row-level
security opens platform tables; the logic lives in ``dra.admin``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from dra.accounts import deletion
from dra.admin import beta, cancellations, operations, platform, tiers, users
from dra.admin.errors import AdminError
from dra.models import AccountCancellationRequest, Alert, EmailOutbox, User
from dra.models.users import CancellationStatus
from webapp.admin.forms import BetaForm, TierForm
from webapp.authz import platform_admin_required
from webapp.database import app_settings, db_session, get_database
from webapp.errors import flashed, on_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _count(q) -> int:
    return int(db_session().scalar(q) or 0)


@bp.get("/")
@platform_admin_required
def index():
    counts = {
        "users": _count(select(func.count()).select_from(User)),
        "suspended": _count(
            select(func.count()).select_from(User).where(User.suspended_at.is_not(None))
        ),
        "cancellations": _count(
            select(func.count())
            .select_from(AccountCancellationRequest)
            .where(AccountCancellationRequest.status == CancellationStatus.PENDING)
        ),
        "alerts": _count(
            select(func.count()).select_from(Alert).where(Alert.acknowledged_at.is_(None))
        ),
        "outbox": _count(select(func.count()).select_from(EmailOutbox)),
    }
    return render_template("admin/index.html", counts=counts)


# --- users (UC-ADM-01, UC-ADM-03) ----------------------------------------------------


def _users_page(error: AdminError | None = None, error_user_id: int = 0):
    q = request.values.get("q", "")
    page = request.args.get("page", "1")
    result = users.list_users(db_session(), q, int(page) if page.isdigit() else 1)
    tier_list = [t for t, _ in tiers.list_tiers(db_session())]
    return render_template(
        "admin/users.html",
        result=result,
        q=q,
        tiers=tier_list,
        error=error,
        error_user_id=error_user_id,
    )


@bp.get("/users")
@platform_admin_required
def users_list():
    return _users_page()


def _back_to_users():
    return redirect(url_for("admin.users_list", q=request.form.get("q") or None))


@bp.post("/users/<int:user_id>/suspension")
@platform_admin_required
def user_suspension(user_id: int):
    suspend = request.form.get("suspend") == "1"
    on_error(flashed(_users_page))
    user = users.set_suspended(db_session(), user_id, suspend, actor_id=current_user.id)
    flash(f"{user.email} is {'suspended' if suspend else 'active again'}.", "success")
    return _back_to_users()


@bp.post("/users/<int:user_id>/admin-rights")
@platform_admin_required
def user_admin_rights(user_id: int):
    grant = request.form.get("grant") == "1"
    on_error(flashed(_users_page))
    user = users.set_platform_admin(db_session(), user_id, grant, actor_id=current_user.id)
    verb = "is now a platform admin" if grant else "is no longer a platform admin"
    flash(f"{user.email} {verb}.", "success")
    return _back_to_users()


@bp.post("/users/<int:user_id>/tier")
@platform_admin_required
def user_tier(user_id: int):
    on_error(flashed(_users_page))
    tier = users.assign_tier(db_session(), user_id, request.form.get("tier_id"))
    email = users.get_user(db_session(), user_id).email
    flash(f"{email} is on the {tier.name} tier.", "success")
    return _back_to_users()


@bp.post("/users/<int:user_id>/delete")
@platform_admin_required
def user_delete(user_id: int):
    """Delete an account with its owned projects (UC-ADM-01); the email must be typed."""

    def answer(exc: AdminError):
        if exc.field != deletion.CONFIRM_FIELD:  # beside the field, or flashed when there is
            flash(exc.message, "error")  # no delete box (admins, oneself, an unknown user)
        return _users_page(exc, user_id)

    on_error(answer)
    deleted = deletion.delete_account(
        get_database(),
        app_settings().data_dir,
        user_id,
        actor_id=current_user.id,
        confirmation=request.form.get(deletion.CONFIRM_FIELD, ""),
    )
    n = deleted.projects_deleted
    flash(
        f"The account {deleted.email} was deleted with {n} project{'' if n == 1 else 's'} "
        f"it owned{'; its subscription was cancelled' if deleted.subscription_cancelled else ''}."
        + (
            f" {len(deleted.handed_over)} shared project(s) passed to a co-owner."
            if deleted.handed_over
            else ""
        )
        + (
            " Some project data could not be removed: see the alerts."
            if deleted.data_left_project_ids
            else ""
        ),
        "success",
    )
    return _back_to_users()


# --- tiers (UC-ADM-02) ---------------------------------------------------------------


@bp.get("/tiers")
@platform_admin_required
def tiers_list():
    return render_template("admin/tiers.html", tiers=tiers.list_tiers(db_session()))


def _tier_form(tier, form, error: AdminError | None = None):
    return render_template(
        "admin/tier_form.html", tier=tier, form=form, error=error, labels=tiers.LIMIT_LABELS
    )


def _form_of(tier) -> dict[str, str]:
    values = {field: getattr(tier, field) for field in tiers.FIELDS}
    return {k: "" if v is None else str(v) for k, v in values.items()}


@bp.route("/tiers/new", methods=["GET", "POST"])
@platform_admin_required
def tier_new():
    if request.method == "POST":
        form = TierForm().data
        on_error(lambda exc: _tier_form(None, form, exc))
        tier = tiers.create_tier(db_session(), form)
        flash(f"Tier {tier.name} created.", "success")
        return redirect(url_for("admin.tiers_list"))
    form = {f: "" for f in tiers.FIELDS} | {k: "-1" for k in tiers.LIMIT_LABELS}
    return _tier_form(None, form | {"sort_order": "0"})


@bp.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
@platform_admin_required
def tier_edit(tier_id: int):
    tier = tiers.get_tier(db_session(), tier_id)
    if request.method == "POST":
        form = TierForm().data
        on_error(lambda exc: _tier_form(tier, form, exc))
        tiers.update_tier(db_session(), tier_id, form)
        flash(f"Tier {tier.name} saved; its limits apply at once.", "success")
        return redirect(url_for("admin.tiers_list"))
    return _tier_form(tier, _form_of(tier))


@bp.post("/tiers/<int:tier_id>/delete")
@platform_admin_required
def tier_delete(tier_id: int):
    on_error(
        flashed(lambda: render_template("admin/tiers.html", tiers=tiers.list_tiers(db_session())))
    )
    name = tiers.delete_tier(db_session(), tier_id)
    flash(f"Tier {name} deleted.", "success")
    return redirect(url_for("admin.tiers_list"))


# --- private beta (UC-ADM-04) and platform settings (UC-ADM-08) --------------------------


def _beta_page(form: dict | None = None):
    return render_template(
        "admin/beta.html",
        entries=beta.list_entries(db_session()),
        form=form or {"email": "", "note": ""},
        settings=platform.current_settings(db_session()),
    )


@bp.route("/beta", methods=["GET", "POST"])
@platform_admin_required
def beta_list():
    if request.method == "POST":
        form = BetaForm()
        on_error(flashed(lambda: _beta_page(form.data)))
        entry = beta.add_entry(
            db_session(), form.email.data, form.note.data, actor_id=current_user.id
        )
        flash(f"{entry.email} can now register during the private beta.", "success")
        return redirect(url_for("admin.beta_list"))
    return _beta_page()


@bp.post("/beta/<int:entry_id>/delete")
@platform_admin_required
def beta_remove(entry_id: int):
    on_error(flashed(_beta_page))
    email = beta.remove_entry(db_session(), entry_id)
    flash(f"{email} was removed from the allowlist.", "success")
    return redirect(url_for("admin.beta_list"))


@bp.route("/settings", methods=["GET", "POST"])
@platform_admin_required
def platform_settings():
    def page():
        return render_template(
            "admin/settings.html",
            values=platform.current_settings(db_session()),
            settings=platform.SETTINGS,
        )

    if request.method == "POST":
        on_error(flashed(page))
        values = platform.values_from_form(request.form)
        platform.update_settings(db_session(), values, actor_id=current_user.id)
        flash("Platform settings saved.", "success")
        return redirect(url_for("admin.platform_settings"))
    return page()


# --- account cancellations (UC-ADM-12) ---------------------------------------------------


def _cancellations_page():
    return render_template(
        "admin/cancellations.html", requests=cancellations.list_requests(db_session())
    )


@bp.get("/cancellations")
@platform_admin_required
def cancellations_list():
    return _cancellations_page()


@bp.post("/cancellations/<int:request_id>/<any(approve, reject):decision>")
@platform_admin_required
def cancellation_decide(request_id: int, decision: str):
    action = cancellations.approve if decision == "approve" else cancellations.reject
    on_error(flashed(_cancellations_page))
    action(db_session(), request_id, request.form.get("note"), actor_id=current_user.id)
    flash(
        f"Request {'approved' if decision == 'approve' else 'rejected'}; the user was emailed.",
        "success",
    )
    return redirect(url_for("admin.cancellations_list"))


# --- outbox and alerts ----------------------------------------------------------------


@bp.get("/outbox")
@platform_admin_required
def outbox():
    to = request.args.get("to", "")
    return render_template("admin/outbox.html", mails=operations.outbox(db_session(), to), to=to)


@bp.get("/outbox/<int:mail_id>")
@platform_admin_required
def outbox_mail(mail_id: int):
    mail = operations.get_mail(db_session(), mail_id)
    return render_template("admin/outbox_mail.html", mail=mail)


@bp.get("/alerts")
@platform_admin_required
def alerts():
    show_all = request.args.get("all") == "1"
    return render_template(
        "admin/alerts.html",
        show_all=show_all,
        alerts=operations.alerts(db_session(), include_acknowledged=show_all),
    )


@bp.post("/alerts/<int:alert_id>/acknowledge")
@platform_admin_required
def alert_acknowledge(alert_id: int):
    operations.acknowledge(db_session(), alert_id, actor_id=current_user.id)
    flash("Alert acknowledged.", "success")
    return redirect(url_for("admin.alerts"))
