"""A simple SELECT turned into the query builder's ``query_json`` (dra.modeling.builder).

``sql_to_query_json(sql, catalog)`` handles what the builder can say: plain columns and
``sum/avg/min/max/count/count(distinct)`` of a column, one FROM table and INNER/LEFT/
RIGHT/FULL joins on equal columns, WHERE as an AND of column-versus-literal conditions
(=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, IS [NOT] NULL), GROUP BY columns, ORDER BY
output columns and LIMIT. Anything else (expressions, CTEs, subqueries, HAVING, DISTINCT,
``count(*)``, OR...) gives None: the draft is then edited as SQL. Every output column is
named as PostgreSQL names it, and the result is validated by ``compile_query_json``.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from dra.modeling.builder import compile_query_json
from dra.modeling.catalog import Catalog
from dra.modeling.errors import ModelingError

ALLOWED_ARGS = {"expressions", "from_", "joins", "where", "group", "order", "limit", "kind"}
AGGREGATES = {exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max", exp.Count: "count"}
COMPARISONS = {exp.EQ: "=", exp.NEQ: "!=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class _Unsupported(Exception):
    pass


def _name(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return _name(node.this) if isinstance(node.this, exp.Expression) else str(node.name).lower()


class _Mapper:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.aliases: dict[str, str] = {}
        self.order: list[str] = []

    def table(self, node: exp.Expression) -> str:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
            raise _Unsupported
        if node.args.get("catalog") is not None:
            raise _Unsupported
        name = _name(node.this)
        schema = _name(node.args.get("db")) if node.args.get("db") is not None else ""
        info = self.catalog.tables.get(name)
        if info is None or (schema and schema != info.schema) or name in self.order:
            raise _Unsupported
        alias = node.args.get("alias")
        self.aliases[_name(alias.this) if alias is not None else name] = name
        self.order.append(name)
        return name

    def column(self, node: exp.Expression) -> dict[str, str]:
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            raise _Unsupported
        column = _name(node.this)
        qualifier = node.args.get("table")
        if qualifier is not None:
            if node.args.get("db") is not None:
                raise _Unsupported
            table = self.aliases.get(_name(qualifier))
            if table is None:
                raise _Unsupported
        else:
            owners = [t for t in self.order if column in self.catalog.tables[t].columns]
            if len(owners) != 1:
                raise _Unsupported
            table = owners[0]
        if column not in self.catalog.tables[table].columns:
            raise _Unsupported
        return {"table": table, "column": column}

    def output(self, node: exp.Expression) -> dict[str, Any]:
        alias = None
        if isinstance(node, exp.Alias):
            alias = _name(node.args.get("alias"))
            node = node.this
        if isinstance(node, exp.Column):
            ref = self.column(node)
            return {**ref, "alias": alias or ref["column"]}
        kind = AGGREGATES.get(type(node))
        if kind is None:
            raise _Unsupported
        target = node.this
        if isinstance(target, exp.Distinct):
            if kind != "count" or len(target.expressions) != 1:
                raise _Unsupported
            kind, target = "count_distinct", target.expressions[0]
        if not isinstance(target, exp.Column):
            raise _Unsupported  # count(*), sum(a * b)...
        return {**self.column(target), "aggregate": kind, "alias": alias or kind.split("_")[0]}

    def join(self, node: exp.Join, joined: list[str]) -> dict[str, Any]:
        if node.args.get("using") or node.args.get("method"):
            raise _Unsupported
        side = (node.args.get("side") or "").upper()
        kind = (node.args.get("kind") or "").upper()
        if kind not in ("", "INNER", "OUTER") or (kind == "OUTER" and not side):
            raise _Unsupported
        right = self.table(node.this)
        on = node.args.get("on")
        if on is None:
            raise _Unsupported
        conditions: list[tuple[dict[str, str], dict[str, str]]] = []
        for part in _conjuncts(on):
            if not isinstance(part, exp.EQ):
                raise _Unsupported
            a, b = self.column(part.this), self.column(part.expression)
            conditions.append((a, b))
        left = None
        pairs = []
        for a, b in conditions:
            if b["table"] == right and a["table"] in joined:
                a, b = a, b
            elif a["table"] == right and b["table"] in joined:
                a, b = b, a
            else:
                raise _Unsupported
            if left not in (None, a["table"]):
                raise _Unsupported  # conditions against two joined tables
            left = a["table"]
            pairs.append({"left_column": a["column"], "right_column": b["column"]})
        return {
            "left_table": left,
            "right_table": right,
            "type": side or "INNER",
            "conditions": pairs,
        }

    def filter(self, node: exp.Expression) -> dict[str, Any]:
        negated = isinstance(node, exp.Not)
        inner = node.this if negated else node
        if inner.args.get("negate"):  # sqlglot writes IS NOT NULL as Is(negate=True)
            negated = not negated
            if inner is node:
                node = inner.copy()
                node.set("negate", None)
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            ref = self.column(inner.this)
            return {**ref, "operator": "is_not_null" if negated else "is_null"}
        if isinstance(inner, exp.In) and not inner.args.get("query"):
            ref = self.column(inner.this)
            values = [_literal(v) for v in inner.expressions]
            return {**ref, "operator": "not_in" if negated else "in", "value": values}
        if negated:
            raise _Unsupported
        if isinstance(node, exp.Between):
            ref = self.column(node.this)
            low, high = _literal(node.args.get("low")), _literal(node.args.get("high"))
            return {**ref, "operator": "between", "value": [low, high]}
        op = COMPARISONS.get(type(node))
        if op is None:
            raise _Unsupported
        left, right = node.this, node.expression
        if isinstance(left, exp.Column):
            return {**self.column(left), "operator": op, "value": _literal(right)}
        if isinstance(right, exp.Column):
            return {**self.column(right), "operator": FLIPPED[op], "value": _literal(left)}
        raise _Unsupported


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _literal(node: exp.Expression | None) -> object:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        value = _literal(node.this)
        if isinstance(value, (int, float)):
            return -value
        raise _Unsupported
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if not isinstance(node, exp.Literal):
        raise _Unsupported
    if node.is_string:
        return str(node.this)
    text = str(node.this)
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise _Unsupported from None


def _to_spec(sql: str, catalog: Catalog) -> dict[str, Any]:
    tree = sqlglot.parse_one(sql, read="postgres")
    if not isinstance(tree, exp.Select):
        raise _Unsupported
    for key, value in tree.args.items():
        if value not in (None, [], False) and key not in ALLOWED_ARGS:
            raise _Unsupported
    if tree.args.get("kind"):
        raise _Unsupported
    m = _Mapper(catalog)
    from_ = tree.args.get("from_")
    if from_ is None:
        raise _Unsupported
    m.table(from_.this)
    joins = []
    for j in tree.args.get("joins") or []:
        joins.append(m.join(j, list(m.order)))
    columns = [m.output(e) for e in tree.expressions]
    names = [c["alias"] for c in columns]
    if len(set(names)) != len(names):
        raise _Unsupported
    filters = []
    where = tree.args.get("where")
    if where is not None:
        filters = [m.filter(part) for part in _conjuncts(where.this)]
    group_by = []
    group = tree.args.get("group")
    if group is not None:
        for g in group.expressions:
            if isinstance(g, exp.Literal) and not g.is_string:
                index = int(g.this) - 1
                if not 0 <= index < len(columns) or "aggregate" in columns[index]:
                    raise _Unsupported
                g_ref = {"table": columns[index]["table"], "column": columns[index]["column"]}
            else:
                g_ref = m.column(g)
            group_by.append(g_ref)
        if any(k in group.args and group.args[k] for k in ("rollup", "cube", "grouping_sets")):
            raise _Unsupported
    order_by = []
    order = tree.args.get("order")
    if order is not None:
        for o in order.expressions:
            target = o.this
            if isinstance(target, exp.Literal) and not target.is_string:
                index = int(target.this) - 1
                if not 0 <= index < len(columns):
                    raise _Unsupported
                name = names[index]
            elif (
                isinstance(target, exp.Column)
                and target.args.get("table") is None
                and (_name(target.this) in names)
            ):
                name = _name(target.this)
            else:
                ref = m.column(target)
                plain = [
                    c["alias"]
                    for c in columns
                    if "aggregate" not in c and (c["table"], c["column"]) == tuple(ref.values())
                ]
                if not plain:
                    raise _Unsupported
                name = plain[0]
            if o.args.get("nulls_first") is not bool(o.args.get("desc")):
                raise _Unsupported  # an explicit NULLS FIRST/LAST the builder cannot say
            order_by.append({"field": name, "direction": "desc" if o.args.get("desc") else "asc"})
    spec: dict[str, Any] = {"tables": m.order, "columns": columns}
    for key, value in (
        ("joins", joins),
        ("filters", filters),
        ("group_by", group_by),
        ("order_by", order_by),
    ):
        if value:
            spec[key] = value
    limit = tree.args.get("limit")
    if limit is not None:
        value = _literal(limit.expression)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Unsupported
        spec["limit"] = value
    return spec


def sql_to_query_json(sql: str, catalog: Catalog) -> dict[str, Any] | None:
    """The builder's form of ``sql``, or None when the builder cannot express it."""
    try:
        spec = _to_spec(sql, catalog)
        compile_query_json(spec, catalog)
    except (_Unsupported, ParseError, TokenError, ModelingError, RecursionError, ValueError):
        return None
    return spec
