"""The quality report assembled from a profile's counts (see dra.quality.scoring)."""

from __future__ import annotations

from typing import Any

from dra.quality import patterns, scoring
from dra.quality.profiling.columns import ColumnInfo
from dra.quality.profiling.scan import VALID_KEYS, column_stats


def _column(
    info: ColumnInfo,
    stats: dict[str, Any],
    rows: int,
    percentiles: list[float] | None,
    fence: tuple[float, float] | None,
    order: dict[str, int],
) -> dict[str, Any]:
    nn = int(stats["nn"])
    col: dict[str, Any] = {
        "name": info.name,
        "type": info.type,
        "pg_type": info.typname,
        "kind": info.kind,
        "status": "profiled",
        "non_null": nn,
        "null_count": rows - nn,
        "null_pct": scoring.pct(rows - nn, rows),
        "completeness": scoring.pct(nn, rows),
        "distinct_count": None,
        "uniqueness": None,
        "validity": None,
        "consistency": None,
        "detected": info.kind,
        "invalid_count": 0,
        "consistency_findings": [],
        "is_key": False,
        "duplicate_count": 0,
    }
    if info.kind == "other":
        col.update(
            status="skipped", skip_reason=f"type {info.type} is not supported by the quality checks"
        )
        return col
    nd = int(stats["nd"])
    col["distinct_count"] = nd
    if info.kind in ("numeric", "date", "timestamp"):
        col.update(min=stats["min"], max=stats["max"])
    if info.kind == "numeric":
        col["mean"] = None if stats["mean"] is None else round(stats["mean"], 4)
        if percentiles is not None and fence is not None:
            q1, median, q3 = percentiles
            col.update(
                q1=q1,
                median=median,
                q3=q3,
                lower_fence=fence[0],
                upper_fence=fence[1],
                outlier_count=int(stats.get("out", 0)),
            )
    valid = nn
    if info.kind == "text":
        detected = stats["detected"]
        col["detected"] = detected
        if detected in VALID_KEYS:
            valid = int(stats["valid"])
        elif detected == "date":
            valid = sum(int(stats[f"fmt_{f}"]) for f in patterns.DATE_FORMATS)
    if nn:
        col["uniqueness"] = scoring.pct(nd, nn)
        col["invalid_count"] = nn - valid
        col["validity"] = scoring.pct(valid, nn)
        findings = scoring.consistency_findings(col, stats, order)
        col["consistency_findings"] = findings
        inconsistent = min(nn, sum(f["count"] for f in findings))
        col["consistency"] = scoring.pct(nn - inconsistent, nn)
    return col


def build_report(
    columns: list[ColumnInfo],
    raw: dict[str, Any],
    percentiles: dict[int, list[float]],
    fences: dict[int, tuple[float, float]],
    pairs: list[tuple[str, str]],
) -> dict[str, Any]:
    """Assemble the report from the two passes' results."""
    rows = int(raw["rows"])
    order: dict[str, dict[str, int]] = {}
    for j, (earlier, later) in enumerate(pairs):
        order.setdefault(later, {})[earlier] = int(raw[f"pair:{j}"])
    cols = [
        _column(
            info,
            column_stats(raw, i),
            rows,
            percentiles.get(i),
            fences.get(i),
            order.get(info.name, {}),
        )
        for i, info in enumerate(columns)
    ]
    keys = scoring.choose_keys(cols)
    for col in cols:
        if col["name"] in keys:
            col["is_key"] = True
            col["duplicate_count"] = col["non_null"] - col["distinct_count"]
        col["uniqueness_judged"] = scoring.uniqueness_judged(col)
        col["uniqueness_note"] = scoring.uniqueness_note(col)
    if rows == 0:
        metrics = {name: 0.0 for name in scoring.WEIGHTS}
        issues = [
            {
                "column": None,
                "kind": "empty",
                "count": 0,
                "pct": 100.0,
                "severity": "critical",
                "message": "The table has no rows.",
            }
        ]
        score = 0
    else:
        metrics = scoring.table_metrics(cols)
        issues = scoring.sort_issues([i for c in cols for i in scoring.column_issues(c, rows)])
        score = scoring.overall_score(metrics)
    return {
        "status": "empty" if rows == 0 else "ok",
        "row_count": rows,
        "column_count": len(cols),
        "score": score,
        "metrics": metrics,
        "keys": keys,
        "uniqueness_columns": [c["name"] for c in cols if c["uniqueness_judged"]],
        "duplicates": {c["name"]: c["duplicate_count"] for c in cols if c["is_key"]},
        "columns": cols,
        "issues": issues,
        "skipped_columns": [c["name"] for c in cols if c["status"] == "skipped"],
    }
