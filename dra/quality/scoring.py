"""From raw per-column counts (computed in SQL) to metrics, keys, issues and a score.

Pure functions: no database, so every rule of the specification is unit-tested here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dra.formatting import format_number
from dra.quality import patterns

WEIGHTS = {"completeness": 0.35, "validity": 0.30, "uniqueness": 0.20, "consistency": 0.15}
MAX_KEYS = 3
KEY_MIN_UNIQUENESS = 80.0
KEY_MAX_NULL_PCT = 10.0


def pct(part: float, whole: float) -> float:
    """part / whole as a percentage rounded to 2 decimals (0 when whole is 0)."""
    return round(100.0 * part / whole, 2) if whole else 0.0


def severity(percent: float) -> str:
    """Issue grade by the share of rows affected: >50 critical, >20 high, >5 medium, else low."""
    if percent > 50:
        return "critical"
    if percent > 20:
        return "high"
    if percent > 5:
        return "medium"
    return "low"


def overall_score(metrics: Mapping[str, float | None]) -> int:
    """round(completeness x 0.35 + validity x 0.30 + uniqueness x 0.20 + consistency x 0.15).

    A metric that was not measured (None: uniqueness of a table without a key column) is
    left out and the other weights are scaled up to sum to 1.
    """
    present = {name: w for name, w in WEIGHTS.items() if metrics.get(name) is not None}
    total = sum(present.values())
    if not total:
        return 0
    weighted = sum(float(metrics[name] or 0) * w for name, w in present.items())
    return int(round(weighted / total))


def detect_text_kind(name: str, nn: int, counts: Mapping[str, int]) -> tuple[str, int]:
    """What a text column holds and how many of its values are valid for that.

    The name decides for email / URL / phone; otherwise the first pattern that at least
    half of the values match (email, url, date, integer, decimal, boolean, phone); plain
    text when none does (every value valid).
    """
    by_name = patterns.pattern_by_name(name)
    if by_name is not None:
        return by_name, counts[by_name]
    if nn == 0:
        return "text", 0
    share = patterns.DETECTION_SHARE * nn
    dates = sum(counts[f"fmt_{f}"] for f in patterns.DATE_FORMATS)
    for kind, matched in (
        ("email", counts["email"]),
        ("url", counts["url"]),
        ("date", dates),
        ("integer", counts["int"]),
        ("decimal", counts["dec"]),
        ("boolean", counts["bool"]),
    ):
        if matched >= share:
            return kind, matched
    if counts["phone"] >= share:
        return "phone", counts["phone"]
    return "text", nn


def consistency_findings(
    col: Mapping[str, Any], stats: Mapping[str, Any], order_violations: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Consistency problems of one column: (check, count, message) for each that applies."""
    name, kind = col["name"], col["kind"]
    found: list[dict[str, Any]] = []

    def add(check: str, count: int, message: str) -> None:
        if count > 0:
            found.append(
                {
                    "check": check,
                    "count": int(count),
                    "message": message.format(n=format_number(int(count), "count")),
                }
            )

    if kind in ("date", "timestamp") and not patterns.future_allowed(name):
        add("future_dates", stats["future"], "{n} date(s) in the future")
    if kind == "numeric" and patterns.amount_like(name):
        add("negative_values", stats["neg"], "{n} negative value(s) where none belong")
    for earlier, count in order_violations.items():
        add("date_order", count, "{n} value(s) earlier than " + earlier)
    if kind == "text":
        detected = col["detected"]
        if detected == "date":
            formats = {f: stats[f"fmt_{f}"] for f in patterns.DATE_FORMATS}
            used = {f: n for f, n in formats.items() if n}
            if len(used) > 1:
                main = max(used, key=lambda f: (used[f], f == "iso"))
                add(
                    "mixed_date_formats",
                    sum(used.values()) - used[main],
                    f"{{n}} date(s) not in the main format ({main}); formats used: "
                    + ", ".join(sorted(used)),
                )
            if not patterns.future_allowed(name):
                add("future_dates", stats["iso_future"], "{n} date(s) in the future")
        if detected == "text" and stats["ndl"] < stats["nd"]:
            styles = {"lower": stats["lower"], "upper": stats["upper"], "title": stats["title"]}
            main = max(styles, key=lambda s: styles[s])
            cased = stats["cased"]
            add(
                "mixed_case",
                cased - styles[main],
                f"{{n}} value(s) in another letter case than the rest (most are {main} case)",
            )
        add("untrimmed", stats["untrimmed"], "{n} value(s) with leading or trailing spaces")
    return found


