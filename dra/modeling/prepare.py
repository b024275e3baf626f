"""A model's definition (builder JSON or hand SQL) turned into something runnable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dra.modeling.builder import compile_query_json
from dra.modeling.catalog import Catalog
from dra.modeling.errors import ModelingError
from dra.modeling.sqlcheck import check_sql


@dataclass(frozen=True)
class Prepared:
    sql: str
    """Text to execute (``%(name)s`` placeholders for builder models)."""
    params: dict[str, Any] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    display_sql: str = ""
    """What is stored in ``data_models.query`` and shown (values inlined, never executed)."""


def prepare(catalog: Catalog, *, query_json: object = None, sql: object = None) -> Prepared:
    """Builder JSON wins when given; otherwise hand-written SQL (checked with sqlglot)."""
    if query_json not in (None, {}, ""):
        if isinstance(query_json, dict) and query_json.get("mode") == "sql":
            return prepare(catalog, sql=query_json.get("sql", sql))
        compiled = compile_query_json(query_json, catalog)
        text, params = compiled.sql_and_params()
        return Prepared(text, params, compiled.tables, compiled.display_sql())
    if sql in (None, ""):
        raise ModelingError("The query is empty.", status=422, field="query")
    checked = check_sql(sql, catalog)
    return Prepared(checked.sql, {}, checked.tables, str(sql).strip())


def prepare_model(catalog: Catalog, query: str, query_json: dict | None) -> Prepared:
    """A stored model: its builder JSON when it has one, else its SQL."""
    if query_json and query_json.get("mode") != "sql":
        return prepare(catalog, query_json=query_json)
    return prepare(catalog, sql=query)
