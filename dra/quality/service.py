"""What the quality pages do (the views stay thin): find the model, record requests,
edit cleaning rules. Sessions are the caller's (row-level security applies in the web app).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.models import DataModel, PipelineRequest, QualityRule
from dra.models.quality import QualityRuleKind
from dra.pipeline_requests import enqueue, open_request
from dra.quality.cleaning import CASES, CAST_TYPES, FILL_STRATEGIES, RULE_TYPES, validate_rule
from dra.quality.profiling import ColumnInfo
from dra.quality.reports import QualityError, latest_report

REPORT_KIND = "quality_report"
CLEAN_KIND = "quality_clean"
RULE_LABELS = {
    "fill_nulls": "Fill missing values",
    "remove_duplicates": "Remove duplicate rows",
    "normalize_text": "Trim and normalise case",
    "standardize_dates": "Standardise dates",
    "drop_outliers": "Drop outliers (IQR)",
    "cast": "Cast type",
}


def get_model(session: Session, project_id: int, model_id: int) -> DataModel:
    """The project's model, or QualityError 404 (another project's model is not found)."""
    model = session.get(DataModel, model_id)
    if model is None or model.project_id != project_id:
        raise QualityError("Data model not found.", status=404)
    return model


def latest_request(session: Session, model_id: int) -> PipelineRequest | None:
    """The newest quality request (report or cleaning) of the model, for its progress."""
    return session.scalar(
        select(PipelineRequest)
        .where(
            PipelineRequest.kind.in_((REPORT_KIND, CLEAN_KIND)),
            PipelineRequest.target_id == model_id,
        )
        .order_by(PipelineRequest.id.desc())
        .limit(1)
    )


def _enqueue(
    session: Session,
    kind: str,
    model: DataModel,
    user_id: int,
    payload: dict[str, Any] | None = None,
) -> PipelineRequest:
    existing = open_request(session, kind, model.id)
    if existing is not None:
        return existing
    return enqueue(
        session,
        kind,
        target_id=model.id,
        project_id=model.project_id,
        requested_by=user_id,
        payload=payload,
    )


PROFILE_MODES = ("auto", "exact")
"""What a person may ask for: the size-based default, or every row counted."""


def request_report(
    session: Session, model: DataModel, user_id: int, mode: str = "auto"
) -> PipelineRequest:
    """UC-DQ-01: queue a quality check of the model (one open request at a time).

    ``mode`` "exact" asks for every statistic over every row even on a large table
    (by default large tables are profiled from a sample, see dra.quality.profiling).
    """
    if mode not in PROFILE_MODES:
        raise QualityError("Choose the profile: automatic or exact (field mode).")
    if not model.materialized_table:
        raise QualityError("Build the data model first: it has no table to check yet.", status=409)
    payload = {"mode": "exact"} if mode == "exact" else None
    return _enqueue(session, REPORT_KIND, model, user_id, payload)


def request_cleaning(session: Session, model: DataModel, user_id: int) -> PipelineRequest:
    """UC-DQ-02: queue the cleaned layer's rebuild (needs a report and enabled rules)."""
    if latest_report(session, model.id) is None:
        raise QualityError("Run a quality check first: cleaning starts from a report.", status=409)
    enabled = session.scalar(
        select(func.count())
        .select_from(QualityRule)
        .where(
            QualityRule.data_model_id == model.id,
            QualityRule.kind == QualityRuleKind.CLEANING,
            QualityRule.enabled.is_(True),
        )
    )
    if not enabled:
        raise QualityError("Cleaning configuration is required.")
    return _enqueue(session, CLEAN_KIND, model, user_id)


def list_rules(session: Session, model_id: int) -> list[QualityRule]:
    return list(
        session.scalars(
            select(QualityRule)
            .where(
                QualityRule.data_model_id == model_id, QualityRule.kind == QualityRuleKind.CLEANING
            )
            .order_by(QualityRule.position, QualityRule.id)
        )
    )


