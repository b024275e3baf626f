"""Health of the platform's parts: the app database and Dagster's run storage."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, text

from dra.db import Database


def _check_app_database(database: Database) -> dict[str, Any]:
    try:
        with database.system_engine.connect() as conn:
            version = conn.execute(text("show server_version")).scalar()
            revision = conn.execute(text("select version_num from app.alembic_version")).scalar()
        return {"status": "ok", "server_version": version, "revision": revision}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"status": "error", "error": str(exc).splitlines()[0]}


@lru_cache(maxsize=4)
def _storage_engine(url: str) -> Engine:
    """One small pool per storage URL: a monitor polling /healthz reuses its connection."""
    return create_engine(
        url, connect_args={"connect_timeout": 3}, pool_size=1, max_overflow=1, pool_pre_ping=True
    )


def _check_pipeline_storage() -> dict[str, Any]:
    url = os.environ.get("DRA_DAGSTER_PG_URL")
    if not url:
        return {"status": "unconfigured", "detail": "DRA_DAGSTER_PG_URL is not set"}
    engine = _storage_engine(url)
    try:
        with engine.connect() as conn:
            has_runs = conn.execute(text("select to_regclass('public.runs') is not null")).scalar()
            runs = conn.execute(text("select count(*) from runs")).scalar() if has_runs else 0
        return {"status": "ok" if has_runs else "initialising", "runs": runs}
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "error": str(exc).splitlines()[0]}


def check_health(database: Database) -> dict[str, Any]:
    db = _check_app_database(database)
    pipelines = _check_pipeline_storage()
    ok = db["status"] == "ok" and pipelines["status"] in {"ok", "initialising", "unconfigured"}
    return {"status": "ok" if ok else "error", "database": db, "pipeline_storage": pipelines}


def public_health(report: dict[str, Any]) -> dict[str, str]:
    """What anyone may know: up or not (no versions, revision or error text)."""
    return {"status": "ok" if report["status"] == "ok" else "unavailable"}
