"""Attribution reports (UC-ATT-02/03): requested by the web app, produced by a pipeline.

The web app validates the request, checks that the range holds events and records a
queued report plus a pipeline request (kind ``attribution_report``); the Dagster
asset rebuilds the dbt models and calls :func:`generate_report`, which reads the
marts (and computes the Markov and Shapley models from journeys grouped in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from dra.attribution.ad_revenue import ad_revenue
from dra.attribution.dbt_env import INTERMEDIATE_SCHEMA, MARTS_SCHEMA
from dra.attribution.ga4 import ga4_sessions
from dra.attribution.journeys import grouped_journeys
from dra.attribution.markov import markov_assumption, markov_credits
from dra.attribution.options import ReportOptions, parse_options
from dra.attribution.reference import (
    MODEL_ASSUMPTIONS,
    MODELS,
    SQL_MODELS,
)
from dra.attribution.shapley import shapley_credits
from dra.attribution.spend import ad_spend
from dra.db import Database
from dra.errors import DraError, project_row
from dra.models import AttributionEvent, AttributionReport, PipelineRequest
from dra.pipeline_requests import enqueue

REPORT_KIND = "attribution_report"
NO_DATA = "No event data found for the specified date range."
MAX_RANGE_DAYS = 366 * 3
TOP_PATHS = 10


class ReportError(DraError):
    """A report, funnel or journey request that cannot be done; ``field`` names the input."""


@dataclass(frozen=True)
class ReportRequest:
    name: str
    model: str
    start: date
    end: date
    options: ReportOptions = ReportOptions()


def _date(raw: str | None, field: str, label: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise ReportError(f"Enter the {label} as a date (YYYY-MM-DD).", field=field) from None


def parse_request(form: dict[str, Any]) -> ReportRequest:
    """Validate a report form: model, start and end dates, optional name, and the options
    (lookback window, conversion event types: ``dra.attribution.options``)."""
    model = (form.get("model") or "").strip()
    if model not in MODELS:  # every report shows all models; this one comes first
        raise ReportError("Invalid attribution model.", field="model")
    start = _date(form.get("start_date"), "start_date", "start date")
    end = _date(form.get("end_date"), "end_date", "end date")
    if end < start:
        raise ReportError("The end date is before the start date.", field="end_date")
    if (end - start).days > MAX_RANGE_DAYS:
        raise ReportError("Choose a range of at most three years.", field="end_date")
    name = (form.get("name") or "").strip() or f"{model} {start.isoformat()} – {end.isoformat()}"
    if len(name) > 200:
        raise ReportError("The name is longer than 200 characters.", field="name")
    options = parse_options(form)
    return ReportRequest(name=name, model=model, start=start, end=end, options=options)


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC)."""
    return (
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )


def has_events(session: Session, project_id: int, start: date, end: date) -> bool:
    lo, hi = bounds(start, end)
    return bool(
        session.scalar(
            select(
                exists().where(
                    AttributionEvent.project_id == project_id,
                    AttributionEvent.occurred_at >= lo,
                    AttributionEvent.occurred_at < hi,
                )
            )
        )
    )


def request_report(
    session: Session, project_id: int, user_id: int, req: ReportRequest
) -> AttributionReport:
    """Record a queued report and its pipeline request (caller commits)."""
    if not has_events(session, project_id, req.start, req.end):
        raise ReportError(NO_DATA, field="start_date")
    report = AttributionReport(
        project_id=project_id,
        kind="attribution",
        name=req.name,
        model=req.model,
        start_date=req.start,
        end_date=req.end,
        status="queued",
        created_by=user_id,
        lookback_days=req.options.lookback_days,
        conversion_types=list(req.options.conversion_types),
        params=req.options.as_dict(),
    )
    session.add(report)
    session.flush()
    enqueue(
        session,
        REPORT_KIND,
        target_id=report.id,
        project_id=project_id,
        requested_by=user_id,
        payload={"report_id": report.id},
    )
    return report


def list_reports(session: Session, project_id: int) -> list[AttributionReport]:
    """Newest first (UC-ATT-03)."""
    return list(
        session.scalars(
            select(AttributionReport)
            .where(
                AttributionReport.project_id == project_id, AttributionReport.kind == "attribution"
            )
            .order_by(AttributionReport.created_at.desc(), AttributionReport.id.desc())
        )
    )


def get_report(session: Session, project_id: int, report_id: int) -> AttributionReport:
    missing = ReportError("This report does not exist.", status=404)
    return project_row(session, AttributionReport, project_id, report_id, missing)


def effective_status(session: Session, report: AttributionReport) -> tuple[str, str | None]:
    """The report's status, or its pipeline request's failure when the run failed before
    the report asset ran (e.g. a dbt test failed)."""
    if report.status not in ("queued", "running"):
        return report.status, report.error
    request = session.scalar(
        select(PipelineRequest)
        .where(PipelineRequest.kind == REPORT_KIND, PipelineRequest.target_id == report.id)
        .order_by(PipelineRequest.id.desc())
        .limit(1)
    )
    if request is not None and request.status == "failed":
        return "failed", request.error or "The pipeline run failed."
    return report.status, None


