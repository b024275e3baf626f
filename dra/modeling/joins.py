"""Join suggestions (UC-AI-10): which columns of a project's tables join which, how sure.

Deterministic, no model. Used by the AI context and offered in the query builder's join
picker. The public entry point is :func:`suggest_joins` (its signature and the fields of
:class:`JoinSuggestion` are kept stable)::

    from dra.modeling.joins import suggest_joins

    result = suggest_joins(database, project_id)                    # the whole project
    result = suggest_joins(database, project_id, tables=["orders"])  # touching one table
    result = suggest_joins(database, project_id, tables=["orders", "customers"])  # a pair
    result = suggest_joins(database, project_id, data_source_id=7)  # within one source
    for s in result:  # best first
        s.left_table, s.left_column, s.right_table, s.right_column, s.confidence, s.reasons
    result.as_dict()  # {"suggestions": [...], "message": None or NO_CANDIDATES_MESSAGE}

``left`` is the referencing (child) column, ``right`` the referenced key (parent).

Signals
- **Declared foreign keys** of database sources: PostgreSQL ``pg_constraint`` and MySQL /
  MariaDB ``information_schema.KEY_COLUMN_USAGE``, read at introspection and kept in the
  source's cached schema (``schema_cache["foreign_keys"]``), mapped to the ingested table
  and column names.
- **Names**: words of the column (``customer_id``, ``customerId``, ``CustomerID``, an
  ingested ``customerid`` through the name it had at the source), without the table's
  column prefix (TPC-H ``l_``), against the parent table's names (the ingested table, the
  table at the source, a model's name; singular; their last words, so a source's prefix
  such as ``shop_db_`` does not hide ``customers``) and its key (``id``, ``<table>_id``,
  ``<table>_key``/``_code``, ``<table>id``). Scores: the table named exactly 0.95, by its
  last words 0.9, the same key name on both sides 0.9 (``o_custkey`` / ``c_custkey``),
  a self reference (``manager_id``, ``parent_id``, ``reports_to``) 0.85, a name ending
  with the table's (``manager_staff_id``) 0.8, an abbreviation (``cust_id``) 0.7. A key
  named with another suffix than the parent's (``customer_code`` -> ``customers.id``)
  loses 0.1.
- **Types**: integers with integers, text with text, uuid with uuid; numeric with an
  integer only when the sampled values are whole numbers. Anything else is no candidate.
- **Values**, measured in SQL on the ingested tables as the project's database role
  (read-only transaction, statement timeout, a time budget for the whole call): the
  share of the child column's distinct values (up to ``SAMPLE_VALUES`` of them, from at
  most ``SAMPLE_ROWS`` rows, a ``TABLESAMPLE`` of larger tables) found in the parent
  column, and whether the parent column is unique (in at most ``KEY_ROWS`` rows).
- **Siblings**: a parent column that is itself named after a third table
  (``film_category.film_id``, unique there by chance) references that table like the
  child does: it is not proposed as the child's parent.
- **Keys of several columns**: two or more columns named after columns of one table, none
  unique there (TPC-H ``(l_partkey, l_suppkey)`` -> ``partsupp``), are measured together;
  the suggestion's ``conditions`` lists every pair.
- **Values alone**: a key-like column that names no table (``support_rep_id``) is
  proposed for the one table key, of another table, that holds at least 95% of its
  values, when exactly one does (name score 0.6).

Confidence, in [0, 1]
- declared key: 1.0, or the share of values found when the ingested data disagrees;
- inferred: ``name score x containment^2 x (1 if the parent key is unique else 0.5)``;
  not measured (time limit): ``name score x 0.6``.
Suggestions below ``min_confidence`` (0.5) are dropped; the rest are ordered by
confidence. Each says why (``reasons``) and its ``relationship``: ``many_to_one`` (parent
unique), ``one_to_one`` (both unique), ``many_to_many`` (parent not unique).
None found: an empty list and :data:`NO_CANDIDATES_MESSAGE`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import select

from dra.db import Database
from dra.modeling.catalog import Catalog, load_catalog, source_tables
from dra.modeling.errors import ModelingError
from dra.modeling.executor import readonly_cursor

NO_CANDIDATES_MESSAGE = "No join candidates detected in schema."
MIN_CONFIDENCE = 0.5
SAMPLE_VALUES = 1000
"""Distinct child values whose containment is measured."""
SAMPLE_ROWS = 100_000
"""Child rows those values are drawn from (a TABLESAMPLE of larger tables)."""
KEY_ROWS = 1_000_000
"""Rows in which a parent key must be unique."""
TIMEOUT_MS = 3000
"""Statement timeout of each measuring query."""
BUDGET_SECONDS = 30.0
"""Time for all the measuring queries of one call; what is left is not measured."""
VALUES_ONLY_SHARE = 0.95

# name scores
EXACT, LAST_WORDS, SAME_NAME, SELF, COMPOUND, ABBREVIATION, VALUES_ONLY = (
    0.95,
    0.9,
    0.9,
    0.85,
    0.8,
    0.7,
    0.6,
)
OTHER_SUFFIX_PENALTY = 0.1
UNMEASURED_FACTOR = 0.6
NOT_UNIQUE_FACTOR = 0.5

KEY_WORDS = frozenset({"id", "key", "code", "uuid", "guid", "no", "nr", "num", "number", "ref"})
GLUED_KEYS = ("uuid", "guid", "id", "key", "code")
"""Suffixes recognised inside one word (``customerid``), longest first."""
SELF_WORDS = frozenset(
    {"parent", "manager", "supervisor", "superior", "boss", "mentor", "reportsto", "reportingto"}
)
IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "statuses": "status",
    "analyses": "analysis",
    "indices": "index",
    "series": "series",
    "species": "species",
    "movies": "movie",
    "cookies": "cookie",
}

INTEGER = frozenset({"smallint", "integer", "bigint"})
NUMERIC = frozenset({"numeric", "decimal"})
TEXT = frozenset({"text", "character varying", "character", "varchar", "char", "citext"})
UUID = frozenset({"uuid"})

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


# ---------------------------------------------------------------- names


def tokens(name: str) -> list[str]:
    """Lower-case words of a name: ``CustomerID``, ``customerId``, ``customer_id`` ->
    ``["customer", "id"]``."""
    words: list[str] = []
    for part in re.split(r"[^0-9A-Za-z]+", name or ""):
        words.extend(m.lower() for m in _WORD.findall(part))
    return words


def singular(word: str) -> str:
    """English singular by simple rules (``categories`` -> ``category``)."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("ses"):
        return word[:-1]
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def _joined(words: Sequence[str]) -> str:
    """Words as one singular name, separators dropped (``order_items`` -> ``orderitem``)."""
    if not words:
        return ""
    return "".join(words[:-1]) + singular(words[-1])