def choose_keys(columns: list[dict[str, Any]]) -> list[str]:
    """Key columns: >80 % distinct and <10 % null, or named id/email/code/sku; at most 3.

    Columns meeting both tests come first, then the distinct ones, then the named ones,
    each group in table order.
    """
    ranked: list[tuple[int, int, str]] = []
    for index, col in enumerate(columns):
        if col["status"] != "profiled" or not col["non_null"]:
            continue
        by_stats = (
            col["uniqueness"] is not None
            and col["uniqueness"] > KEY_MIN_UNIQUENESS
            and col["null_pct"] < KEY_MAX_NULL_PCT
        )
        by_name = patterns.key_by_name(col["name"])
        if by_stats or by_name:
            ranked.append((0 if by_stats and by_name else 1 if by_stats else 2, index, col["name"]))
    return [name for _, _, name in sorted(ranked)[:MAX_KEYS]]


def uniqueness_judged(col: Mapping[str, Any]) -> bool:
    """Whether a column's uniqueness counts: a key column that is meant to be unique.

    Low-cardinality columns (status, country) repeat by nature and are not judged. Among
    the key columns (see choose_keys) a key only by its name that repeats (under 80 %
    distinct, such as customer_id in orders) is a reference to another table and is not
    judged either, unless its whole name is a key word (``id``, ``email``, ``code``,
    ``sku``): the table's own identifier, whose repeats are a defect.
    """
    if not col.get("is_key") or col["status"] != "profiled" or not col["non_null"]:
        return False
    distinct = col["uniqueness"] is not None and col["uniqueness"] > KEY_MIN_UNIQUENESS
    words = patterns.tokens(col["name"])
    return distinct or (len(words) == 1 and words[0] in patterns.KEY_NAME_TOKENS)


def uniqueness_note(col: Mapping[str, Any]) -> str | None:
    """Why a profiled column's uniqueness is not judged (None when it is)."""
    if col["status"] != "profiled" or not col["non_null"] or uniqueness_judged(col):
        return None
    if col.get("is_key"):
        return "n/a: a reference to another table's key, repeats by design"
    return "n/a: not a key"


def table_metrics(columns: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean of each per-column metric over the profiled columns that have a value for it.

    Uniqueness is the mean over the judged columns only (see uniqueness_judged), None
    when there is none.
    """
    out: dict[str, float | None] = {}
    profiled = [c for c in columns if c["status"] == "profiled"]
    for metric in WEIGHTS:
        if metric == "uniqueness":
            values = [c[metric] for c in profiled if c.get("uniqueness_judged")]
            out[metric] = round(sum(values) / len(values), 2) if values else None
            continue
        values = [c[metric] for c in profiled if c[metric] is not None]
        out[metric] = round(sum(values) / len(values), 2) if values else 0.0
    return out


def column_issues(col: Mapping[str, Any], rows: int) -> list[dict[str, Any]]:
    """Issues of one profiled column, each graded by the share of rows it affects."""
    issues: list[dict[str, Any]] = []

    def add(kind: str, count: int, message: str) -> None:
        share = pct(count, rows)
        issues.append(
            {
                "column": col["name"],
                "kind": kind,
                "count": int(count),
                "pct": share,
                "severity": severity(share),
                "message": message,
            }
        )

    if col["null_count"]:
        add(
            "missing",
            col["null_count"],
            f"{format_number(col['null_pct'], 'percent')} of values are missing",
        )
    if col["status"] != "profiled":
        return issues
    if col.get("invalid_count"):
        add(
            "invalid",
            col["invalid_count"],
            f"{format_number(col['invalid_count'], 'count')} value(s) are not valid "
            f"{col['detected']} values",
        )
    for finding in col.get("consistency_findings", []):
        add(finding["check"], finding["count"], finding["message"])
    if col.get("outlier_count"):
        add(
            "outliers",
            col["outlier_count"],
            f"{format_number(col['outlier_count'], 'count')} value(s) outside the IQR fences "
            f"[{format_number(col['lower_fence'])}, {format_number(col['upper_fence'])}]",
        )
    if col.get("duplicate_count") and col.get("uniqueness_judged"):
        add(
            "duplicates",
            col["duplicate_count"],
            f"{format_number(col['duplicate_count'], 'count')} row(s) repeat a value of key "
            f"column {col['name']}",
        )
    return issues


SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def sort_issues(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(issues, key=lambda i: (SEVERITY_ORDER[i["severity"]], -i["pct"], i["column"]))
