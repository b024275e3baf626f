"""Soda Core 4 contracts generated from a profile, kept as editable files, verified locally.

A contract lives at ``DRA_DATA_DIR/quality/contracts/p<project>/model_<id>.yml``; it is
written once from the model's latest profile and then belongs to whoever edits it
(regenerating is an explicit choice). Verification runs offline against the platform's
PostgreSQL with telemetry off, and answers a plain structured result.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from dra.quality import patterns, scoring

DATA_SOURCE_NAME = "dra"
FRESHNESS_WORDS = frozenset(
    {
        "updated",
        "modified",
        "loaded",
        "ingested",
        "created",
        "at",
        "timestamp",
        "time",
        "date",
        "day",
    }
)


def contract_path(data_dir: Path, project_id: int, model_id: int) -> Path:
    return (
        Path(data_dir)
        / "quality"
        / "contracts"
        / f"p{int(project_id)}"
        / f"model_{int(model_id)}.yml"
    )


def _limit(pct_value: float) -> dict[str, Any]:
    """A percent threshold at the level the profile saw (0 stays a strict zero)."""
    if pct_value <= 0:
        return {"metric": "percent", "must_be": 0}
    return {"metric": "percent", "must_be_less_than_or_equal": math.ceil(pct_value)}


def _validity_check(col: dict[str, Any], rows: int) -> dict[str, Any] | None:
    detected = col.get("detected")
    invalid_pct = 100.0 * (col.get("invalid_count") or 0) / rows if rows else 0.0
    regex = {
        "email": patterns.EMAIL_RE,
        "url": patterns.URL_RE,
        "phone": patterns.PHONE_RE,
        "integer": patterns.INTEGER_RE,
        "decimal": patterns.DECIMAL_RE,
        "date": "|".join(f"({rx})" for rx in patterns.DATE_FORMATS.values()),
    }.get(detected or "")
    if col["kind"] == "text" and regex:
        return {
            "invalid": {
                "valid_format": {"name": detected, "regex": regex},
                "threshold": _limit(invalid_pct),
            }
        }
    if col["kind"] == "numeric" and patterns.amount_like(col["name"]):
        negatives = next(
            (
                f["count"]
                for f in col.get("consistency_findings", [])
                if f["check"] == "negative_values"
            ),
            0,
        )
        return {
            "invalid": {
                "valid_min": 0,
                "threshold": _limit(100.0 * negatives / rows if rows else 0.0),
            }
        }
    return None


def _freshness(report: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """Freshness on the most recent-looking timestamp column, limit = twice today's age."""
    candidates = [
        c
        for c in report["columns"]
        if c["kind"] == "timestamp" and c["status"] == "profiled" and c.get("max")
    ]
    if not candidates:
        return None
    candidates.sort(
        key=lambda c: (
            not set(patterns.tokens(c["name"])) & FRESHNESS_WORDS,
            "updated" not in c["name"],
        )
    )
    col = candidates[0]
    try:
        newest = datetime.fromisoformat(str(col["max"]).replace(" ", "T"))
    except ValueError:
        return None
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    age_days = max(0.0, (now - newest).total_seconds() / 86400)
    limit = max(2, math.ceil(age_days * 2))
    return {
        "freshness": {
            "column": col["name"],
            "threshold": {"unit": "day", "must_be_less_than": limit},
        }
    }


