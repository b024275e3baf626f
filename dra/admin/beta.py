"""The private-beta allowlist (UC-ADM-04)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.models import BetaAllowlistEntry
from dra.models.columns import EMAIL_LENGTH

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def list_entries(session: Session) -> list[BetaAllowlistEntry]:
    return list(
        session.scalars(select(BetaAllowlistEntry).order_by(BetaAllowlistEntry.created_at.desc()))
    )


def add_entry(
    session: Session, email: str | None, note: str | None, *, actor_id: int
) -> BetaAllowlistEntry:
    email = (email or "").strip()
    if not email or len(email) > EMAIL_LENGTH or not _EMAIL.match(email):
        raise AdminError("Invalid email format.", status=400, field="email")
    exists = session.scalar(
        select(BetaAllowlistEntry.id).where(func.lower(BetaAllowlistEntry.email) == email.lower())
    )
    if exists is not None:
        raise AdminError(f"{email} is already on the allowlist.", status=409, field="email")
    entry = BetaAllowlistEntry(email=email, note=(note or "").strip() or None, added_by=actor_id)
    session.add(entry)
    session.flush()
    return entry


def remove_entry(session: Session, entry_id: int) -> str:
    entry = session.get(BetaAllowlistEntry, entry_id)
    if entry is None:
        raise AdminError("Allowlist entry not found.", status=404)
    email = entry.email
    session.delete(entry)
    session.flush()
    return email