@dataclass(frozen=True)
class ColumnReading:
    """One way to read a column's name: its words, and the key suffix when it has one."""

    column: str
    words: tuple[str, ...]
    stem_words: tuple[str, ...]
    suffix: str
    """``id``, ``key``, ``code``... ("" when the name is not key-like)."""
    glued: bool = False
    """The suffix was split off a single word (``customerid``): a guess."""

    @property
    def stem(self) -> str:
        return _joined(self.stem_words)

    @property
    def name(self) -> str:
        return "".join(self.words)

    @property
    def key_like(self) -> bool:
        return bool(self.suffix)

    @property
    def self_reference(self) -> bool:
        return self.stem in SELF_WORDS or (not self.suffix and "".join(self.words) in SELF_WORDS)


def _reading(column: str, words: Sequence[str]) -> ColumnReading:
    words = tuple(words)
    if not words:
        return ColumnReading(column, words, (), "")
    last = words[-1]
    if last in KEY_WORDS:
        return ColumnReading(column, words, words[:-1], last)
    for suffix in GLUED_KEYS:
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            stem = (*words[:-1], last[: -len(suffix)])
            return ColumnReading(column, words, stem, suffix, glued=True)
    return ColumnReading(column, words, words, "")


@dataclass
class TableNames:
    """What names say about one table: its entity names, column prefix, column readings."""

    table: str
    schema: str
    columns: dict[str, str]
    """column -> PostgreSQL type."""
    exact: frozenset[str]
    """Full names of the table, singular, words joined (``orderitem``)."""
    partial: frozenset[str]
    """Its last words (``shop_db_customers`` -> ``dbcustomer``, ``customer``)."""
    prefix: str
    """A column prefix every column shares (TPC-H ``l_``), else ""."""
    readings: dict[str, list[ColumnReading]] = field(default_factory=dict)

    def names(self) -> frozenset[str]:
        return self.exact | self.partial

    def own_key_level(self, reading: ColumnReading) -> str | None:
        """How ``reading`` is this table's own key: "plain" (``id``), "exact", "abbreviation"
        (``c_custkey`` of ``customer``), or None."""
        if not reading.key_like:
            return None
        stem = reading.stem
        if not stem:
            return "plain"
        if stem in self.exact or stem in self.partial:
            return "exact"
        if len(stem) >= 3 and any(n.startswith(stem) for n in self.names()):
            return "abbreviation"
        return None

    def own_keys(self) -> list[tuple[str, ColumnReading]]:
        out = []
        for column, readings in self.readings.items():
            for r in readings:
                if self.own_key_level(r):
                    out.append((column, r))
                    break
        return out


