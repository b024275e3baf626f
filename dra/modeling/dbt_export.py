"""A data model as a dbt model file: the same SQL, tables replaced by source()/ref().

Raw tables become ``{{ source('raw_p<project>', '<table>') }}`` and other models'
tables ``{{ ref('<table>') }}``, so the file drops into ``dbt_project/models/``.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from dra.ingestion.naming import slugify
from dra.modeling.catalog import Catalog
from dra.modeling.errors import ModelingError
from dra.modeling.prepare import Prepared, prepare_model
from dra.modeling.sqlcheck import NESTING_MESSAGE


def dbt_file_name(name: str) -> str:
    return f"{slugify(name, fallback='model')}.sql"


def to_dbt(catalog: Catalog, name: str, query: str, query_json: dict | None) -> str:
    """The dbt model text for a stored data model (its SQL with values inlined)."""
    prepared = prepare_model(catalog, query, query_json)
    try:
        return _to_dbt(catalog, name, prepared, query_json)
    except RecursionError:  # a long chain the check accepts, rendered pretty
        raise ModelingError(NESTING_MESSAGE, field="query") from None


def _to_dbt(catalog: Catalog, name: str, prepared: Prepared, query_json: dict | None) -> str:
    tree = sqlglot.parse_one(
        prepared.display_sql if query_json and query_json.get("mode") != "sql" else prepared.sql,
        read="postgres",
    )
    raw_schema, _ = catalog.schemas
    refs: dict[str, str] = {}
    for table in list(tree.find_all(exp.Table)):
        # the checked SQL qualifies every catalog table; an unqualified name is a CTE's
        info = catalog.tables.get(table.name)
        if (
            info is None
            or not isinstance(table.this, exp.Identifier)
            or table.args.get("db") is None
            or table.args["db"].name != info.schema
        ):
            continue
        marker = f"dbt_ref_{len(refs)}"
        refs[marker] = (
            f"{{{{ source('{raw_schema}', '{info.name}') }}}}"
            if info.schema == raw_schema
            else f"{{{{ ref('{info.name}') }}}}"
        )
        alias = table.args.get("alias")
        replacement = exp.Table(this=exp.to_identifier(marker))
        replacement.set(
            "alias",
            alias if alias is not None else exp.TableAlias(this=exp.to_identifier(info.name)),
        )
        table.replace(replacement)
    for column in tree.find_all(exp.Column):
        column.set("db", None)  # "raw_p1"."orders"."id" -> "orders"."id" (the alias)
        column.set("catalog", None)
    body = tree.sql(dialect="postgres", pretty=True)
    for marker, jinja in refs.items():
        body = body.replace(marker, jinja)
    sources = sorted({t for t in prepared.tables if catalog.tables[t].schema == raw_schema})
    header = [
        f'-- dbt model exported from the DRA data model "{name}".',
        "-- Sources used (declare them in a _sources.yml):",
        *[f"--   {raw_schema}.{t}" for t in sources],
        "{{ config(materialized='table') }}",
        "",
    ]
    return "\n".join(header) + body + "\n"
