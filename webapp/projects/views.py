"""Project pages. Every project view goes through ``webapp.authz``; logic is in dra.projects."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from dra.permissions import ROLES, Permission
from dra.projects import invitations, members, projects
from dra.projects.errors import ProjectError
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import app_settings, commit, db_session, get_database
from webapp.errors import on_error
from webapp.extensions import limiter
from webapp.projects.forms import DeleteProjectForm, InvitationForm, ProjectForm, RoleForm

bp = project_scoped(Blueprint("projects", __name__, url_prefix="/projects"))

INVITATION_RATE = "10 per 15 minutes"


SECTION_LABELS = {
    "sources": "Data sources",
    "models": "Data models",
    "modeling": "Data models",
    "ai": "AI modeler",
    "dashboards": "Dashboards",
    "quality": "Quality",
    "attribution": "Attribution",
    "insights": "Insights",
}


@bp.app_template_global()
def project_sections(project_id: int) -> list[tuple[str, str, str]]:
    """(blueprint, label, url) of each feature's index page at /projects/<id>/<feature>, for
    tabs (an index page deeper down, such as sources/connect, belongs to its feature's tab)."""
    prefix = "/projects/<int:project_id>/"
    sections = []
    # A feature may hide its tab per project: extensions["dra_section_visible"][blueprint].
    visible = current_app.extensions.get("dra_section_visible", {})
    for rule in current_app.url_map.iter_rules():
        blueprint, _, name = rule.endpoint.partition(".")
        if blueprint in visible and not visible[blueprint](project_id):
            continue
        if (
            name == "index"
            and blueprint != "projects"
            and "GET" in rule.methods
            and rule.rule.startswith(prefix)
            and "/" not in rule.rule[len(prefix) :].strip("/")
            and set(rule.arguments) == {"project_id"}
        ):
            label = SECTION_LABELS.get(blueprint, blueprint.replace("_", " ").title())
            sections.append((blueprint, label, url_for(rule.endpoint, project_id=project_id)))
    return sorted(
        sections, key=lambda s: list(SECTION_LABELS).index(s[0]) if s[0] in SECTION_LABELS else 99
    )


def _per_user() -> str:
    """Rate-limit key: the signed-in user (their address when anonymous)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def _base_url() -> str:
    return app_settings().public_base_url


@bp.get("/")
@login_required
def index():
    rows = projects.list_projects(db_session(), current_user.id)
    return render_template("projects/index.html", projects=rows)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = ProjectForm()
    on_error(lambda exc: render_template("projects/new.html", form=form.data, error=exc))
    if request.method == "POST":
        project = projects.create_project(
            db_session(), current_user.id, form.name.data, form.description.data
        )
        flash("The project has been added.", "success")
        return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/new.html", form=form.data, error=None)


@bp.get("/<int:project_id>")
@requires(Permission.PROJECT_VIEW)
def detail(project_id: int, access: ProjectAccess):
    info = projects.project_detail(db_session(), project_id)
    return render_template(
        "projects/detail.html", info=info, members=members.list_members(db_session(), project_id)
    )


@bp.route("/<int:project_id>/delete", methods=["GET", "POST"])
@requires(Permission.PROJECT_DELETE)
def delete(project_id: int, access: ProjectAccess):
    on_error(lambda exc: render_template("projects/delete.html", error=exc))
    if request.method == "POST":
        confirm_name = DeleteProjectForm().confirm_name.data
        name = projects.delete_project(
            db_session(), project_id, confirm_name, actor_id=current_user.id
        )
        commit()  # the rows go first; then the data schemas and files
        projects.remove_project_data(get_database(), app_settings().data_dir, project_id)
        flash(f"The project “{name}” has been deleted.", "success")
        return redirect(url_for("projects.index"))
    return render_template("projects/delete.html", error=None)


def _members_page(
    project_id: int,
    access: ProjectAccess,
    *,
    error: ProjectError | None = None,
    form: dict | None = None,
):
    session = db_session()
    can_manage = access.can(Permission.PROJECT_MANAGE_MEMBERS)
    pending = invitations.pending_invitations(session, project_id) if can_manage else []
    return render_template(
        "projects/members.html",
        members=members.list_members(session, project_id),
        pending=pending,
        can_manage=can_manage,
        roles=list(reversed(ROLES)),
        invitable=invitations.INVITABLE,
        error=error,
        form=form or {"email": "", "role": "viewer"},
    )


def _members_action(project_id: int, access: ProjectAccess) -> None:
    """A refused member action answers the members page again with the message."""
    on_error(lambda exc: _members_page(project_id, access, error=exc))


def _back_to_members(project_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("projects.members_list", project_id=project_id))


@bp.get("/<int:project_id>/members")
@requires(Permission.PROJECT_VIEW)
def members_list(project_id: int, access: ProjectAccess):
    return _members_page(project_id, access)


@bp.post("/<int:project_id>/invitations")
@limiter.limit(INVITATION_RATE, key_func=_per_user)
@requires(Permission.PROJECT_MANAGE_MEMBERS)
def invite(project_id: int, access: ProjectAccess):
    form = InvitationForm()
    on_error(lambda exc: _members_page(project_id, access, error=exc, form=form.data))
    # The owner's tier decides the member limit; RLS shows a subscription only to its
    # user, so the limit is read through a system session (read-only, nothing written).
    with get_database().system_session() as limits:
        result = invitations.invite(
            db_session(),
            project_id,
            form.email.data,
            form.role.data,
            inviter_id=current_user.id,
            base_url=_base_url(),
            limit_session=limits,
        )
    if result.added_directly:
        message = f"{result.email} already had an account and was added as {result.role}."
    else:
        message = f"Invitation sent to {result.email} ({result.role})."
    return _back_to_members(project_id, message)


@bp.post("/<int:project_id>/invitations/<int:invitation_id>/cancel")
@requires(Permission.PROJECT_MANAGE_MEMBERS)
def cancel_invitation(project_id: int, invitation_id: int, access: ProjectAccess):
    _members_action(project_id, access)
    email = invitations.cancel_invitation(db_session(), project_id, invitation_id)
    return _back_to_members(project_id, f"The invitation to {email} was cancelled.")


@bp.post("/<int:project_id>/members/<int:member_id>/role")
@requires(Permission.PROJECT_MANAGE_MEMBERS)
def change_role(project_id: int, member_id: int, access: ProjectAccess):
    _members_action(project_id, access)
    row = members.change_role(
        db_session(), project_id, member_id, RoleForm().role.data, actor_role=access.role
    )
    return _back_to_members(project_id, f"{row.name} is now {row.role}.")


@bp.post("/<int:project_id>/members/<int:member_id>/remove")
@requires(Permission.PROJECT_MANAGE_MEMBERS)
def remove_member(project_id: int, member_id: int, access: ProjectAccess):
    _members_action(project_id, access)
    row = members.remove_member(db_session(), project_id, member_id, actor_role=access.role)
    return _back_to_members(project_id, f"{row.name} was removed from the project.")


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The link in an invitation email: sign in (or register), then accept or decline.

    Uses a system session on purpose: the invitee is not a member of the project yet, so
    row-level security would hide the project's name, its member count and the owner's
    tier, which the page and the member-limit check need. The secret token plus the
    signed-in user's email matching the invited one are the authorization here.
    """
    database = get_database()
    on_error(lambda exc: render_template("projects/invitation.html", error=exc, view=None))
    with database.system_session() as session:
        inv = invitations.invitation_by_token(session, token)
        project_name = projects.get_project(session, inv.project_id).name
        view = {
            "email": inv.email,
            "role": inv.role,
            "project_name": project_name,
            "status": inv.status,
            "expires_at": inv.expires_at,
        }
        if request.method == "GET":
            invitations.check_open(inv)
        if not current_user.is_authenticated:
            return _anonymous_invitation(view)
        invitations.check_addressed_to(inv, current_user.email)
        action = request.form.get("action")
        accept = action == "accept"
        project_id = None
        if request.method == "POST":
            if action not in ("accept", "decline"):
                raise ProjectError("Choose Accept or Decline.", status=400, field="action")
            project_id = invitations.respond(session, inv, current_user.id, accept=accept)
    if project_id is None:
        return render_template("projects/invitation.html", error=None, view=view)
    if accept:
        flash(f"Welcome to {project_name}.", "success")
        return redirect(url_for("projects.detail", project_id=project_id))
    flash(f"You declined the invitation to {project_name}.", "info")
    return redirect(url_for("projects.index"))


def _anonymous_invitation(view: dict):
    next_url = request.path
    register_url = None
    if "auth.register" in current_app.view_functions:
        register_url = url_for("auth.register", next=next_url, email=view["email"])
    return render_template(
        "projects/invitation.html",
        error=None,
        view=view,
        anonymous=True,
        login_url=url_for("auth.login", next=next_url),
        register_url=register_url,
    )