def _entity_names(names: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    exact: set[str] = set()
    partial: set[str] = set()
    for name in names:
        words = tokens(name)
        if not words:
            continue
        exact.add(_joined(words))
        for i in range(1, len(words)):
            tail = _joined(words[i:])
            if len(tail) >= 2:
                partial.add(tail)
    return frozenset(exact), frozenset(partial - exact)


def _column_prefix(columns: Sequence[str]) -> str:
    if len(columns) < 2:
        return ""
    match = re.match(r"^([a-z]{1,4})_", columns[0])
    if not match:
        return ""
    prefix = match.group(0)
    return prefix if all(c.startswith(prefix) and len(c) > len(prefix) for c in columns) else ""


def table_names(
    table: str,
    columns: Mapping[str, str],
    *,
    schema: str = "",
    source_table: str | None = None,
    label: str | None = None,
    source_names: Mapping[str, str] | None = None,
) -> TableNames:
    """The names of one table (``source_table``: its name at the source; ``label``: a
    model's name; ``source_names``: ingested column -> its name at the source)."""
    names = [table]
    if source_table:
        names.append(source_table.rsplit(".", 1)[-1])
    if label:
        names.append(label)
    exact, partial = _entity_names(names)
    prefix = _column_prefix(list(columns))
    info = TableNames(table, schema, dict(columns), exact, partial, prefix)
    source_names = source_names or {}
    prefix_word = prefix[:-1]
    for column in columns:
        spellings = [column]
        if source_names.get(column) and source_names[column] != column:
            spellings.insert(0, source_names[column])  # keeps camelCase word boundaries
        readings: list[ColumnReading] = []
        for spelling in spellings:
            words = tokens(spelling)
            variants = [words]
            if prefix_word and len(words) > 1 and words[0] == prefix_word:
                variants.insert(0, words[1:])
            for v in variants:
                r = _reading(column, v)
                if r not in readings:
                    readings.append(r)
        info.readings[column] = readings
    return info


@dataclass(frozen=True)
class NameLink:
    score: float
    reason: str


def _tail_match(stem_words: Sequence[str], names: frozenset[str]) -> bool:
    return any(_joined(stem_words[i:]) in names for i in range(1, len(stem_words)))


def _link(
    child: TableNames, c: ColumnReading, parent: TableNames, k: ColumnReading
) -> NameLink | None:
    own = parent.own_key_level(k)
    if child.table == parent.table:
        if c.column == k.column or not own:
            return None
        if c.self_reference:
            return NameLink(SELF, f"{c.column} names a reference within {child.table}")
        if c.key_like and len(c.stem_words) > 1 and _tail_match(c.stem_words, parent.names()):
            return NameLink(COMPOUND, f"{c.column} ends with the name of {parent.table}")
        return None
    if not c.key_like or not c.stem or c.stem in child.exact:
        return None  # not named like a key, or this table's own key
    best: NameLink | None = None

    def offer(score: float, reason: str) -> None:
        nonlocal best
        if best is None or score > best.score:
            best = NameLink(round(score, 4), reason)

    if own:
        penalty = 0.0 if (k.suffix == c.suffix or not k.stem) else OTHER_SUFFIX_PENALTY
        key = f"{parent.table}.{k.column}"
        if c.stem in parent.exact:
            offer(EXACT - penalty, f"{c.column} names the table {parent.table} and its key {key}")
        elif c.stem in parent.partial:
            offer(
                LAST_WORDS - penalty,
                f"{c.column} names the table {parent.table} (its last words) and its key {key}",
            )
        if len(c.stem_words) > 1 and _tail_match(c.stem_words, parent.names()):
            offer(COMPOUND - penalty, f"{c.column} ends with the name of {parent.table}")
        if len(c.stem) >= 3 and any(n.startswith(c.stem) and n != c.stem for n in parent.names()):
            offer(ABBREVIATION - penalty, f"{c.column} abbreviates {parent.table}")
    if k.key_like and k.stem and c.name == k.name:
        offer(SAME_NAME, f"the same key name as {parent.table}.{k.column}")
    return best


def name_link(
    child: TableNames, column: str, parent: TableNames, parent_column: str
) -> NameLink | None:
    """How strongly the names say ``child.column`` references ``parent.parent_column``."""
    best = None
    for c in child.readings.get(column, []):
        for k in parent.readings.get(parent_column, []):
            link = _link(child, c, parent, k)
            if link and (best is None or link.score > best.score):
                best = link
    return best


# ---------------------------------------------------------------- types and confidence


def type_family(pg_type: str) -> str | None:
    """``integer``, ``numeric``, ``text`` or ``uuid`` for types a key can have, else None."""
    t = (pg_type or "").lower()
    if t in INTEGER:
        return "integer"
    if t in NUMERIC:
        return "numeric"
    if t in TEXT:
        return "text"
    if t in UUID:
        return "uuid"
    return None


def compatible(child_type: str, parent_type: str) -> str | None:
    """ "yes", "integral" (numeric and integer: only if the values are whole), or None."""
    a, b = type_family(child_type), type_family(parent_type)
    if a is None or b is None:
        return None
    if a == b:
        return "yes"
    if {a, b} == {"integer", "numeric"}:
        return "integral"
    return None


def confidence(
    *,
    declared: bool = False,
    name_score: float = 0.0,
    containment: float | None = None,
    parent_unique: bool | None = None,
) -> float:
    """The formula of the module's docstring, rounded to 3 digits."""
    if declared:
        value = 1.0 if containment is None or containment >= 0.99 else containment
    elif containment is None:
        value = name_score * UNMEASURED_FACTOR
    else:
        value = (
            name_score * containment**2 * (1.0 if parent_unique is not False else NOT_UNIQUE_FACTOR)
        )
    return round(max(0.0, min(1.0, value)), 3)


# ---------------------------------------------------------------- result


@dataclass(frozen=True)
class JoinSuggestion:
    left_table: str
    left_column: str
    right_table: str
    right_column: str
    confidence: float
    reasons: tuple[str, ...]
    relationship: str
    """``many_to_one``, ``one_to_one`` or ``many_to_many``."""
    declared: bool = False
    containment: float | None = None
    """Share of the sampled distinct values of the left column found in the right one."""
    conditions: tuple[tuple[str, str], ...] = ()
    """Every (left column, right column) pair: more than one for a composite declared key."""

    def as_dict(self) -> dict[str, Any]:
        pairs = self.conditions or ((self.left_column, self.right_column),)
        return {
            "left_table": self.left_table,
            "left_column": self.left_column,
            "right_table": self.right_table,
            "right_column": self.right_column,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "relationship": self.relationship,
            "declared": self.declared,
            "containment": self.containment,
            "conditions": [{"left_column": a, "right_column": b} for a, b in pairs],
        }


@dataclass
class JoinSuggestions:
    """The ordered suggestions (best first); iterate, index or ``len`` it like a list."""

    suggestions: list[JoinSuggestion]
    stats: dict[str, Any] = field(default_factory=dict)
    """Candidates considered, measuring queries run, seconds spent."""

    @property
    def message(self) -> str | None:
        return None if self.suggestions else NO_CANDIDATES_MESSAGE

    def __iter__(self) -> Iterator[JoinSuggestion]:
        return iter(self.suggestions)

    def __len__(self) -> int:
        return len(self.suggestions)

    def __getitem__(self, index: int) -> JoinSuggestion:
        return self.suggestions[index]

    def as_dict(self) -> dict[str, Any]:
        return {"suggestions": [s.as_dict() for s in self.suggestions], "message": self.message}


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class ColumnStats:
    rows: int
    """Non-null values read (at most KEY_ROWS)."""
    distinct: int

    @property
    def unique(self) -> bool:
        return self.rows > 0 and self.rows == self.distinct


@dataclass(frozen=True)
class Containment:
    sampled: int
    """Distinct child values sampled."""
    found: int
    """Of those, found in the parent column."""
    fractional: int = 0
    """Of those, not whole numbers (numeric against an integer key)."""

    @property
    def share(self) -> float | None:
        return self.found / self.sampled if self.sampled else None


class ContainmentProbe:
    """Measuring queries on a project's tables, as the project's database role.

    One read-only transaction narrowed by the query executor's ``readonly_cursor``
    (``SET LOCAL ROLE``, statement timeout, ``search_path``); each query in a savepoint,
    so one that times out or may not read a table answers None and the next one runs.
    Past the time budget every answer is None.
    """

    def __init__(
        self,
        database: Database,
        project_id: int,
        *,
        timeout_ms: int = TIMEOUT_MS,
        budget_seconds: float = BUDGET_SECONDS,
        sample_rows: int = SAMPLE_ROWS,
        sample_values: int = SAMPLE_VALUES,
        key_rows: int = KEY_ROWS,
    ) -> None:
        self.database, self.project_id = database, project_id
        self.timeout_ms, self.budget = int(timeout_ms), budget_seconds
        self.sample_rows, self.sample_values, self.key_rows = sample_rows, sample_values, key_rows
        self.queries = 0
        self.skipped = 0
        self._sizes: dict[tuple[str, str], float | None] = {}
        self._stats: dict[tuple[str, str, tuple[str, ...], int], ColumnStats | None] = {}

    def __enter__(self) -> ContainmentProbe:
        self._cursor = readonly_cursor(self.database, self.project_id, self.timeout_ms)
        self.cur = self._cursor.__enter__()
        self.conn = self.cur.connection
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        return self._cursor.__exit__(*exc)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _one(self, query: sql.Composable, params: Sequence[Any] = ()) -> tuple | None:
        if self.elapsed > self.budget:
            self.skipped += 1
            return None
        try:
            with self.conn.transaction():
                self.cur.execute(query, params or None)
                row = self.cur.fetchone()
        except psycopg.Error:  # timed out, not readable by the role, gone meanwhile
            return None
        finally:
            self.queries += 1
        return row

    def _size(self, schema: str, table: str) -> float | None:
        if (schema, table) not in self._sizes:
            row = self._one(
                sql.SQL("select reltuples from pg_class where oid = to_regclass(%s)"),
                (sql.Identifier(schema, table).as_string(self.cur),),
            )
            self._sizes[(schema, table)] = float(row[0]) if row and row[0] is not None else None
        return self._sizes[(schema, table)]

    def _sampled(self, schema: str, table: str, limit: int) -> sql.Composable:
        """``schema.table``, with a TABLESAMPLE when it holds many more rows than ``limit``."""
        relation = sql.Identifier(schema, table)
        size = self._size(schema, table) or 0
        if size > 2 * limit:
            percent = min(100.0, 200.0 * limit / size)
            return sql.SQL("{} tablesample system ({})").format(
                relation, sql.Literal(round(percent, 4))
            )
        return relation

    def column_stats(self, schema: str, table: str, columns: Sequence[str]) -> ColumnStats | None:
        """Non-null (tuples of) values and distinct ones: in the first ``sample_rows`` rows
        when they already repeat there, else in the first ``key_rows`` rows."""
        first = self._count(schema, table, columns, self.sample_rows)
        if first is None or not first.unique or first.rows < self.sample_rows:
            return first
        return self._count(schema, table, columns, self.key_rows)

    def _count(
        self, schema: str, table: str, columns: Sequence[str], limit: int
    ) -> ColumnStats | None:
        key = (schema, table, tuple(columns), limit)
        if key not in self._stats:
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            not_null = sql.SQL(" and ").join(
                sql.SQL("{} is not null").format(sql.Identifier(c)) for c in columns
            )
            row = self._one(
                sql.SQL(
                    "select count(*), count(distinct ({cols})) from (select {cols} from {rel} "
                    "where {nn} limit {n}) as r"
                ).format(
                    cols=cols,
                    rel=sql.Identifier(schema, table),
                    nn=not_null,
                    n=sql.Literal(int(limit)),
                )
            )
            self._stats[key] = ColumnStats(int(row[0]), int(row[1])) if row else None
        return self._stats[key]

    def containment(
        self,
        child_schema: str,
        child_table: str,
        child_columns: Sequence[str],
        parent_schema: str,
        parent_table: str,
        parent_columns: Sequence[str],
        *,
        integral: bool = False,
    ) -> Containment | None:
        """How many sampled distinct child values (tuples) the parent columns hold."""
        n = len(child_columns)
        values = [sql.Identifier(f"v{i}") for i in range(n)]
        cols = sql.SQL(", ").join(
            sql.SQL("{} as {}").format(sql.Identifier(c), v)
            for c, v in zip(child_columns, values, strict=True)
        )
        not_null = sql.SQL(" and ").join(
            sql.SQL("{} is not null").format(sql.Identifier(c)) for c in child_columns
        )
        match = sql.SQL(" and ").join(
            sql.SQL("p.{} = s.{}").format(sql.Identifier(k), v)
            for k, v in zip(parent_columns, values, strict=True)
        )
        fractional = (
            sql.SQL("(select count(*) from s where s.v0::numeric <> trunc(s.v0::numeric))")
            if integral and n == 1
            else sql.SQL("0")
        )
        query = sql.SQL(
            "with s as materialized (select distinct * from (select {cols} from {child} "
            "where {nn} limit {rows}) as r limit {values}) "
            "select (select count(*) from s), "
            "(select count(*) from s where exists (select 1 from {parent} as p where {match})), "
            "{fractional}"
        ).format(
            cols=cols,
            child=self._sampled(child_schema, child_table, self.sample_rows),
            nn=not_null,
            rows=sql.Literal(self.sample_rows),
            values=sql.Literal(self.sample_values),
            parent=sql.Identifier(parent_schema, parent_table),
            match=match,
            fractional=fractional,
        )
        row = self._one(query)
        return Containment(int(row[0]), int(row[1]), int(row[2])) if row else None


# ---------------------------------------------------------------- the engine


@dataclass
class _Candidate:
    child: TableNames
    columns: tuple[str, ...]
    parent: TableNames
    parent_columns: tuple[str, ...]
    name_score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    declared: str | None = None
    values_only: bool = False
    check: str = "yes"
    sibling: str | None = None
    """The parent column is itself a reference to this table (so both columns reference
    it): measured for keys of several columns, never proposed alone."""

    @property
    def key(self) -> tuple:
        return (self.child.table, self.columns, self.parent.table, self.parent_columns)


def _source_info(session, project_id: int) -> tuple[dict, list]:
    """raw table -> (source table, {ingested column: source column}, source id), and the
    declared keys of the project's sources: [(source id, key dict)]."""
    from dra.models import DataSource

    tables: dict[str, tuple[str, dict[str, str], int]] = {}
    for row in source_tables(session, project_id):
        names = {
            c["name"]: c.get("source_name") or c["name"]
            for c in (row.columns or [])
            if isinstance(c, dict) and c.get("name")
        }
        tables[row.raw_table] = (row.source_table, names, row.data_source_id)
    declared = []
    for source_id, cache in session.execute(
        select(DataSource.id, DataSource.schema_cache).where(DataSource.project_id == project_id)
    ):
        for fk in (cache or {}).get("foreign_keys") or []:
            declared.append((source_id, fk))
    return tables, declared


def _build_names(catalog: Catalog, sources: Mapping[str, tuple]) -> dict[str, TableNames]:
    out = {}
    for name, info in catalog.tables.items():
        source_table, source_names = None, None
        if info.kind == "raw" and name in sources:
            source_table, source_names, _ = sources[name]
        out[name] = table_names(
            name,
            info.columns,
            schema=info.schema,
            source_table=source_table,
            label=info.label if info.kind == "model" else None,
            source_names=source_names,
        )
    return out


def _declared_candidates(
    names: Mapping[str, TableNames], sources: Mapping[str, tuple], declared: list
) -> list[_Candidate]:
    by_source: dict[tuple[int, str], str] = {}
    for raw_table, (source_table, _cols, source_id) in sources.items():
        by_source[(source_id, source_table)] = raw_table
    out = []
    for source_id, fk in declared:
        try:
            child = by_source.get((source_id, fk["table"]))
            parent = by_source.get((source_id, fk["ref_table"]))
            if child not in names or parent not in names:
                continue  # a table that was not ingested
            to_ingested = {
                src: col for col, src in sources[child][1].items()
            }  # source column -> ingested
            to_parent = {src: col for col, src in sources[parent][1].items()}
            columns = tuple(to_ingested[c] for c in fk["columns"])
            parent_columns = tuple(to_parent[c] for c in fk["ref_columns"])
        except (KeyError, TypeError):
            continue  # a column that was not ingested, or a malformed entry
        if not columns or len(columns) != len(parent_columns):
            continue
        if not all(c in names[child].columns for c in columns) or not all(
            c in names[parent].columns for c in parent_columns
        ):
            continue
        out.append(
            _Candidate(
                names[child],
                columns,
                names[parent],
                parent_columns,
                declared=str(fk.get("name") or "unnamed"),
                reasons=[f"declared at the source as foreign key {fk.get('name') or ''}".strip()],
            )
        )
    return out


def referenced_table(info: TableNames, column: str, names: Mapping[str, TableNames]) -> str | None:
    """The other table a column of ``info`` is named after (``film_category.film_id`` ->
    ``film``), when it is not ``info``'s own key: such a column references that table."""
    readings = [r for r in info.readings.get(column, []) if r.key_like and r.stem]
    if not readings or any(info.own_key_level(r) in ("plain", "exact") for r in readings):
        return None
    for r in readings:
        for other in names.values():
            named = r.stem in other.exact or r.stem in other.partial
            if named and other.table != info.table and other.own_keys():
                return other.table
    return None


def _named_candidates(
    names: Mapping[str, TableNames], in_scope
) -> tuple[list[_Candidate], list[tuple[TableNames, str]]]:
    """Candidates the names propose, and the key-like columns no name links (for the
    values-only pass)."""
    keys = {t: names[t].own_keys() for t in names}
    same_name: dict[str, list[tuple[TableNames, str]]] = {}
    for info in names.values():
        for column, readings in info.readings.items():
            for r in readings:
                if r.key_like and r.stem:
                    same_name.setdefault(r.name, []).append((info, column))
    key_targets = {(t, column): None for t, own in keys.items() for column, _r in own}
    referenced: dict[tuple[str, str], str | None] = {}
    out: list[_Candidate] = []
    unlinked: list[tuple[TableNames, str]] = []
    for child in names.values():
        for column, readings in child.readings.items():
            if type_family(child.columns[column]) is None:
                continue
            if not any(r.key_like or r.self_reference for r in readings):
                continue
            targets = dict(key_targets)
            for r in readings:
                for info, parent_column in same_name.get(r.name, []):
                    targets[(info.table, parent_column)] = None
            found = False
            for parent_name, parent_column in targets:
                parent = names[parent_name]
                link = name_link(child, column, parent, parent_column)
                if link is None:
                    continue
                check = compatible(child.columns[column], parent.columns[parent_column])
                if check is None:
                    continue
                found = True  # named somewhere: not for the values-only pass, in scope or not
                if not in_scope(child.table, parent.table):
                    continue
                out.append(
                    _Candidate(
                        child,
                        (column,),
                        parent,
                        (parent_column,),
                        name_score=link.score,
                        reasons=[link.reason],
                        check=check,
                        sibling=referenced.setdefault(
                            (parent.table, parent_column),
                            referenced_table(parent, parent_column, names),
                        ),
                    )
                )
            own = any(child.own_key_level(r) in ("plain", "exact") for r in readings if r.key_like)
            if (
                not found
                and not own
                and any(r.key_like and r.stem and not r.glued for r in readings)
            ):
                unlinked.append((child, column))
    return out, unlinked


def _relationship(parent_unique: bool | None, child_unique: bool | None) -> str:
    if parent_unique is False:
        return "many_to_many"
    return "one_to_one" if child_unique else "many_to_one"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _measure(
    probe: ContainmentProbe, cand: _Candidate
) -> tuple[Containment | None, ColumnStats | None, ColumnStats | None]:
    parent_stats = probe.column_stats(cand.parent.schema, cand.parent.table, cand.parent_columns)
    child_stats = probe.column_stats(cand.child.schema, cand.child.table, cand.columns)
    contained = probe.containment(
        cand.child.schema,
        cand.child.table,
        cand.columns,
        cand.parent.schema,
        cand.parent.table,
        cand.parent_columns,
        integral=cand.check == "integral",
    )
    return contained, parent_stats, child_stats


def _suggestion(
    cand: _Candidate,
    contained: Containment | None,
    parent_stats: ColumnStats | None,
    child_stats: ColumnStats | None,
) -> JoinSuggestion | None:
    child_ref = f"{cand.child.table}.{', '.join(cand.columns)}"
    parent_ref = f"{cand.parent.table}.{', '.join(cand.parent_columns)}"
    reasons = list(cand.reasons)
    if cand.check == "integral":
        reasons.append("numeric and integer columns: compared as whole numbers")
        if contained is not None and contained.fractional and not cand.declared:
            return None  # decimals cannot reference an integer key
    else:
        types = ", ".join(cand.child.columns[c] for c in cand.columns)
        reasons.append(f"types match ({types})")
    share = contained.share if contained is not None else None
    if contained is None:
        reasons.append("values not measured (time limit or not readable)")
    elif contained.sampled == 0:
        reasons.append(f"{child_ref} holds no values to compare")
        if not cand.declared:
            return None
    else:
        reasons.append(
            f"{contained.found} of {contained.sampled} distinct values sampled from "
            f"{child_ref} are in {parent_ref} ({_pct(share)})"
        )
    parent_unique = parent_stats.unique if parent_stats and parent_stats.rows else None
    if parent_unique is True:
        reasons.append(f"{parent_ref} is unique")
    elif parent_unique is False:
        reasons.append(f"{parent_ref} is not unique (the join repeats rows)")
    if cand.declared:
        value = confidence(declared=True, containment=share)
    else:
        value = confidence(
            name_score=cand.name_score, containment=share, parent_unique=parent_unique
        )
    child_unique = child_stats.unique if child_stats and child_stats.rows else None
    return JoinSuggestion(
        left_table=cand.child.table,
        left_column=cand.columns[0],
        right_table=cand.parent.table,
        right_column=cand.parent_columns[0],
        confidence=value,
        reasons=tuple(reasons),
        relationship=_relationship(parent_unique, child_unique),
        declared=bool(cand.declared),
        containment=None if share is None else round(share, 4),
        conditions=tuple(zip(cand.columns, cand.parent_columns, strict=True)),
    )


MAX_KEY_COLUMNS = 4


def _composite_candidates(candidates: list[_Candidate], measured: Mapping) -> list[_Candidate]:
    """Keys of several columns (TPC-H ``(l_partkey, l_suppkey)`` -> ``partsupp``): two or
    more columns of a table named after columns of one parent table, none of which is
    unique there, with values mostly found. The pair (or more) is then measured as one;
    its name score is the weakest of its columns'."""
    groups: dict[tuple[str, str], dict[str, _Candidate]] = {}
    for cand in candidates:
        contained, parent_stats, _child = measured[cand.key]
        if cand.declared or len(cand.columns) != 1 or cand.child.table == cand.parent.table:
            continue
        if parent_stats is None or parent_stats.unique or contained is None:
            continue
        if (contained.share or 0) < 0.5:
            continue
        best = groups.setdefault((cand.child.table, cand.parent.table), {})
        column = cand.columns[0]
        if column not in best or best[column].name_score < cand.name_score:
            best[column] = cand
    out = []
    for parts in groups.values():
        by_parent: dict[str, _Candidate] = {}
        for cand in sorted(parts.values(), key=lambda c: -c.name_score):
            by_parent.setdefault(cand.parent_columns[0], cand)
        if not 2 <= len(by_parent) <= MAX_KEY_COLUMNS:
            continue
        first = next(iter(by_parent.values()))
        order = list(first.parent.columns)
        chosen = sorted(by_parent.values(), key=lambda c: order.index(c.parent_columns[0]))
        out.append(
            _Candidate(
                first.child,
                tuple(c.columns[0] for c in chosen),
                first.parent,
                tuple(c.parent_columns[0] for c in chosen),
                name_score=min(c.name_score for c in chosen),
                reasons=[r for c in chosen for r in c.reasons]
                + ["the columns together form a key of several columns"],
                check="integral" if any(c.check == "integral" for c in chosen) else "yes",
            )
        )
    return out


def _values_only(
    probe: ContainmentProbe,
    names: Mapping[str, TableNames],
    unlinked: list[tuple[TableNames, str]],
    in_scope,
    declared_columns: set,
    stats: dict[str, Any],
) -> dict[tuple, JoinSuggestion]:
    """Key-like columns no name links: the one unique key of another table holding at
    least VALUES_ONLY_SHARE of their values, when exactly one does (whatever the scope:
    a second holder outside it still makes the answer ambiguous)."""
    keys = [
        (names[t], column)
        for t in names
        for column, r in names[t].own_keys()
        if names[t].own_key_level(r) in ("plain", "exact")
    ]
    out: dict[tuple, JoinSuggestion] = {}
    for child, column in unlinked:
        if (child.table, (column,)) in declared_columns:
            continue
        parents = [
            (p, k)
            for p, k in keys
            if p.table != child.table and compatible(child.columns[column], p.columns[k])
        ]
        parents.sort(key=lambda pk: not in_scope(child.table, pk[0].table))  # in scope first
        if not parents or not in_scope(child.table, parents[0][0].table):
            continue
        holders: list[tuple[_Candidate, tuple]] = []
        for parent, parent_column in parents:
            scoped = in_scope(child.table, parent.table)
            if not scoped and not holders:
                break  # nothing in scope holds the values
            pstats = probe.column_stats(parent.schema, parent.table, (parent_column,))
            if pstats is None or not pstats.unique:
                continue
            cand = _Candidate(
                child,
                (column,),
                parent,
                (parent_column,),
                name_score=VALUES_ONLY,
                values_only=True,
                check=compatible(child.columns[column], parent.columns[parent_column]) or "yes",
            )
            measured = _measure(probe, cand)
            stats["values_only_pairs"] = stats.get("values_only_pairs", 0) + 1
            share = measured[0].share if measured[0] else None
            if share is not None and share >= VALUES_ONLY_SHARE:
                holders.append((cand, measured))
                if len(holders) > 1:
                    break
        if len(holders) == 1 and in_scope(child.table, holders[0][0].parent.table):
            cand, measured = holders[0]
            cand.reasons.append(
                f"{column} names no table; {cand.parent.table}.{cand.parent_columns[0]} "
                "is the only key holding its values"
            )
            made = _suggestion(cand, *measured)
            if made is not None:
                out[cand.key] = made
    return out


def _scope(
    catalog: Catalog,
    sources: Mapping[str, tuple],
    tables: Sequence[str] | None,
    data_source_id: int | None,
):
    if data_source_id is not None:
        chosen = {t for t, (_s, _c, sid) in sources.items() if sid == data_source_id}
        chosen &= set(catalog.tables)
        return lambda a, b: a in chosen and b in chosen
    if tables is None:
        return lambda a, b: True
    if isinstance(tables, str) or not isinstance(tables, Sequence):
        raise ModelingError("Give the tables as a list of names.", field="tables")
    for name in tables:
        catalog.table(name, field_name="tables")
    chosen = set(tables)
    if len(chosen) == 1:
        return lambda a, b: a in chosen or b in chosen
    return lambda a, b: a in chosen and b in chosen


def suggest_joins(
    database: Database,
    project_id: int,
    *,
    tables: Sequence[str] | None = None,
    data_source_id: int | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    timeout_ms: int = TIMEOUT_MS,
    budget_seconds: float = BUDGET_SECONDS,
    values_only: bool = True,
    catalog: Catalog | None = None,
) -> JoinSuggestions:
    """Join candidates between the project's tables (raw tables of its sources and its
    models' tables), best first.

    ``tables``: one table -> the candidates with it on either side; several -> those
    between them. ``data_source_id``: those between that source's tables. Unknown table:
    ModelingError 400 naming ``tables``; a source of another project: 404 naming
    ``data_source_id``. ``values_only=False`` skips the values-only pass (fewer queries).
    ``catalog``: the project's, when the caller has just read it. The caller checks that
    the person may read the project.
    """
    started = time.perf_counter()
    from dra.models import DataSource

    with database.system_session() as s:
        if catalog is None:
            catalog = load_catalog(s, project_id)
        sources, declared = _source_info(s, project_id)
        if data_source_id is not None:
            owner = s.scalar(select(DataSource.project_id).where(DataSource.id == data_source_id))
            if owner != project_id:
                raise ModelingError(
                    "This data source does not exist in the project.",
                    status=404,
                    field="data_source_id",
                )
    in_scope = _scope(catalog, sources, tables, data_source_id)
    names = _build_names(catalog, sources)
    candidates: dict[tuple, _Candidate] = {}
    for cand in _declared_candidates(names, sources, declared):
        if in_scope(cand.child.table, cand.parent.table):
            candidates[cand.key] = cand
    named, unlinked = _named_candidates(names, in_scope)
    for cand in named:
        if cand.key in candidates:  # a declared key the names also point to
            candidates[cand.key].reasons.extend(cand.reasons)
            candidates[cand.key].name_score = cand.name_score
        else:
            candidates[cand.key] = cand
    declared_columns = {(c.child.table, c.columns) for c in candidates.values() if c.declared}
    suggestions: dict[tuple, JoinSuggestion] = {}
    stats: dict[str, Any] = {"candidates": len(candidates)}
    if not candidates and not (values_only and unlinked):
        stats["seconds"] = round(time.perf_counter() - started, 3)
        stats["queries"] = 0
        return JoinSuggestions([], stats)
    with ContainmentProbe(
        database, project_id, timeout_ms=timeout_ms, budget_seconds=budget_seconds
    ) as probe:
        measured = {}
        for cand in candidates.values():
            measured[cand.key] = _measure(probe, cand)
            made = None if cand.sibling else _suggestion(cand, *measured[cand.key])
            if made is not None:
                suggestions[cand.key] = made
        for cand in _composite_candidates(list(candidates.values()), measured):
            made = _suggestion(cand, *_measure(probe, cand))
            if made is not None:
                suggestions[cand.key] = made
        if values_only:
            suggestions.update(
                _values_only(probe, names, unlinked, in_scope, declared_columns, stats)
            )
        stats["queries"] = probe.queries
        stats["not_measured"] = probe.skipped
    kept: dict[frozenset, JoinSuggestion] = {}
    for s_ in suggestions.values():
        if s_.confidence < min_confidence:
            continue
        pair = frozenset(
            {
                (s_.left_table, tuple(a for a, _ in s_.conditions)),
                (s_.right_table, tuple(b for _, b in s_.conditions)),
            }
        )
        if pair not in kept or kept[pair].confidence < s_.confidence:
            kept[pair] = s_
    ordered = sorted(
        kept.values(),
        key=lambda x: (-x.confidence, not x.declared, x.left_table, x.left_column, x.right_table),
    )
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return JoinSuggestions(ordered, stats)