def generate_contract(
    report: dict[str, Any], *, database: str, schema: str, table: str, now: datetime | None = None
) -> dict[str, Any]:
    """A Soda contract for the profiled table: rows present, key limits, validity, freshness."""
    rows = int(report["row_count"])
    checks: list[dict[str, Any]] = [{"row_count": {"threshold": {"must_be_greater_than": 0}}}]
    fresh = _freshness(report, now or datetime.now(UTC))
    if fresh:
        checks.append(fresh)
    columns: list[dict[str, Any]] = []
    for col in report["columns"]:
        entry: dict[str, Any] = {"name": col["name"]}
        col_checks: list[dict[str, Any]] = []
        if col["status"] == "profiled":
            if col["is_key"]:
                col_checks.append({"missing": {"threshold": _limit(col["null_pct"])}})
                # a key only by its name (order_id in order lines) repeats by design
                if scoring.uniqueness_judged(col):
                    dup_pct = 100.0 * col["duplicate_count"] / rows if rows else 0.0
                    col_checks.append({"duplicate": {"threshold": _limit(dup_pct)}})
            validity = _validity_check(col, rows)
            if validity:
                col_checks.append(validity)
        if col_checks:
            entry["checks"] = col_checks
        columns.append(entry)
    return {
        "dataset": f"{DATA_SOURCE_NAME}/{database}/{schema}/{table}",
        "description": f"Generated from the quality profile of {schema}.{table}; edit freely.",
        "checks": checks,
        "columns": columns,
    }


def write_contract(path: Path, contract: dict[str, Any], *, overwrite: bool = False) -> bool:
    """Write the contract unless a (possibly edited) file is there; True when written."""
    if path.exists() and not overwrite:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(yaml.safe_dump(contract, sort_keys=False, width=120), encoding="utf-8")
    tmp.replace(path)
    return True


def data_source_config(database_url: str) -> dict[str, Any]:
    """The Soda data source for the platform database (a password key is always present)."""
    url = make_url(database_url)
    host = url.host or url.query.get("host") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    return {
        "type": "postgres",
        "name": DATA_SOURCE_NAME,
        "connection": {
            "host": host,
            "port": int(url.port or 5432),
            "user": url.username or "postgres",
            "password": url.password or "",
            "database": url.database,
        },
    }


@dataclass
class SodaCheck:
    name: str
    type: str
    column: str | None
    outcome: str
    value: float | int | None
    threshold: str
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass
class SodaOutcome:
    checks: list[SodaCheck]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and all(c.outcome in ("passed", "warn") for c in self.checks)

    @property
    def failed(self) -> list[SodaCheck]:
        return [c for c in self.checks if c.outcome not in ("passed", "warn")]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": self.errors,
            "checks": [
                {
                    "name": c.name,
                    "type": c.type,
                    "column": c.column,
                    "outcome": c.outcome,
                    "value": c.value,
                    "threshold": c.threshold,
                }
                for c in self.checks
            ],
        }


def verify(database_url: str, contract_file: Path) -> SodaOutcome:
    """Run the contract with soda-core against the database; never phones home."""
    os.environ["SODA_CORE_TELEMETRY_ENABLED"] = "false"
    if not Path(contract_file).exists():
        return SodaOutcome(checks=[], errors=[f"No contract file at {contract_file}."])
    from soda_core.contracts.api.verify_api import verify_contract_locally

    with tempfile.TemporaryDirectory(prefix="dra-soda-") as tmp:
        ds_file = Path(tmp) / "data_source.yml"
        ds_file.touch(mode=0o600)
        ds_file.write_text(yaml.safe_dump(data_source_config(database_url)), encoding="utf-8")
        try:
            result = verify_contract_locally(
                data_source_file_path=str(ds_file), contract_file_path=str(contract_file)
            )
        except Exception as exc:  # noqa: BLE001 - a broken contract becomes a readable error
            return SodaOutcome(checks=[], errors=[f"Soda could not run the contract: {exc}"])
    checks = []
    for file_result in result.results:
        for check_result in file_result.check_results:
            check = check_result.check
            checks.append(
                SodaCheck(
                    name=check.name or check.type,
                    type=check.type,
                    column=check.column_name,
                    outcome=check_result.outcome.value.lower().replace(
                        "not_evaluated", "not evaluated"
                    ),
                    value=check_result.threshold_value,
                    threshold=str(check.threshold or "").replace("\n", "; "),
                    diagnostics=dict(check_result.diagnostic_metric_values or {}),
                )
            )
    return SodaOutcome(checks=checks, errors=result.get_errors())
