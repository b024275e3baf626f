"""The query builder's ``query_json`` compiled to a SQLAlchemy Core SELECT.

Shape (every name is checked against the project's catalog; values are bound)::

    {"tables": ["orders", "customers"],
     "columns": [{"table": "orders", "column": "amount", "aggregate": "sum", "alias": "revenue"}],
     "joins": [{"left_table": "orders", "right_table": "customers", "type": "LEFT",
                "conditions": [{"left_column": "customer_id", "right_column": "id"}]}],
     "filters": [{"table": "orders", "column": "status", "operator": "=", "value": "paid"}],
     "group_by": [{"table": "customers", "column": "country"}],
     "calculated": [{"alias": "margin", "expression": "sum(orders.amount) - sum(orders.cost)"}],
     "order_by": [{"field": "revenue", "direction": "desc"}],
     "limit": 1000}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, column, func, select, table
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import psycopg2 as _psycopg2  # noqa: F401
from sqlalchemy.sql.elements import ColumnElement, quoted_name

from dra.modeling.catalog import Catalog, type_family
from dra.modeling.errors import CIRCULAR_JOIN, ModelingError
from dra.modeling.expressions import column_resolver, compile_expression

JOIN_TYPES = ("INNER", "LEFT", "RIGHT", "FULL")
AGGREGATES = ("sum", "avg", "min", "max", "count", "count_distinct")
OPERATORS = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_null",
    "is_not_null",
    "between",
)
MAX_LIMIT = 1_000_000
MAX_ITEMS = 100
# psycopg2's compiler: pyformat placeholders without "::VARCHAR" casts, so PostgreSQL
# types each value from its column (psycopg 3 sends text as "unknown").
DIALECT = postgresql.psycopg2.dialect()


@dataclass(frozen=True)
class CompiledQuery:
    statement: Select
    tables: list[str]
    """Catalog tables the query reads (for lineage and data_model_sources)."""

    def sql_and_params(self) -> tuple[str, dict[str, Any]]:
        """Text with ``%(name)s`` placeholders (psycopg) and the bound values."""
        compiled = self.statement.compile(
            dialect=DIALECT, compile_kwargs={"render_postcompile": True}
        )
        return str(compiled), dict(compiled.params)

    def display_sql(self) -> str:
        """The SQL with values inlined, for reading and export only (never executed)."""
        return str(self.statement.compile(dialect=DIALECT, compile_kwargs={"literal_binds": True}))


def _q(name: str) -> quoted_name:
    return quoted_name(name, quote=True)


def _list(spec: dict, key: str) -> list:
    value = spec.get(key) or []
    if not isinstance(value, list):
        raise ModelingError(f"{key} must be a list.", field=key)
    if len(value) > MAX_ITEMS:
        raise ModelingError(f"At most {MAX_ITEMS} entries in {key}.", field=key)
    for item in value:
        if key != "tables" and not isinstance(item, dict):
            raise ModelingError(f"Each entry of {key} must be an object.", field=key)
    return value


def _alias(value: object, field: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 63 or not value.strip():
        raise ModelingError("Aliases are names of at most 63 characters.", field=field)
    return value.strip()


class _Compiler:
    def __init__(self, spec: dict, catalog: Catalog) -> None:
        self.spec, self.catalog = spec, catalog
        self.tables: dict[str, Any] = {}
        self.columns: dict[tuple[str, str], ColumnElement] = {}

    def col(self, ref: dict, field: str) -> ColumnElement:
        name_t, name_c = ref.get("table"), ref.get("column")
        if name_t not in self.tables:
            raise ModelingError(f"Table {name_t!r} is not part of this query.", field=field)
        self.catalog.column_type(name_t, name_c, field_name=field)
        return self.columns[(name_t, name_c)]

    def add_tables(self) -> None:
        names = _list(self.spec, "tables")
        if not names:
            raise ModelingError("Pick at least one table.", field="tables")
        for name in names:
            info = self.catalog.table(name, field_name="tables")
            if name in self.tables:
                raise ModelingError(f"Table {name!r} is listed twice.", field="tables")
            t = table(_q(name), *[column(_q(c)) for c in info.columns], schema=_q(info.schema))
            self.tables[name] = t
            for c in info.columns:
                self.columns[(name, c)] = t.c[c]

    def from_clause(self):
        names = list(self.tables)
        joined = {names[0]}
        source = self.tables[names[0]]
        for i, join in enumerate(_list(self.spec, "joins")):
            field = f"joins[{i}]"
            left, right = join.get("left_table"), join.get("right_table")
            kind = str(join.get("type", "INNER")).upper()
            if kind not in JOIN_TYPES:
                raise ModelingError(
                    f"Join type must be one of {', '.join(JOIN_TYPES)}.", field=field
                )
            for name in (left, right):
                if name not in self.tables:
                    raise ModelingError(f"Table {name!r} is not part of this query.", field=field)
            if left == right or right in joined:
                raise ModelingError(CIRCULAR_JOIN, field=field)
            if left not in joined:
                raise ModelingError(
                    f"Table {left!r} must be joined before it is used on the left of a join.",
                    field=field,
                )
            on = self.join_conditions(join, left, right, field)
            source = (
                source.join(
                    self.tables[right], on, isouter=kind in ("LEFT", "FULL"), full=kind == "FULL"
                )
                if kind != "RIGHT"
                else self.tables[right].join(source, on, isouter=True)
            )
            joined.add(right)
        missing = [n for n in names if n not in joined]
        if missing:
            raise ModelingError(f"Table {missing[0]!r} is not joined to the others.", field="joins")
        return source

    def join_conditions(self, join: dict, left: str, right: str, field: str) -> ColumnElement:
        conditions = join.get("conditions") or []
        if not isinstance(conditions, list) or not conditions:
            raise ModelingError("A join needs at least one pair of columns.", field=field)
        parts = []
        for cond in conditions:
            if not isinstance(cond, dict):
                raise ModelingError("Join conditions are objects.", field=field)
            lc, rc = cond.get("left_column"), cond.get("right_column")
            lt = self.catalog.column_type(left, lc, field_name=field)
            rt = self.catalog.column_type(right, rc, field_name=field)
            if type_family(lt) != type_family(rt):
                raise ModelingError(
                    f"Cannot join {left}.{lc} ({lt}) with {right}.{rc} ({rt}): "
                    "the column types are not compatible.",
                    field=field,
                )
            parts.append(self.columns[(left, lc)] == self.columns[(right, rc)])
        return and_(*parts)

    def selected(self) -> tuple[list[ColumnElement], list[ColumnElement], bool]:
        """(output columns, plain columns, any aggregate)."""
        out: list[ColumnElement] = []
        plain: list[ColumnElement] = []
        aggregated = False
        used: set[str] = set()
        for i, ref in enumerate(_list(self.spec, "columns")):
            field = f"columns[{i}]"
            expr = self.col(ref, field)
            agg = ref.get("aggregate") or None
            if agg is not None:
                if agg not in AGGREGATES:
                    raise ModelingError(
                        f"Aggregate must be one of {', '.join(AGGREGATES)}.", field=field
                    )
                aggregated = True
                expr = (
                    func.count(expr.distinct())
                    if agg == "count_distinct"
                    else getattr(func, agg)(expr)
                )
                default = f"{agg}_{ref['column']}"
            else:
                plain.append(expr)
                default = (
                    ref["column"]
                    if ref["column"] not in used
                    else f"{ref['table']}_{ref['column']}"
                )
            name = _alias(ref.get("alias"), field) or default
            if name in used:
                raise ModelingError(
                    f"Two output columns are named {name!r}; give one an alias.", field=field
                )
            used.add(name)
            out.append(expr.label(_q(name)))
        resolve = column_resolver(self.columns)
        for i, calc in enumerate(_list(self.spec, "calculated")):
            field = f"calculated[{i}]"
            name = _alias(calc.get("alias"), field)
            if name is None:
                raise ModelingError("A calculated field needs a name.", field=field)
            if name in used:
                raise ModelingError(f"Two output columns are named {name!r}.", field=field)
            try:
                expr, is_agg = compile_expression(calc.get("expression"), resolve)
            except ModelingError as exc:
                raise ModelingError(f"{name}: {exc.message}", field=field) from None
            aggregated = aggregated or is_agg
            if not is_agg:
                plain.append(expr)
            used.add(name)
            out.append(expr.label(_q(name)))
        if not out:
            raise ModelingError("Pick at least one column.", field="columns")
        return out, plain, aggregated

    def filters(self) -> list[ColumnElement]:
        result = []
        for i, f in enumerate(_list(self.spec, "filters")):
            field = f"filters[{i}]"
            result.append(filter_condition(self.col(f, field), f, field, i))
        return result

    def build(self) -> CompiledQuery:
        self.add_tables()
        source = self.from_clause()
        out, plain, aggregated = self.selected()
        stmt = select(*out).select_from(source).where(*self.filters())
        group = [self.col(g, f"group_by[{i}]") for i, g in enumerate(_list(self.spec, "group_by"))]
        if aggregated or group:
            stmt = stmt.group_by(*(group or plain))
        stmt = stmt.order_by(*self.order(out))
        limit = self.spec.get("limit")
        if limit not in (None, ""):
            if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_LIMIT:
                raise ModelingError(
                    f"Limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit"
                )
            stmt = stmt.limit(limit)
        return CompiledQuery(stmt, list(self.tables))

    def order(self, out: list[ColumnElement]) -> list[ColumnElement]:
        by_name = {c.name: c for c in out}
        result = []
        for i, o in enumerate(_list(self.spec, "order_by")):
            field = f"order_by[{i}]"
            name = o.get("field")
            if name not in by_name:
                raise ModelingError(f"Order by {name!r}: not an output column.", field=field)
            direction = str(o.get("direction", "asc")).lower()
            if direction not in ("asc", "desc"):
                raise ModelingError("Direction must be asc or desc.", field=field)
            target = column(_q(name))
            result.append(target.desc() if direction == "desc" else target.asc())
        return result


def _scalar(value: object, field: str) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) <= 1000:
        return value
    raise ModelingError("Filter values are text, numbers or true/false.", field=field)


def filter_condition(target: ColumnElement, f: dict, field: str, index: int) -> ColumnElement:
    """One filter as a condition with bound values (shared with dashboard widgets)."""
    op = f.get("operator", "=")
    if op not in OPERATORS:
        raise ModelingError(f"Operator must be one of {', '.join(OPERATORS)}.", field=field)
    if op == "is_null":
        return target.is_(None)
    if op == "is_not_null":
        return target.is_not(None)
    value = f.get("value")
    key = f"f{index}"
    if op in ("in", "not_in", "between"):
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise ModelingError("This operator needs a list of values.", field=field)
        values = [_scalar(v, field) for v in value]
        if op == "between":
            if len(values) != 2:
                raise ModelingError("Between needs two values.", field=field)
            return target.between(
                bindparam(f"{key}_lo", values[0]), bindparam(f"{key}_hi", values[1])
            )
        cond = target.in_(bindparam(f"{key}_in", values, expanding=True))
        return ~cond if op == "not_in" else cond
    value = _scalar(value, field)
    if value is None:
        raise ModelingError("This filter needs a value.", field=field)
    param = bindparam(key, value)
    if op in ("contains", "starts_with"):
        text = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{text}%" if op == "contains" else f"{text}%"
        return target.ilike(bindparam(key, pattern), escape="\\")
    return {
        "=": target == param,
        "!=": target != param,
        "<": target < param,
        "<=": target <= param,
        ">": target > param,
        ">=": target >= param,
    }[op]


def compile_query_json(spec: object, catalog: Catalog) -> CompiledQuery:
    """Validate ``query_json`` against the catalog and compile it (ModelingError if bad)."""
    if not isinstance(spec, dict):
        raise ModelingError("The query must be a JSON object.", field="query_json")
    return _Compiler(spec, catalog).build()
