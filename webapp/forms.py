"""The base of the web app's forms: each form is declared once, in ``<feature>/forms.py``.

Forms only parse what the browser sent (text stays text, a missing field is ``""``);
the rules and their messages live in the services, so a refused value reads the same
from every client. CSRF is checked for every POST by ``CSRFProtect``
(webapp/extensions.py), so the forms do not check it a second time.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField


class Form(FlaskForm):
    class Meta:
        csrf = False


def text() -> StringField:
    """A text input, read as sent (``""`` when absent)."""
    return StringField(default="")


class TextList(Field):
    """Every value sent under the field's name, as sent (checkboxes, repeated inputs);
    ``None`` when the name was not sent at all."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist) if valuelist else None


def texts() -> TextList:
    """A list of text values (``None`` when absent)."""
    return TextList(default=None)
