"""The dbt project as Dagster assets: one ``@dbt_assets`` over dbt_project/, built once.

Groups follow dbt's folders (dbt_staging, dbt_intermediate, dbt_marts); dbt tests are
asset checks. The project and its manifest come from orchestration/resources.py (parsed
only when stale); runs reach the database through the ``DRA_DBT_*`` variables that
dbt_project/profiles.yml reads (the run command sets them from DRA_DATABASE_URL).

What a build recomputes: a run launched for an attribution report builds that report's
project with its options (``dra.attribution.options.dbt_build_args``: only the
partitions whose events changed); any other run every project's changed partitions;
``full_refresh`` (the nightly job's config) recreates the tables.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from pydantic import Field

from dra.attribution.options import dbt_build_args
from dra.attribution.reports import REPORT_KIND
from orchestration.requests import request_of
from orchestration.resources import PlatformResource, dbt_project


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Recreate the incremental models (dbt build --full-refresh) instead of "
        "recomputing the partitions whose events changed.",
    )


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
    def dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        platform: PlatformResource,
        config: DbtBuildConfig,
    ):
        request = request_of(context, platform)
        report_id = request.target_id if request and request.kind == REPORT_KIND else None
        with platform.database.system_session() as s:
            args = dbt_build_args(s, report_id, full_refresh=config.full_refresh)
        context.log.info(f"dbt {' '.join(args)}")
        yield from dbt.cli(args, context=context).stream()

    return dbt_models


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[build_dbt_assets()])
