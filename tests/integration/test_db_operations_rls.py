"""Row-level security of the operations tables, checked in SQL as separate users: backups,
schedules and alerts are for platform admins only (the database pages reach them through
the system session after their own access check)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dra.db import act_as
from dra.models import Alert, Backup, BackupSchedule

TABLES = ("backups", "backup_schedules", "alerts")


@pytest.fixture
def rows(database, make_user):
    admin = make_user(email="admin@example.com", platform_admin=True)
    user = make_user(email="user@example.com")
    with database.system_session() as s:
        s.add_all(
            [
                Backup(file_name="dra-backup-20260101T000000Z.zip"),
                BackupSchedule(cron="0 2 * * *"),
                Alert(source="backup", severity="error", title="x"),
            ]
        )
    return admin, user


def _counts(database, user_id: int, admin: bool) -> dict[str, int]:
    with database.AppSession() as s:  # runs as dra_app
        act_as(s, user_id, platform_admin=admin)
        return {t: s.execute(text(f"select count(*) from app.{t}")).scalar() for t in TABLES}


def test_only_platform_admins_see_operations_rows(database, rows):
    admin, user = rows
    assert _counts(database, admin.id, True) == dict.fromkeys(TABLES, 1)
    assert _counts(database, user.id, False) == dict.fromkeys(TABLES, 0)
    # claiming to be an admin does not help a user who is not one
    assert _counts(database, user.id, True) == dict.fromkeys(TABLES, 0)


def test_users_cannot_write_operations_rows(database, rows):
    _, user = rows
    with database.AppSession() as s:
        act_as(s, user.id)
        assert s.execute(text("update app.backups set status = 'failed'")).rowcount == 0
        assert s.execute(text("delete from app.alerts")).rowcount == 0
        s.rollback()
