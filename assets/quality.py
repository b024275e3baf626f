"""Quality in the pipeline: profiling and Soda checks on each data model, a cleaned layer.

The two asset checks are partitioned like the data models (partition = model id) and run
after each materialization of a model (the refresh job selects them with the model).
On demand, ``quality_report_job`` (launched from a web request) runs the same two checks
without rebuilding the model and records their results as evaluations of the same
checks, so the Dagster UI shows one history per check. The logic is in dra.quality.checks.
"""

import dagster as dg

from assets.data_models import MODEL_TARGETS, data_model_tables, data_models_partitions
from assets.dbt import build_dbt_assets
from dra.quality.checks import clean_and_report, mart_soda_check, profile_check, soda_check
from dra.quality.reports import QualityError
from orchestration.requests import request_executor, request_of
from orchestration.resources import PlatformResource

PROFILE_CHECK = "quality_profile"
SODA_CHECK = "soda_contract"


def _request(context, platform: PlatformResource) -> tuple[int | None, dict]:
    """(who asked, what they asked) when this run came from a web request."""
    request = request_of(context, platform)
    return (request.requested_by, request.payload) if request else (None, {})


def run_profile(context, platform: PlatformResource, model_id: int) -> dict:
    """Profile the model; the check result as keyword arguments."""
    requested_by, payload = _request(context, platform)
    try:
        summary = profile_check(
            platform.database,
            platform.settings.data_dir,
            model_id,
            created_by=requested_by,
            mode="exact" if payload.get("mode") == "exact" else None,
        )
    except QualityError as exc:
        return {"passed": False, "description": exc.message, "severity": dg.AssetCheckSeverity.WARN}
    context.log.info(
        f"data model #{model_id}: quality score {summary.score}, "
        f"{summary.row_count} rows, {summary.mode} profile, issues {summary.issues}"
    )
    description = (
        "The table is empty." if summary.status == "empty" else f"Score {summary.score}/100"
    )
    if summary.critical_missing:
        description += f"; over half missing in {', '.join(summary.critical_missing)}"
    return {
        "passed": summary.passed,
        "severity": dg.AssetCheckSeverity.WARN,
        "description": description,
        "metadata": {
            "score": summary.score,
            "rows": summary.row_count,
            "profile": summary.mode,
            "report_id": summary.report_id,
            **{f"issues_{k}": v for k, v in summary.issues.items()},
        },
    }


def run_soda(context, platform: PlatformResource, model_id: int) -> dict:
    """Verify the model's Soda contract; the check result as keyword arguments."""
    try:
        outcome = soda_check(platform.database, platform.settings.data_dir, model_id)
    except QualityError as exc:
        return {"passed": False, "description": exc.message}
    for check in outcome.checks:
        context.log.info(
            f"{check.outcome:>8}  {check.column or '(dataset)'} {check.type}: "
            f"{check.value} ({check.threshold})"
        )
    passed = len(outcome.checks) - len(outcome.failed)
    return {
        "passed": outcome.ok,
        "description": "; ".join(outcome.errors)
        or f"{passed} of {len(outcome.checks)} checks passed",
        "metadata": {
            "checks": len(outcome.checks),
            "failed": len(outcome.failed),
            "failed_checks": ", ".join(f"{c.column or 'dataset'}.{c.type}" for c in outcome.failed)
            or "none",
        },
    }


@dg.asset_check(
    asset=data_model_tables,
    name=PROFILE_CHECK,
    partitions_def=data_models_partitions,
    description="Profiles the model's table (completeness, validity, uniqueness, consistency, "
    "outliers, duplicate keys) and stores the quality report.",
)
def quality_profile(
    context: dg.AssetCheckExecutionContext, platform: PlatformResource
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(**run_profile(context, platform, int(context.partition_key)))


@dg.asset_check(
    asset=data_model_tables,
    name=SODA_CHECK,
    partitions_def=data_models_partitions,
    description="Verifies the model's Soda contract (rows present, missing and duplicate "
    "limits on keys, validity, freshness) with soda-core; failures notify the "
    "project.",
)
def soda_contract(
    context: dg.AssetCheckExecutionContext, platform: PlatformResource
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(**run_soda(context, platform, int(context.partition_key)))


@dg.op(description="Runs the quality checks of one data model without rebuilding it.")
def check_data_model(context: dg.OpExecutionContext, platform: PlatformResource) -> None:
    model_id = int(context.partition_key)
    results = {
        PROFILE_CHECK: run_profile(context, platform, model_id),
        SODA_CHECK: run_soda(context, platform, model_id),
    }
    for name, result in results.items():
        context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=data_model_tables.key,
                check_name=name,
                partition=context.partition_key,
                **result,
            )
        )


