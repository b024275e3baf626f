"""Resources, chosen by environment in one place (``build_resources``). They import no assets.

The dbt project lives here too, as a resource's project: ``dbt_project()`` is the one
cached ``DbtProject`` that the dbt resource runs and the dbt assets (assets/dbt.py) read.
Its manifest is parsed only when it is missing or older than the project's files, never
on every load: ``dagster dev`` marks its code server and every run it starts as "dev",
which made each of them run ``dbt parse`` (6 s each, and a run reading the manifest
while another rewrote it failed on half a file).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from dra.attribution.dbt_env import DBT_PROJECT_DIR, dbt_executable
from dra.db import Database
from dra.settings import Settings, load_settings

if TYPE_CHECKING:  # dagster_dbt (and dbt-core) load with the dbt assets, not with this module
    from dagster_dbt import DbtCliResource, DbtProject

PROJECT_SOURCES = ("models", "macros", "tests", "dbt_project.yml", "profiles.yml")


class PlatformResource(dg.ConfigurableResource):
    """The platform's database and settings, for assets and sensors."""

    database_url: str
    data_dir: str

    @cached_property
    def settings(self) -> Settings:
        return load_settings(
            {
                **os.environ,
                "DRA_DATABASE_URL": self.database_url,
                "DRA_DATA_DIR": self.data_dir,
            }
        )

    @cached_property
    def database(self) -> Database:
        return Database(self.settings.database_url)


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet, or a model, macro, test or setting changed since it was written."""
    if not project.manifest_path.exists():
        return True
    written = project.manifest_path.stat().st_mtime
    for name in PROJECT_SOURCES:
        path = Path(project.project_dir) / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > written for f in files):
            return True
    return False


def prepare_manifest(project: DbtProject) -> bool:
    """Parse the project when its manifest is stale (offline: no packages, no connection).

    One process parses at a time (a lock beside the manifest), into a folder of its own,
    and the new manifest replaces the old one in one rename: a process loading the
    definitions meanwhile reads the old manifest or the new one, never half of one.
    Returns whether it parsed.
    """
    if not manifest_is_stale(project):
        return False
    # absolute: dbt reads a relative target path from the project's folder, not ours
    target = Path(project.manifest_path).parent
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest_is_stale(project):  # another process parsed it while we waited
            return False
        scratch = Path(tempfile.mkdtemp(prefix="parse-", dir=target))
        try:
            build_dbt_resource(project).cli(["parse", "--quiet"], target_path=scratch).wait()
            os.replace(scratch / "manifest.json", project.manifest_path)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return True


@cache
def dbt_project() -> DbtProject:
    """The one DbtProject of dbt_project/, its manifest prepared when stale."""
    from dagster_dbt import DbtProject

    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    prepare_manifest(project)
    return project


def build_dbt_resource(project: DbtProject | None = None) -> DbtCliResource:
    """dbt's CLI on the platform project, with the dbt installed beside this Python."""
    from dagster_dbt import DbtCliResource

    return DbtCliResource(
        project_dir=project or dbt_project(),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )


def build_resources() -> dict[str, object]:
    """Resources for the current environment; values are read when runs start, not at import."""
    return {
        "platform": PlatformResource(
            database_url=dg.EnvVar("DRA_DATABASE_URL"),
            data_dir=dg.EnvVar("DRA_DATA_DIR"),
        ),
        "dbt": build_dbt_resource(),
    }
