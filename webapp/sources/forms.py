"""The file-source form, declared once (the database form's fields depend on the
connector chosen, so that step reads the connection fields the connectors name)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import StringField

from webapp.forms import Form, text


class FileSourceForm(Form):
    kind = StringField(default="csv")
    name = text()
    file = FileField()
