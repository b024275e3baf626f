"""behave harness: one embedded PostgreSQL for the run, a fresh migrated database, data
folder and Dagster instance per scenario; whatever a scenario registers in
``context.cleanups`` is undone before its database is dropped."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps a lock file there; must be 0700
    _runtime = Path(f"/tmp/dra-runtime-{os.getuid()}")
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)
# Backup retries (Dagster RetryPolicy) read when the definitions are built: short here.
os.environ.setdefault("DRA_BACKUP_MAX_RETRIES", "2")
os.environ.setdefault("DRA_BACKUP_RETRY_DELAY_SECONDS", "0.2")

SCENARIO_ENV = ("DRA_FAULT_INJECT", "DRA_DATABASE_URL", "DRA_DATA_DIR")


def before_all(context):
    from tests.support.pg import start_cluster

    context.tmp = tempfile.TemporaryDirectory(prefix="dra-behave-")
    context.cluster = start_cluster(Path(context.tmp.name), os.environ.get("DRA_TEST_DATABASE_URL"))
    context.scenario_count = 0


def before_scenario(context, scenario):
    from dra.db import Database
    from dra.migrate import upgrade
    from dra.settings import load_settings

    context.scenario_count += 1
    context.saved_env = {name: os.environ.get(name) for name in SCENARIO_ENV}
    context.cleanups = []
    context.database_url = context.cluster.create_database()
    upgrade(context.database_url)
    context.database = Database(context.database_url)
    context.data_dir = Path(context.tmp.name) / f"data-{context.scenario_count}"
    context.settings = load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(context.data_dir),
            "DRA_DATABASE_URL": context.database_url,
        }
    )


def after_scenario(context, scenario):
    for cleanup in reversed(context.cleanups):
        cleanup()
    for name, value in context.saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    context.database.dispose()
    context.cluster.drop_database(context.database_url.rsplit("/", 1)[1].split("?")[0])
    shutil.rmtree(context.data_dir, ignore_errors=True)


def after_all(context):
    context.cluster.stop()
    context.tmp.cleanup()
