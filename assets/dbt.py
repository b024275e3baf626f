"""The dbt project as Dagster assets (``@dbt_assets`` over ``dbt_project/``).

The manifest is prepared once per process by ``dbt parse`` (offline: no packages, no
connection); runs reach the database through the ``DRA_DBT_*`` variables that
dbt_project/profiles.yml reads (the run command sets them from DRA_DATABASE_URL).
"""

from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev

from dra.attribution.dbt_env import DBT_PROJECT_DIR, dbt_executable

PROJECT_SOURCES = ("models", "macros", "tests", "dbt_project.yml", "profiles.yml")


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet, or a model, macro, test or setting changed since it was written."""
    if not project.manifest_path.exists():
        return True
    written = project.manifest_path.stat().st_mtime
    for name in PROJECT_SOURCES:
        path = DBT_PROJECT_DIR / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > written for f in files):
            return True
    return False


@cache
def dbt_project() -> DbtProject:
    """The one DbtProject, parsed now under ``dagster dev`` or when the manifest is missing
    or older than the project's files (a fresh checkout, a model developer's edit);
    ``dbt parse`` needs neither packages nor a connection."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if using_dagster_dev() or manifest_is_stale(project):
        # As prepare_if_dev(), with the dbt installed beside this Python (often not on PATH).
        build_dbt_resource(project).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()
    return project


class FolderGroups(DagsterDbtTranslator):
    """Asset groups follow dbt's folders: dbt_staging, dbt_intermediate, dbt_marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=FolderGroups(),
        name="dbt_models",
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    return dbt_models


def build_dbt_resource(project: DbtProject | None = None) -> DbtCliResource:
    return DbtCliResource(
        project_dir=project or dbt_project(),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
