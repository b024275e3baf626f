"""``dra db upgrade`` reports a failing migration in its exit code and records an alert."""

from __future__ import annotations

from sqlalchemy import select

from dra.cli import main
from dra.models import Alert, Notification
from dra.operations import faults


def test_failed_upgrade_exits_1_alerts_and_notifies_admins(
    database, make_user, tmp_path, monkeypatch, capsys
):
    admin = make_user(email="root@example.com", platform_admin=True)
    monkeypatch.setenv("DRA_DATABASE_URL", database.url)
    monkeypatch.setenv("DRA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(faults.FAULT_VARIABLE, "migration")
    assert main(["db", "upgrade"]) == 1
    assert "failed and was rolled back" in capsys.readouterr().out
    with database.system_session() as s:
        alert = s.scalars(select(Alert)).one()
        note = s.scalars(select(Notification).where(Notification.user_id == admin.id)).one()
    assert alert.source == "migration" and note.type == "alert.migration"
    monkeypatch.delenv(faults.FAULT_VARIABLE)
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
