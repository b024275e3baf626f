"""behave harness: one embedded PostgreSQL for the run, a migrated database per feature."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/dra-runtime")


def before_all(context):
    from tests.support.pg import start_cluster

    context.tmp = tempfile.TemporaryDirectory(prefix="dra-behave-")
    context.cluster = start_cluster(Path(context.tmp.name), os.environ.get("DRA_TEST_DATABASE_URL"))


def before_scenario(context, scenario):
    from dra.db import Database
    from dra.migrate import upgrade
    from dra.settings import load_settings

    context.database_url = context.cluster.create_database()
    upgrade(context.database_url)
    context.database = Database(context.database_url)
    context.settings = load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(Path(context.tmp.name) / "data"),
            "DRA_DATABASE_URL": context.database_url,
        }
    )


def after_scenario(context, scenario):
    context.database.dispose()
    context.cluster.drop_database(context.database_url.rsplit("/", 1)[1].split("?")[0])


def after_all(context):
    context.cluster.stop()
    context.tmp.cleanup()
