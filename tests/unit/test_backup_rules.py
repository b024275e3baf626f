"""Plain rules of backups: archive names, unsafe member paths, schedules, faults, retries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assets.backups import retry_policy_from_env
from dra.operations import faults
from dra.operations.archive import timestamped_name, unsafe_name
from dra.operations.schedules import ScheduleError, next_run, validate


def test_archive_names_carry_the_utc_time():
    moment = datetime(2026, 11, 25, 12, 1, 2, tzinfo=UTC)
    assert timestamped_name(moment) == "dra-backup-20261125T120102Z.zip"


@pytest.mark.parametrize(
    "name", ["../../x", "/etc/passwd", "a/../../b", "..", "c:\\x", "a\\b", "C:/x", ""]
)
def test_unsafe_member_names(name):
    assert unsafe_name(name)


@pytest.mark.parametrize("name", ["metadata.json", "database.dump", "dir/file.txt"])
def test_safe_member_names(name):
    assert not unsafe_name(name)


@pytest.mark.parametrize(
    ("cron", "retention", "field"),
    [
        ("", 7, "cron"),
        ("* * *", 7, "cron"),
        ("0 25 * * *", 7, "cron"),
        ("0 2 * * * *", 7, "cron"),
        ("0 2 * * *", 0, "retention_count"),
        ("0 2 * * *", "x", "retention_count"),
        ("0 2 * * *", 5000, "retention_count"),
    ],
)
def test_invalid_schedules_name_the_field(cron, retention, field):
    with pytest.raises(ScheduleError) as exc:
        validate("nightly", cron, retention)
    assert exc.value.field == field


def test_unknown_timezone_is_refused():
    with pytest.raises(ScheduleError, match="time zone"):
        validate("n", "0 2 * * *", 3, "Mars/Olympus")


def test_next_run_follows_the_cron_in_its_timezone():
    after = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert next_run("0 2 * * *", after) == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert next_run("0 2 * * *", after, "Europe/Berlin") == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def test_faults_are_off_unless_named(monkeypatch):
    monkeypatch.delenv(faults.FAULT_VARIABLE, raising=False)
    faults.raise_if("migration")
    monkeypatch.setenv(faults.FAULT_VARIABLE, "pg_dump, bogus")
    assert faults.active_faults() == {"pg_dump"}
    faults.raise_if("migration")
    monkeypatch.setenv(faults.FAULT_VARIABLE, "migration")
    with pytest.raises(faults.InjectedFault, match="DRA_FAULT_INJECT=migration"):
        faults.raise_if("migration")
    monkeypatch.setenv(faults.FAULT_VARIABLE, "disk_full")
    with pytest.raises(OSError, match="No space left"):
        faults.raise_if("disk_full")


def test_retry_policy_backs_off_exponentially():
    policy = retry_policy_from_env(
        {"DRA_BACKUP_MAX_RETRIES": "2", "DRA_BACKUP_RETRY_DELAY_SECONDS": "30"}
    )
    assert policy.max_retries == 2
    assert [policy.calculate_delay(n) for n in (1, 2)] == [30, 90]
    assert retry_policy_from_env({}).max_retries == 3
