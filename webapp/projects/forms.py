"""The project forms (create, invite), declared once."""

from __future__ import annotations

from webapp.forms import Form, text


class ProjectForm(Form):
    name = text()
    description = text()


class InvitationForm(Form):
    email = text()
    role = text()


class DeleteProjectForm(Form):
    confirm_name = text()


class RoleForm(Form):
    role = text()