@dg.job(
    partitions_def=data_models_partitions,
    executor_def=request_executor,
    description="Profile one data model and verify its Soda contract (partition = model "
    "id), recorded as evaluations of the model's asset checks.",
)
def quality_report_job() -> None:
    check_data_model()


@dg.asset(
    partitions_def=data_models_partitions,
    group_name="data_quality",
    kinds={"postgres"},
    deps=[data_model_tables],
    description="The cleaned layer of a data model (clean_p<project>.<table>): the model's "
    "cleaning rules applied to a copy, swapped in atomically; then a new report.",
)
def cleaned_model_tables(
    context: dg.AssetExecutionContext, platform: PlatformResource
) -> dg.MaterializeResult:
    model_id = int(context.partition_key)
    user, _ = _request(context, platform)
    try:
        outcome, report_id = clean_and_report(platform.database, model_id, created_by=user)
    except QualityError as exc:
        raise dg.Failure(description=f"Data model #{model_id}: {exc.message}") from None
    for skipped in outcome.skipped:
        context.log.warning(f"rule {skipped['position']} skipped: {skipped['reason']}")
    context.log.info(
        f"cleaned data model #{model_id}: {outcome.rows_before} -> "
        f"{outcome.rows_after} rows, {len(outcome.applied)} rule(s) applied"
    )
    return dg.MaterializeResult(
        metadata={
            "table": f"{outcome.schema}.{outcome.table}",
            "rows": outcome.rows_after,
            "rules_applied": len(outcome.applied),
            "rules_skipped": len(outcome.skipped),
            "report_id": report_id,
        }
    )


quality_checks = [quality_profile, soda_contract]


def build_mart_soda_checks(keys: list[dg.AssetKey] | None = None) -> list:
    """A Soda contract check on each dbt mart (``marts/<table>`` assets of the dbt project)."""
    if keys is None:
        keys = [k for k in build_dbt_assets().keys if k.path[0] == "marts"]
    return [_mart_check(key) for key in keys]


def _mart_check(key: dg.AssetKey):
    schema, table = key.path[0], key.path[-1]

    @dg.asset_check(
        asset=key,
        name="soda_contract",
        description=f"Verifies the Soda contract of {schema}.{table} (generated from its "
        "profile the first time; an editable file). Failures alert the admins.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, platform: PlatformResource
    ) -> dg.AssetCheckResult:
        try:
            outcome = mart_soda_check(platform.database, platform.settings.data_dir, schema, table)
        except QualityError as exc:
            return dg.AssetCheckResult(passed=False, description=exc.message)
        passed = len(outcome.checks) - len(outcome.failed)
        return dg.AssetCheckResult(
            passed=outcome.ok,
            description="; ".join(outcome.errors)
            or f"{passed} of {len(outcome.checks)} checks passed",
            metadata={
                "failed_checks": ", ".join(
                    f"{c.column or 'dataset'}.{c.type}" for c in outcome.failed
                )
                or "none"
            },
        )

    return _check


clean_model_job = dg.define_asset_job(
    "clean_model_job",
    selection=dg.AssetSelection.assets(cleaned_model_tables),
    executor_def=request_executor,
    description="Apply a data model's cleaning rules into its cleaned layer, then report.",
)
REQUEST_TARGETS = {quality_report_job.name: MODEL_TARGETS, clean_model_job.name: MODEL_TARGETS}


def definitions() -> dg.Definitions:
    """Quality: the checks of every model and dbt mart, the cleaned layer, their jobs."""
    return dg.Definitions(
        assets=[cleaned_model_tables],
        asset_checks=[*quality_checks, *build_mart_soda_checks()],
        jobs=[quality_report_job, clean_model_job],
    )
