"""The dbt project as Dagster assets: one ``@dbt_assets`` over dbt_project/, built once.

Groups follow dbt's folders (dbt_staging, dbt_intermediate, dbt_marts); dbt tests are
asset checks. The project and its manifest come from orchestration/resources.py (parsed
only when stale); runs reach the database through the ``DRA_DBT_*`` variables that
dbt_project/profiles.yml reads (the run command sets them from DRA_DATABASE_URL).
"""

from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.resources import dbt_project


class FolderGroups(DagsterDbtTranslator):
    """Asset groups follow dbt's folders: dbt_staging, dbt_intermediate, dbt_marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


@cache
def build_dbt_assets() -> dg.AssetsDefinition:
    """The dbt models, seeds and tests as one AssetsDefinition (built once per process)."""
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


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[build_dbt_assets()])