def compute_result(
    session: Session,
    project_id: int,
    start: date,
    end: date,
    *,
    options: ReportOptions = ReportOptions(),
    markov_order: int = 1,
) -> dict[str, Any]:
    """Channel credits and values per model, conversions and top paths: the rule-based
    models from the marts (the rows built with the report's options), the Markov and
    Shapley models from journeys grouped in SQL with the same options."""
    lo, hi = bounds(start, end)
    built = {"l": options.lookback_days, "t": ",".join(options.conversion_types)}
    args = {"p": project_id, "s": lo, "e": hi, **built}
    of_options = "lookback_days = :l AND conversion_types = :t"
    models: dict[str, dict[str, dict[str, float]]] = {m: {} for m in SQL_MODELS}
    for r in session.execute(
        text(
            f"SELECT model, channel, sum(weight) AS credits, sum(attributed_value) AS value"
            f' FROM "{MARTS_SCHEMA}".fct_attribution_credits'
            f" WHERE project_id = :p AND {of_options}"
            f" AND conversion_at >= :s AND conversion_at < :e"
            f" GROUP BY model, channel"
        ),
        args,
    ):
        models[r.model][r.channel] = {"credits": float(r.credits), "value": float(r.value)}
    conversion_types = list(options.conversion_types)
    journeys = grouped_journeys(
        session,
        project_id,
        lo,
        hi,
        lookback_days=options.lookback_days,
        conversion_types=conversion_types,
    )
    models["markov"] = markov_credits(journeys, order=markov_order)
    models["shapley"] = shapley_credits(journeys)
    attributed = sum(j.conversions for j in journeys)
    totals = session.execute(
        text(
            "SELECT count(*) AS conversions, coalesce(sum(coalesce(value, 1)), 0) AS value,"
            " CASE WHEN count(DISTINCT currency) = 1 THEN min(currency) END AS currency"
            " FROM app.attribution_events WHERE project_id = :p AND occurred_at >= :s"
            " AND occurred_at < :e AND event_type = ANY(:types)"
        ),
        {**args, "types": conversion_types},
    ).one()
    paths = session.execute(
        text(
            f"SELECT path, count(*) AS conversions FROM ("
            f"  SELECT conversion_id, string_agg(channel, ' > ' ORDER BY position) AS path"
            f"  FROM (SELECT conversion_id, channel, position, lag(channel) OVER ("
            f"          PARTITION BY conversion_id ORDER BY position) AS previous"
            f'        FROM "{INTERMEDIATE_SCHEMA}".int_touchpoints'
            f"        WHERE project_id = :p AND {of_options}"
            f"          AND conversion_at >= :s AND conversion_at < :e) t"
            f"  WHERE previous IS NULL OR previous <> channel"  # repeats merged
            f"  GROUP BY conversion_id) p GROUP BY path ORDER BY conversions DESC, path"
            f" LIMIT {TOP_PATHS}"
        ),
        args,
    ).all()
    channels = sorted({c for per in models.values() for c in per})
    return {
        "models": models,
        "channels": channels,
        "conversions": int(totals.conversions),
        "attributed_conversions": attributed,
        "unattributed_conversions": int(totals.conversions) - attributed,
        "total_value": float(totals.value),
        "currency": totals.currency,  # when every conversion names the same one
        "paths": [{"path": r.path, "conversions": int(r.conversions)} for r in paths],
        # spend of the project's ad sources in the range, per channel and campaign (or None)
        "spend": ad_spend(session, project_id, start, end, models, totals.currency),
        # GA4 sessions by channel beside the tracked events (or None without GA4 rows)
        "ga4": ga4_sessions(
            session,
            project_id,
            start,
            end,
            events_between=(lo, hi),
            conversion_types=conversion_types,
        ),
        # Ad Manager revenue per order beside them (or None without Ad Manager rows)
        "ad_revenue": ad_revenue(session, project_id, start, end),
        "lookback_days": options.lookback_days,
        "conversion_types": conversion_types,
        "markov_order": markov_order,
        "journeys": {
            "converting": attributed,
            "non_converting": sum(j.non_conversions for j in journeys),
            "distinct_paths": len(journeys),
        },
        "assumptions": {
            **{m: MODEL_ASSUMPTIONS[m] for m in MODELS},
            "markov": markov_assumption(markov_order),
        },
    }


def generate_report(database: Database, report_id: int) -> AttributionReport:
    """Produce a queued report (pipeline side, system session); failures are recorded."""
    with database.system_session() as s:
        report = s.get(AttributionReport, report_id)
        if report is None:
            raise ReportError(f"Report {report_id} does not exist.", status=404)
        report.status = "running"
    try:
        with database.system_session() as s:
            report = s.get(AttributionReport, report_id)
            result = compute_result(
                s,
                report.project_id,
                report.start_date,
                report.end_date,
                options=ReportOptions.of(report),
            )
            report.result = result
            report.status = "succeeded"
            report.error = None
            report.completed_at = datetime.now(UTC)
            return report
    except Exception as exc:
        with database.system_session() as s:
            report = s.get(AttributionReport, report_id)
            report.status = "failed"
            report.error = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
            report.completed_at = datetime.now(UTC)
        raise