def _float(value: str, field: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise QualityError(f"{field}: enter a number such as 1.5.") from None


def rule_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """A rule object from the editor's fields (only those its type uses)."""
    kind = (form.get("type") or "").strip()
    if kind not in RULE_TYPES:
        raise QualityError("Rule type: choose one of the listed rules.")
    rule: dict[str, Any] = {"type": kind}
    column = (form.get("column") or "").strip()
    if kind == "remove_duplicates":
        rule["columns"] = [c.strip() for c in (form.get("columns") or "").split(",") if c.strip()]
        return rule
    rule["column"] = column
    if kind == "fill_nulls":
        rule["strategy"] = (form.get("strategy") or "").strip()
        if rule["strategy"] == "constant":
            rule["value"] = form.get("value", "")
    elif kind == "normalize_text":
        rule["case"] = (form.get("case") or "none").strip()
        rule["trim"] = form.get("trim", "on") in ("on", "true", "1", "yes")
    elif kind == "standardize_dates":
        rule["day_first"] = form.get("day_first") in ("on", "true", "1", "yes")
    elif kind == "drop_outliers":
        rule["factor"] = _float((form.get("factor") or "1.5").strip(), "Factor")
    elif kind == "cast":
        rule["to"] = (form.get("to") or "").strip()
    return rule


def report_columns(session: Session, model_id: int) -> dict[str, ColumnInfo]:
    report = latest_report(session, model_id)
    if report is None:
        return {}
    return {
        c["name"]: ColumnInfo(c["name"], c["type"], c.get("pg_type", ""))
        for c in report.report.get("columns", [])
    }


def add_rule(
    session: Session, model: DataModel, user_id: int, form: Mapping[str, str]
) -> QualityRule:
    """Validate a rule against the columns of the latest report, then append it."""
    columns = report_columns(session, model.id)
    if not columns:
        raise QualityError(
            "Run a quality check first: rules are checked against its columns.", status=409
        )
    rule = rule_from_form(form)
    reason = validate_rule(rule, columns)
    if reason:
        raise QualityError(reason)
    position = (
        session.scalar(
            select(func.max(QualityRule.position)).where(QualityRule.data_model_id == model.id)
        )
        or 0
    ) + 1
    row = QualityRule(
        data_model_id=model.id,
        kind=QualityRuleKind.CLEANING,
        rule=rule,
        position=position,
        enabled=True,
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    return row


def _rule(session: Session, model: DataModel, rule_id: int) -> QualityRule:
    row = session.get(QualityRule, rule_id)
    if row is None or row.data_model_id != model.id:
        raise QualityError("Rule not found.", status=404)
    return row


def delete_rule(session: Session, model: DataModel, rule_id: int) -> None:
    session.delete(_rule(session, model, rule_id))
    session.flush()


def toggle_rule(session: Session, model: DataModel, rule_id: int) -> QualityRule:
    row = _rule(session, model, rule_id)
    row.enabled = not row.enabled
    session.flush()
    return row


def describe_rule(rule: Mapping[str, Any]) -> str:
    """One line a person reads in the rules list."""
    kind = rule.get("type")
    if kind == "fill_nulls":
        how = rule.get("strategy")
        how = f"the constant {rule.get('value')!r}" if how == "constant" else f"the {how}"
        return f"Fill missing {rule.get('column')} with {how}"
    if kind == "remove_duplicates":
        cols = rule.get("columns") or []
        return "Remove duplicate rows on " + (", ".join(cols) if cols else "all columns")
    if kind == "normalize_text":
        case = rule.get("case", "none")
        parts = ["Trim" if rule.get("trim", True) else "Keep spaces of"]
        return f"{parts[0]} {rule.get('column')}" + ("" if case == "none" else f", {case} case")
    if kind == "standardize_dates":
        order = "day first" if rule.get("day_first") else "month first"
        return f"Standardise dates in {rule.get('column')} ({order} for a/b/yyyy)"
    if kind == "drop_outliers":
        return f"Drop rows where {rule.get('column')} is outside {rule.get('factor', 1.5)}x IQR"
    if kind == "cast":
        return f"Cast {rule.get('column')} to {rule.get('to')}"
    return str(dict(rule))


EDITOR_CHOICES = {
    "types": RULE_LABELS,
    "strategies": FILL_STRATEGIES,
    "cases": CASES,
    "cast_types": tuple(CAST_TYPES),
}
