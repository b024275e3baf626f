"""Projects and their members (UC-PROJ-01..10) under ``/api/v1/projects``.

Any signed-in user lists their projects and creates one; members read a project and its
members; owners and admins invite (10 per 15 minutes, as the page), change roles and
remove members, under the same rules (dra.projects).
"""

from __future__ import annotations

from datetime import datetime

from flask import request, url_for
from flask_login import current_user
from pydantic import Field

from dra.permissions import Permission
from dra.projects import invitations, members, projects
from webapp.api import USER, Model, Strict, api_blueprint, listing, operation, out
from webapp.database import app_settings, db_session, get_database
from webapp.projects.views import INVITATION_RATE

bp = api_blueprint("projects", "/projects")
TAGS = ["projects"]


class ProjectIn(Strict):
    name: str = Field(description="at most 200 characters, unique among your projects")
    description: str | None = None


class ProjectOut(Model):
    id: int
    name: str
    description: str | None
    role: str = Field(description="your role in the project")
    owner_name: str
    created_at: datetime


class ProjectDetailOut(ProjectOut):
    members: int
    data_sources: int
    data_models: int
    dashboards: int


class MemberOut(Model):
    id: int
    user_id: int
    name: str
    email: str
    role: str
    is_project_owner: bool
    joined_at: datetime


class InvitationIn(Strict):
    email: str
    role: str = Field(description="viewer, editor or admin")


class InvitationOut(Model):
    email: str
    role: str
    added_directly: bool = Field(description="true: the person had an account and was added")


class RoleIn(Strict):
    role: str = Field(description="viewer, editor, admin or owner")


def _detail(project_id: int, role: str) -> dict:
    info = projects.project_detail(db_session(), project_id)
    p = info.project
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "role": role,
        "owner_name": info.owner_name,
        "created_at": p.created_at,
        "members": info.members,
        "data_sources": info.data_sources,
        "data_models": info.data_models,
        "dashboards": info.dashboards,
    }


@bp.get("")
@listing(USER, ProjectOut, tags=TAGS)
def index():
    """Your projects (owned or joined), newest first."""
    return projects.list_projects(db_session(), current_user.id)


@bp.post("")
@operation(USER, json=ProjectIn, resp={201: ProjectDetailOut}, tags=TAGS)
def create():
    """A new project, owned by you (the tier's project limit: 403)."""
    body = request.context.json
    project = projects.create_project(db_session(), current_user.id, body.name, body.description)
    location = url_for("api_projects.get", project_id=project.id)
    return out(ProjectDetailOut, _detail(project.id, "owner"), 201, {"Location": location})


@bp.get("/<int:project_id>")
@operation(Permission.PROJECT_VIEW, resp={200: ProjectDetailOut}, tags=TAGS)
def get(project_id: int, access):
    """One project with its counts."""
    return out(ProjectDetailOut, _detail(project_id, access.role))


@bp.get("/<int:project_id>/members")
@listing(Permission.PROJECT_VIEW, MemberOut, tags=TAGS)
def members_list(project_id: int, access):
    """Members with their roles, owners first, then by name."""
    return members.list_members(db_session(), project_id)


@bp.post("/<int:project_id>/invitations")
@operation(
    Permission.PROJECT_MANAGE_MEMBERS,
    json=InvitationIn,
    resp={201: InvitationOut},
    rate=INVITATION_RATE,
    tags=TAGS,
)
def invite(project_id: int, access):
    """Invite by email: someone with an account is added at once, anyone else is mailed."""
    body = request.context.json
    with get_database().system_session() as limits:  # the owner's tier, as the page reads it
        result = invitations.invite(
            db_session(),
            project_id,
            body.email,
            body.role,
            inviter_id=current_user.id,
            base_url=app_settings().public_base_url,
            limit_session=limits,
        )
    return out(InvitationOut, result, 201)


@bp.patch("/<int:project_id>/members/<int:member_id>")
@operation(Permission.PROJECT_MANAGE_MEMBERS, json=RoleIn, resp={200: MemberOut}, tags=TAGS)
def change_role(project_id: int, member_id: int, access):
    """Change a member's role (the project's owner is never demoted)."""
    row = members.change_role(
        db_session(), project_id, member_id, request.context.json.role, actor_role=access.role
    )
    return out(MemberOut, row)


@bp.delete("/<int:project_id>/members/<int:member_id>")
@operation(Permission.PROJECT_MANAGE_MEMBERS, resp={200: MemberOut}, tags=TAGS)
def remove_member(project_id: int, member_id: int, access):
    """Remove a member (never the project's owner); answers the member removed."""
    row = members.remove_member(db_session(), project_id, member_id, actor_role=access.role)
    return out(MemberOut, row)
