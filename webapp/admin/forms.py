"""The admin forms, declared once; the rules stay in dra.admin."""

from __future__ import annotations

from dra.admin import tiers
from webapp.forms import Form, text


class BetaForm(Form):
    email = text()
    note = text()


# One text input per tier field (name, price, order, then each limit), as dra.admin.tiers
# lists them: the service parses and checks every value.
TierForm = type("TierForm", (Form,), {name: text() for name in tiers.FIELDS})
