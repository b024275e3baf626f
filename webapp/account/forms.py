"""The account forms, declared once; the rules stay in dra.accounts."""

from __future__ import annotations

from wtforms import StringField

from webapp.forms import Form, text


class ProfileForm(Form):
    first_name = text()
    last_name = text()


class PasswordForm(Form):
    current_password = text()
    new_password = text()
    confirm_new_password = text()


class CancelForm(Form):
    reason = text()
    confirm = text()


class TokenForm(Form):
    name = text()
    expires_in_days = StringField(default="0")
