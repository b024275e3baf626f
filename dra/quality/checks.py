"""What the pipeline's quality checks do, as plain functions (Dagster calls them).

- ``profile_check``: profile the model, store the report, write its Soda contract the
  first time (later edits of that file are kept).
- ``soda_check``: verify the model's contract with soda-core; keep the last results next
  to the contract (the quality page shows them); a failure notifies the project.
- ``clean_and_report``: build the cleaned layer from the stored rules, then profile it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from dra.db import Database
from dra.models import Notification, ProjectMember
from dra.quality import soda
from dra.quality.cleaning import CleaningOutcome, clean_model
from dra.quality.reports import ModelTable, generate_report, model_table, profile_model

NOTIFY_ROLES = ("owner", "admin", "editor")


@dataclass(frozen=True)
class ProfileSummary:
    report_id: int
    score: int
    row_count: int
    status: str
    issues: dict[str, int]
    critical_missing: list[str]
    contract_written: bool
    mode: str = "exact"
    """How the report was computed: "exact" or "sampled"."""

    @property
    def passed(self) -> bool:
        """Passes unless the table is empty or a column misses over half of its values.

        Issues are graded by null % (over 50 critical); other findings are reported, and
        the Soda contract is where a team sets limits that fail.
        """
        return self.status != "empty" and not self.critical_missing


def quality_page_link(project_id: int, model_id: int) -> str:
    return f"/projects/{int(project_id)}/models/{int(model_id)}/quality"


def results_path(data_dir: Path, project_id: int, model_id: int) -> Path:
    return soda.contract_path(data_dir, project_id, model_id).with_suffix(".last_run.json")


def _contract_for(database: Database, target: ModelTable, report: dict[str, Any]) -> dict:
    return soda.generate_contract(
        report,
        database=make_url(database.url).database or "",
        schema=target.schema,
        table=target.table,
    )


def profile_check(
    database: Database,
    data_dir: Path,
    model_id: int,
    created_by: int | None = None,
    mode: str | None = None,
) -> ProfileSummary:
    row = generate_report(database, model_id, created_by=created_by, mode=mode)
    with database.system_session() as s:
        target = model_table(s, model_id)
    written = soda.write_contract(
        soda.contract_path(data_dir, target.project_id, model_id),
        _contract_for(database, target, row.report),
    )
    counts: dict[str, int] = {}
    for issue in row.report["issues"]:
        counts[issue["severity"]] = counts.get(issue["severity"], 0) + 1
    critical = [
        i["column"]
        for i in row.report["issues"]
        if i["kind"] == "missing" and i["severity"] == "critical"
    ]
    return ProfileSummary(
        report_id=row.id,
        score=int(row.score),
        row_count=row.row_count or 0,
        status=row.report["status"],
        issues=counts,
        critical_missing=critical,
        contract_written=written,
        mode=row.report.get("mode", "exact"),
    )


def soda_check(database: Database, data_dir: Path, model_id: int) -> soda.SodaOutcome:
    with database.system_session() as s:
        target = model_table(s, model_id)
    path = soda.contract_path(data_dir, target.project_id, model_id)
    if not path.exists():
        soda.write_contract(path, _contract_for(database, target, profile_model(database, target)))
    outcome = soda.verify(database.url, path)
    results = results_path(data_dir, target.project_id, model_id)
    results.write_text(
        json.dumps({"contract": str(path), **outcome.as_dict()}, default=str), encoding="utf-8"
    )
    if not outcome.ok:
        failed = (
            ", ".join(f"{c.column + ': ' if c.column else ''}{c.type}" for c in outcome.failed)
            or "; ".join(outcome.errors)[:300]
        )
        notify_project(
            database,
            target,
            title=f"Quality checks failed: {target.name}",
            message=f"Soda checks that failed on {target.schema}.{target.table}: {failed}.",
        )
    return outcome


def last_soda_results(data_dir: Path, project_id: int, model_id: int) -> dict[str, Any] | None:
    path = results_path(data_dir, project_id, model_id)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def notify_project(database: Database, target: ModelTable, *, title: str, message: str) -> int:
    """A notification for each member who can act on it (owner, admins, editors)."""
    with database.system_session() as s:
        users = list(
            s.scalars(
                select(ProjectMember.user_id).where(
                    ProjectMember.project_id == target.project_id,
                    ProjectMember.role.in_(NOTIFY_ROLES),
                )
            )
        )
        if users:
            s.execute(
                insert(Notification),
                [
                    {
                        "user_id": u,
                        "type": "quality.check_failed",
                        "title": title[:200],
                        "message": message[:2000],
                        "link": quality_page_link(target.project_id, target.model_id),
                    }
                    for u in users
                ],
            )
    return len(users)


def clean_and_report(
    database: Database, model_id: int, created_by: int | None = None
) -> tuple[CleaningOutcome, int]:
    """Rebuild the cleaned table, then store a report of it (BR-DQ-05); (outcome, report id)."""
    outcome = clean_model(database, model_id)
    row = generate_report(database, model_id, layer="clean", created_by=created_by)
    with database.system_session() as s:
        stored = s.get(type(row), row.id)
        stored.report = {**stored.report, "cleaning": outcome.as_dict()}
    return outcome, row.id


def mart_contract_path(data_dir: Path, schema: str, table: str) -> Path:
    return Path(data_dir) / "quality" / "contracts" / "dbt" / f"{schema}.{table}.yml"


def mart_soda_check(
    database: Database, data_dir: Path, schema: str, table: str
) -> soda.SodaOutcome:
    """Verify a dbt mart's contract (generated from its profile the first time).

    Marts belong to the platform, not to a project: a failure alerts the admins.
    """
    from dra.alerts import raise_alert

    target = ModelTable(
        model_id=0, project_id=0, name=f"{schema}.{table}", schema=schema, table=table
    )
    path = mart_contract_path(data_dir, schema, table)
    if not path.exists():
        soda.write_contract(path, _contract_for(database, target, profile_model(database, target)))
    outcome = soda.verify(database.url, path)
    path.with_suffix(".last_run.json").write_text(
        json.dumps({"contract": str(path), **outcome.as_dict()}, default=str), encoding="utf-8"
    )
    if not outcome.ok:
        failed = ", ".join(f"{c.column or 'dataset'}.{c.type}" for c in outcome.failed)
        with database.system_session() as s:
            raise_alert(
                s,
                source="quality",
                severity="warning",
                title=f"Soda checks failed on {schema}.{table}",
                details={
                    "message": failed or "; ".join(outcome.errors)[:500],
                    "contract": str(path),
                },
            )
    return outcome
