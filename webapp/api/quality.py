"""Data quality of a model (UC-DQ-01..03) under
``/api/v1/projects/<id>/models/<model id>/quality``.

Members read the latest report and the cleaning rules; owners, admins and editors run a
check (202, the pipeline profiles the model) and manage the rules; the same service as
the quality page (dra.quality).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import request
from flask_login import current_user
from pydantic import Field

from dra.errors import NotFound
from dra.permissions import Permission
from dra.quality import service
from dra.quality.reports import latest_report
from webapp.api import Accepted, Deleted, Model, Strict, accepted, api_blueprint, operation, out
from webapp.database import db_session

bp = api_blueprint("quality", "/projects/<int:project_id>/models/<int:model_id>/quality")
TAGS = ["quality"]


class ReportOut(Model):
    id: int
    score: float = Field(description="0 to 100")
    row_count: int | None
    created_at: datetime
    report: dict[str, Any] = Field(description="per column metrics, issues, checks")


class RunIn(Strict):
    mode: Literal["auto", "exact"] = Field(
        "auto", description="exact: every statistic over every row, even on a large table"
    )


class RuleIn(Strict):
    """The rule editor's fields; each rule type reads those it needs."""

    type: str = Field(
        description="fill_nulls, remove_duplicates, normalize_text, standardize_dates, "
        "drop_outliers or cast"
    )
    column: str | None = None
    columns: str | None = Field(None, description="remove_duplicates: comma-separated")
    strategy: str | None = Field(None, description="fill_nulls: mean, median, mode, constant")
    value: str | None = None
    case: str | None = None
    trim: bool | None = None
    day_first: bool | None = None
    factor: float | None = None
    to: str | None = None


class RuleOut(Model):
    id: int
    rule: dict[str, Any]
    description: str
    enabled: bool
    position: int


class RulesOut(Model):
    items: list[RuleOut]
    total: int


def _model(project_id: int, model_id: int):
    return service.get_model(db_session(), project_id, model_id)


def _rule(row) -> dict:
    return {
        "id": row.id,
        "rule": row.rule,
        "description": service.describe_rule(row.rule),
        "enabled": row.enabled,
        "position": row.position,
    }


@bp.get("")
@operation(Permission.DATA_MODEL_VIEW, resp={200: ReportOut}, tags=TAGS)
def latest(project_id: int, model_id: int, access):
    """The latest quality report (404 when none was run yet)."""
    _model(project_id, model_id)
    report = latest_report(db_session(), model_id)
    if report is None:
        raise NotFound("No quality report found: run a quality check first.", field="model_id")
    return out(ReportOut, report)


@bp.post("/runs")
@operation(Permission.DATA_MODEL_EXECUTE, json=RunIn, resp={202: Accepted}, tags=TAGS)
def run(project_id: int, model_id: int, access):
    """Queue a quality check (an open one is reused); poll the request."""
    model = _model(project_id, model_id)
    req = service.request_report(db_session(), model, current_user.id, request.context.json.mode)
    return accepted(req)


@bp.get("/rules")
@operation(Permission.DATA_MODEL_VIEW, resp={200: RulesOut}, tags=TAGS)
def rules(project_id: int, model_id: int, access):
    """The cleaning rules, in the order they apply."""
    _model(project_id, model_id)
    rows = [_rule(r) for r in service.list_rules(db_session(), model_id)]
    return out(RulesOut, {"items": rows, "total": len(rows)})


@bp.post("/rules")
@operation(Permission.DATA_MODEL_EDIT, json=RuleIn, resp={201: RuleOut}, tags=TAGS)
def rule_add(project_id: int, model_id: int, access):
    """Add a cleaning rule (checked against the latest report's columns)."""
    model = _model(project_id, model_id)
    fields = {
        k: ("true" if v is True else "false" if v is False else str(v))
        for k, v in request.context.json.model_dump(exclude_none=True).items()
    }
    row = service.add_rule(db_session(), model, current_user.id, fields)
    return out(RuleOut, _rule(row), 201)


@bp.post("/rules/<int:rule_id>/toggle")
@operation(Permission.DATA_MODEL_EDIT, resp={200: RuleOut}, tags=TAGS)
def rule_toggle(project_id: int, model_id: int, rule_id: int, access):
    """Enable a disabled rule, or disable an enabled one."""
    row = service.toggle_rule(db_session(), _model(project_id, model_id), rule_id)
    return out(RuleOut, _rule(row))


@bp.delete("/rules/<int:rule_id>")
@operation(Permission.DATA_MODEL_EDIT, resp={200: Deleted}, tags=TAGS)
def rule_delete(project_id: int, model_id: int, rule_id: int, access):
    """Delete a cleaning rule."""
    service.delete_rule(db_session(), _model(project_id, model_id), rule_id)
    return out(Deleted, {"id": rule_id})
