"""Execution accuracy: does a proposed query return what the right (gold) query returns?

Used by ``bench/ai_bench.py`` (part 3) to score the AI data modeler, and reusable for any
question set. Two queries are judged by their results, not their text:

- ``compare_results(expected, actual, ordered=False) -> Verdict``: two :class:`ResultSet`
  (or anything with ``rows``, and ``columns`` for the width) are the same when
  - they have as many columns, matched **by their values, not their names or places**
    (each expected column to one actual column holding the same multiset of values;
    when several could, every assignment is tried);
  - they have the same rows as a **multiset**: row order ignored unless ``ordered``,
    duplicates counted (two equal rows are not one);
  - values are compared after normalising: numbers by value whatever their type
    (``Decimal``, ``float``, ``int``) within ``rel_tol`` / ``abs_tol``, NULL equal to
    NULL only, booleans apart from numbers, a timestamp at midnight equal to its date,
    aware timestamps compared in UTC, arrays element by element.
  ``Verdict.reason`` says in words why they differ ("3 rows, expected 4").
- ``run_for_evaluation(database, project_id, sql)`` runs one query as the AI's SQL is run:
  the same check (``dra.modeling.prepare``) and read-only executor (the project's role,
  the statement timeout), at most ``max_rows`` rows (more: ``truncated``).
- ``evaluate(database, project_id, gold_sql, predicted_sql, ordered=False)``: both, then
  ``compare_results``; a predicted query that is refused or fails is a mismatch with the
  database's message, a gold query that fails raises (the question set is wrong).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from dra.db import Database
from dra.modeling.errors import ModelingError

REL_TOL = 1e-6
ABS_TOL = 1e-9
MAX_ROWS = 10_000
MAX_ASSIGNMENTS = 10_000
"""Column assignments tried before giving up (columns with identical values)."""
GREEDY_ROWS = 5_000
"""Above this many rows, rows are matched only in sorted order (no pairwise fallback)."""


@dataclass(frozen=True)
class ResultSet:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False

    @property
    def width(self) -> int:
        if self.columns:
            return len(self.columns)
        return len(self.rows[0]) if self.rows else 0

    @classmethod
    def of(cls, value: Any) -> ResultSet:
        """A ResultSet from one, a ``QueryResult`` (columns as dicts) or a list of rows."""
        if isinstance(value, ResultSet):
            return value
        if hasattr(value, "rows"):
            names = [c["name"] if isinstance(c, dict) else str(c) for c in value.columns or []]
            return cls(names, [tuple(r) for r in value.rows], bool(getattr(value, "truncated", 0)))
        rows = [tuple(r) for r in value]
        return cls([f"column{i + 1}" for i in range(len(rows[0]) if rows else 0)], rows)


@dataclass(frozen=True)
class Verdict:
    match: bool
    reason: str = ""
    """Why not, in words ("" when they match)."""
    column_map: tuple[int, ...] | None = None
    """For each expected column, the actual column matched to it."""
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.match


# --- normalising values ---------------------------------------------------------------------


class _NaN:
    """NaN, normalised: equal to itself (two NaNs in the same place are the same result)."""

    def __repr__(self) -> str:
        return "NaN"


NAN = _NaN()


def normalise(value: Any) -> Any:
    """A value in a form two equal results share (see the module's rules)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        return NAN if math.isnan(number) else number
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(normalise(v) for v in value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    return str(value)


def _rank(value: Any) -> tuple:
    """A sort key across types (numbers among numbers, times among times...)."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if value is NAN:
        return (2, math.inf, 1)
    if isinstance(value, float):
        return (2, value, 0)
    if isinstance(value, datetime):
        return (3, value)
    if isinstance(value, date):
        return (3, datetime.combine(value, time(0)))
    if isinstance(value, str):
        return (4, value)
    if isinstance(value, tuple):
        return (5, tuple(_rank(v) for v in value))
    return (6, repr(value))


def _same(a: Any, b: Any, rel_tol: float, abs_tol: float) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(
            _same(x, y, rel_tol, abs_tol) for x, y in zip(a, b, strict=True)
        )
    return a == b


def _same_row(a: tuple, b: tuple, rel_tol: float, abs_tol: float) -> bool:
    return all(_same(x, y, rel_tol, abs_tol) for x, y in zip(a, b, strict=True))


def _same_multiset(a: list, b: list, same) -> bool:
    """Equal as multisets: in sorted order, else (tolerances across the sort) pairwise."""
    if len(a) != len(b):
        return False
    if all(same(x, y) for x, y in zip(a, b, strict=True)):
        return True
    if len(a) > GREEDY_ROWS:
        return False
    left = list(b)
    for x in a:
        for i, y in enumerate(left):
            if same(x, y):
                del left[i]
                break
        else:
            return False
    return True


# --- comparing ------------------------------------------------------------------------------


def _column_candidates(expected: list[list], actual: list[list], same_value) -> list[list[int]]:
    sorted_actual = [sorted(col, key=_rank) for col in actual]
    out = []
    for col in expected:
        ordered = sorted(col, key=_rank)
        out.append(
            [
                k
                for k, other in enumerate(sorted_actual)
                if _same_multiset(ordered, other, same_value)
            ]
        )
    return out


def _assignments(candidates: list[list[int]]):
    """Injective choices of one candidate per expected column, most constrained first."""
    order = sorted(range(len(candidates)), key=lambda j: len(candidates[j]))
    chosen: dict[int, int] = {}
    used: set[int] = set()

    def walk(i: int):
        if i == len(order):
            yield tuple(chosen[j] for j in range(len(candidates)))
            return
        j = order[i]
        for k in candidates[j]:
            if k in used:
                continue
            chosen[j] = k
            used.add(k)
            yield from walk(i + 1)
            used.discard(k)
            del chosen[j]

    yield from walk(0)


def compare_results(
    expected: Any,
    actual: Any,
    *,
    ordered: bool = False,
    rel_tol: float = REL_TOL,
    abs_tol: float = ABS_TOL,
) -> Verdict:
    """Whether ``actual`` holds what ``expected`` holds (see the module's rules)."""
    exp_set, act_set = ResultSet.of(expected), ResultSet.of(actual)
    if act_set.truncated:
        return Verdict(False, "more rows than could be compared (the result was cut)")
    width, act_width = exp_set.width, act_set.width
    if act_width != width:
        return Verdict(False, f"{act_width} column(s), expected {width}")
    exp_rows = [tuple(normalise(v) for v in r) for r in exp_set.rows]
    act_rows = [tuple(normalise(v) for v in r) for r in act_set.rows]
    if len(act_rows) != len(exp_rows):
        return Verdict(False, f"{len(act_rows)} row(s), expected {len(exp_rows)}")
    if not exp_rows:
        return Verdict(True, column_map=tuple(range(width)))

    def same_value(a: Any, b: Any) -> bool:
        return _same(a, b, rel_tol, abs_tol)

    def same_row(a: tuple, b: tuple) -> bool:
        return _same_row(a, b, rel_tol, abs_tol)

    exp_cols = [list(c) for c in zip(*exp_rows, strict=True)]
    act_cols = [list(c) for c in zip(*act_rows, strict=True)]
    candidates = _column_candidates(exp_cols, act_cols, same_value)
    for j, found in enumerate(candidates):
        if not found:
            name = exp_set.columns[j] if j < len(exp_set.columns) else f"column{j + 1}"
            return Verdict(False, f"no column holds the values of the expected column {name!r}")
    exp_sorted = sorted(exp_rows, key=lambda r: tuple(_rank(v) for v in r))
    tried = 0
    for mapping in _assignments(candidates):
        tried += 1
        if tried > MAX_ASSIGNMENTS:
            break
        projected = [tuple(r[k] for k in mapping) for r in act_rows]
        if ordered:
            if all(same_row(a, b) for a, b in zip(exp_rows, projected, strict=True)):
                return Verdict(True, column_map=mapping)
            continue
        act_sorted = sorted(projected, key=lambda r: tuple(_rank(v) for v in r))
        if _same_multiset(exp_sorted, act_sorted, same_row):
            return Verdict(True, column_map=mapping)
    if ordered:
        for mapping in _assignments(candidates):
            projected = [tuple(r[k] for k in mapping) for r in act_rows]
            act_sorted = sorted(projected, key=lambda r: tuple(_rank(v) for v in r))
            if _same_multiset(exp_sorted, act_sorted, same_row):
                return Verdict(False, "the same rows in another order (the order was asked for)")
    return Verdict(False, "each column holds the expected values, but the rows pair them otherwise")


# --- running --------------------------------------------------------------------------------


def run_for_evaluation(
    database: Database,
    project_id: int,
    sql: str,
    *,
    max_rows: int = MAX_ROWS,
    timeout_ms: int = 15000,
) -> ResultSet:
    """Run ``sql`` as the AI's SQL is run (checked, read-only, as the project's role);
    ModelingError when it is refused or fails."""
    from dra.modeling.executor import run_readonly
    from dra.modeling.prepare import prepare
    from dra.modeling.service import catalog_for

    prepared = prepare(catalog_for(database, project_id), sql=sql)
    result = run_readonly(
        database,
        prepared.sql,
        prepared.params,
        project_id=project_id,
        limit=max_rows,
        timeout_ms=timeout_ms,
    )
    return ResultSet.of(result)


def evaluate(
    database: Database,
    project_id: int,
    gold_sql: str,
    predicted_sql: str | None,
    *,
    ordered: bool = False,
    max_rows: int = MAX_ROWS,
    timeout_ms: int = 15000,
) -> Verdict:
    """Run both queries and compare their results; the gold query must run."""
    gold = run_for_evaluation(
        database, project_id, gold_sql, max_rows=max_rows, timeout_ms=timeout_ms
    )
    if gold.truncated:
        raise ValueError(f"the gold query returns more than {max_rows} rows: {gold_sql}")
    if not predicted_sql or not predicted_sql.strip():
        return Verdict(False, "no SQL was proposed")
    try:
        predicted = run_for_evaluation(
            database, project_id, predicted_sql, max_rows=max_rows, timeout_ms=timeout_ms
        )
    except ModelingError as exc:
        return Verdict(False, exc.message)
    return compare_results(gold, predicted, ordered=ordered)


def accuracy(verdicts: Sequence[Verdict | bool]) -> float:
    """The share of matches (1.0 for none)."""
    return sum(1 for v in verdicts if v) / len(verdicts) if verdicts else 1.0
