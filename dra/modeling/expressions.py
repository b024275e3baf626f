"""Calculated fields: a small, safe expression grammar compiled to SQLAlchemy.

    expr    := term (('+' | '-') term)*
    term    := factor (('*' | '/' | '%') factor)*
    factor  := '-' factor | number | 'string' | column | func '(' [expr (',' expr)*] ')'
             | '(' expr ')'
    column  := name '.' name | name       (a table.column of the query, or a unique column)

Names are looked up in the query's tables, never pasted into SQL; literals are bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, Numeric, Text, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from dra.modeling.errors import ModelingError

MAX_LENGTH = 500
MAX_DEPTH = 32
"""Deepest nesting of parentheses, calls and unary minus (the parser is recursive)."""

FUNCTIONS: dict[str, tuple[int, int]] = {
    # name: (min args, max args)
    "abs": (1, 1),
    "round": (1, 2),
    "ceil": (1, 1),
    "floor": (1, 1),
    "sqrt": (1, 1),
    "coalesce": (1, 8),
    "nullif": (2, 2),
    "greatest": (1, 8),
    "least": (1, 8),
    "lower": (1, 1),
    "upper": (1, 1),
    "length": (1, 1),
    "trim": (1, 1),
    "concat": (1, 8),
    "date_trunc": (2, 2),
    "sum": (1, 1),
    "avg": (1, 1),
    "min": (1, 1),
    "max": (1, 1),
    "count": (1, 1),
}
AGGREGATES = {"sum", "avg", "min", "max", "count"}

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>[-+*/%(),.])
""",
    re.VERBOSE,
)

Resolver = Callable[[str | None, str], ColumnElement]


def tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        m = TOKEN.match(source, pos)
        if m is None:
            raise ModelingError(
                f"Unexpected character {source[pos]!r} at position {pos + 1}.", field="expression"
            )
        pos = m.end()
        if m.lastgroup != "ws":
            tokens.append((m.lastgroup or "", m.group()))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], resolve: Resolver) -> None:
        self.tokens, self.pos, self.resolve = tokens, 0, resolve
        self.uses_aggregate = False
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            want = f"{value!r}" if value else "more input"
            raise ModelingError(f"Expected {want} in the expression.", field="expression")
        self.pos += 1
        return tok

    def expr(self) -> ColumnElement:
        left = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.pos += 1
            right = self.term()
            left = left + right if tok[1] == "+" else left - right
        return left

    def term(self) -> ColumnElement:
        left = self.factor()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in "*/%":
            self.pos += 1
            right = self.factor()
            if tok[1] == "*":
                left = left * right
            elif tok[1] == "/":
                left = left / func.nullif(right, 0)
            else:
                left = left % right
        return left

    def factor(self) -> ColumnElement:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ModelingError(
                    f"The expression is nested too deeply (at most {MAX_DEPTH} levels).",
                    field="expression",
                )
            return self._factor()
        finally:
            self.depth -= 1

    def _factor(self) -> ColumnElement:
        kind, value = self.take()
        if kind == "op" and value == "-":
            return -self.factor()
        if kind == "op" and value == "(":
            inner = self.expr()
            self.take(")")
            return inner.self_group()
        if kind == "number":  # bound, with a type so that any function accepts it
            if "." in value:
                return cast(literal(Decimal(value)), Numeric)
            number = int(value)
            return cast(literal(number), Integer if number < 2**31 else BigInteger)
        if kind == "string":
            return cast(literal(value[1:-1].replace("''", "'")), Text)
        if kind == "name":
            nxt = self.peek()
            if nxt == ("op", "("):
                return self.call(value.lower())
            if nxt == ("op", "."):
                self.pos += 1
                _, column = self.take()
                return self.resolve(value, column)
            return self.resolve(None, value)
        raise ModelingError(f"Unexpected {value!r} in the expression.", field="expression")

    def call(self, name: str) -> ColumnElement:
        if name not in FUNCTIONS:
            raise ModelingError(
                f"Unknown function {name!r}. Allowed: " + ", ".join(sorted(FUNCTIONS)) + ".",
                field="expression",
            )
        self.take("(")
        args: list[ColumnElement] = []
        if self.peek() != ("op", ")"):
            args.append(self.expr())
            while self.peek() == ("op", ","):
                self.pos += 1
                args.append(self.expr())
        self.take(")")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            raise ModelingError(f"{name}() takes {low}..{high} arguments.", field="expression")
        if name in AGGREGATES:
            self.uses_aggregate = True
        return getattr(func, name)(*args)


def compile_expression(source: object, resolve: Resolver) -> tuple[ColumnElement, bool]:
    """(SQLAlchemy expression, whether it aggregates); ModelingError when invalid."""
    if not isinstance(source, str) or not source.strip():
        raise ModelingError("A calculated field needs an expression.", field="expression")
    if len(source) > MAX_LENGTH:
        raise ModelingError(
            f"Expressions are limited to {MAX_LENGTH} characters.", field="expression"
        )
    parser = _Parser(tokenize(source), resolve)
    result = parser.expr()
    if parser.peek() is not None:
        raise ModelingError(
            f"Unexpected {parser.peek()[1]!r} in the expression.",  # type: ignore[index]
            field="expression",
        )
    return result, parser.uses_aggregate


def column_resolver(columns: Mapping[tuple[str, str], ColumnElement]) -> Resolver:
    """Resolve ``table.column`` or a column name that only one table has."""

    def resolve(table: str | None, column: str) -> ColumnElement:
        if table is not None:
            if (table, column) not in columns:
                raise ModelingError(
                    f"Unknown column {table}.{column} in the expression.", field="expression"
                )
            return columns[(table, column)]
        matches = [key for key in columns if key[1] == column]
        if len(matches) != 1:
            what = "Unknown" if not matches else "Ambiguous"
            raise ModelingError(
                f"{what} column {column!r} in the expression; write table.column.",
                field="expression",
            )
        return columns[matches[0]]

    return resolve
