"""Applying migrations with a clear outcome, and an alert when they fail."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dra import migrate
from dra.operations import faults


@dataclass(frozen=True)
class MigrationResult:
    ok: bool
    message: str
    before: str | None
    after: str | None


def apply_migrations(url: str, revision: str = "head") -> MigrationResult:
    """Upgrade to ``revision``. A failing migration rolls back whole and raises an alert."""
    before = migrate.status(url).current
    try:
        faults.raise_if("migration")
        migrate.upgrade(url, revision)
    except Exception as exc:  # noqa: BLE001 - any failure is reported and recorded
        after = migrate.status(url).current
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        _record_failure(url, before=before, after=after, revision=revision, error=detail)
        return MigrationResult(
            False,
            f"Migration to {revision} failed and was rolled back "
            f"(schema stays at {after or 'empty'}): {detail}",
            before,
            after,
        )
    after = migrate.status(url).current
    if before == after:
        return MigrationResult(True, f"Schema is up to date ({after}).", before, after)
    return MigrationResult(
        True, f"Schema upgraded from {before or 'empty'} to {after}.", before, after
    )


def _record_failure(url: str, **details: str | None) -> None:
    from dra.alerts import raise_alert
    from dra.db import Database

    database = Database(url)
    try:
        with database.system_session() as s:
            raise_alert(
                s,
                source="migration",
                title="Database migration failed",
                details={**details, "message": details.get("error") or "failed"},
            )
    except Exception:  # noqa: BLE001 - the schema may be too old to hold alerts
        logging.getLogger(__name__).warning("could not record the migration alert", exc_info=True)
    finally:
        database.dispose()
