"""Hand-written SQL: parsed with sqlglot, accepted only as one read-only SELECT that reads
the project's own tables and calls only harmless functions.

What runs is sqlglot's rendering of the parsed tree, so the statement executed is the
one that was checked (no parser differential between sqlglot and PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from dra.modeling.catalog import Catalog
from dra.modeling.errors import ModelingError

MAX_SQL_LENGTH = 50_000

FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "Command",
        "Copy",
        "TruncateTable",
        "Set",
        "Transaction",
        "Commit",
        "Rollback",
        "Grant",
        "Into",
        "Lock",
        "Use",
        "Pragma",
        "Analyze",
        "Describe",
        "LoadData",
        "Kill",
    )
    if hasattr(exp, name)
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# PostgreSQL functions sqlglot does not model itself (it parses them as "anonymous").
ALLOWED_ANONYMOUS = _words("""
    to_char to_date to_timestamp to_number date_part date_bin age make_date make_timestamp
    justify_days justify_hours isfinite timezone split_part regexp_replace regexp_match
    initcap btrim ltrim rtrim lpad rpad replace strpos left right md5 reverse chr ascii
    concat_ws format translate string_agg array_agg array_length unnest percentile_cont
    percentile_disc mode row_number rank dense_rank lag lead first_value last_value ntile
    cume_dist percent_rank nth_value width_bucket bool_and bool_or every stddev stddev_pop
    stddev_samp variance var_pop var_samp corr covar_pop covar_samp regr_slope
    regr_intercept trunc sign power ln log exp mod div pi degrees radians cbrt
    jsonb_extract_path_text json_extract_path_text jsonb_array_length json_array_length
    jsonb_typeof json_typeof to_jsonb to_json jsonb_build_object json_build_object
    generate_series date_trunc now current_date nullif greatest least coalesce
    pg_sleep
""")

FORBIDDEN_NAMES = _words("""
    set_config current_setting query_to_xml query_to_xmlschema query_to_xml_and_xmlschema
    cursor_to_xml cursor_to_xmlschema table_to_xml table_to_xmlschema
    table_to_xml_and_xmlschema schema_to_xml database_to_xml dblink dblink_exec
    lo_import lo_export lo_get lo_put lo_from_bytea pg_read_file pg_read_binary_file
    pg_ls_dir pg_stat_file pg_terminate_backend pg_cancel_backend pg_reload_conf
    pg_advisory_lock pg_advisory_xact_lock pg_notify txid_current
""")


@dataclass(frozen=True)
class CheckedSql:
    sql: str
    """The statement to run: sqlglot's rendering of the accepted tree."""
    tables: list[str]
    """Catalog tables it reads."""


def _ident(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    name = node.name
    quoted = isinstance(node, exp.Identifier) and node.quoted
    return name if quoted else name.lower()


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _check_functions(tree: exp.Expression) -> None:
    for node in tree.find_all(exp.Func):
        name = _function_name(node)
        if name in FORBIDDEN_NAMES or (
            isinstance(node, exp.Anonymous) and name not in ALLOWED_ANONYMOUS
        ):
            raise ModelingError(
                f"The function {name}() is not allowed in data models.", field="query"
            )
        if name.startswith(("pg_", "lo_", "dblink")) and name != "pg_sleep":
            raise ModelingError(
                f"The function {name}() is not allowed in data models.", field="query"
            )


def _check_tables(tree: exp.Expression, catalog: Catalog) -> list[str]:
    ctes = {
        _ident(cte.args.get("alias").this)
        for cte in tree.find_all(exp.CTE)
        if cte.args.get("alias") is not None
    }
    allowed_schemas = set(catalog.schemas)
    used: list[str] = []
    for t in tree.find_all(exp.Table):
        if not isinstance(t.this, exp.Identifier):
            continue  # a table function such as generate_series(): checked as a function
        name, schema = _ident(t.this), _ident(t.args.get("db"))
        if t.args.get("catalog") is not None:
            raise ModelingError("Queries cannot name another database.", field="query")
        if not schema and name in ctes:
            continue
        if schema and schema not in allowed_schemas:
            raise ModelingError(
                f"The query may only read this project's tables; "
                f"{schema}.{name} is not one of them.",
                field="query",
            )
        info = catalog.tables.get(name)
        if info is None or (schema and info.schema != schema):
            where = f"{schema}.{name}" if schema else name
            raise ModelingError(
                f"Unknown table {where}: it is not one of this project's tables.", field="query"
            )
        if not schema:
            t.set("db", exp.to_identifier(info.schema, quoted=True))
        if name not in used:
            used.append(name)
    return used


def check_sql(text: object, catalog: Catalog) -> CheckedSql:
    """Accept one read-only SELECT over the catalog's tables, or raise ModelingError."""
    if not isinstance(text, str) or not text.strip():
        raise ModelingError("The query is empty.", status=422, field="query")
    if len(text) > MAX_SQL_LENGTH:
        raise ModelingError(f"Queries are limited to {MAX_SQL_LENGTH} characters.", field="query")
    try:
        statements = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0][:300]
        raise ModelingError(f"The SQL could not be parsed: {first}", field="query") from None
    if len(statements) != 1:
        raise ModelingError("Write exactly one SELECT statement.", field="query")
    tree = statements[0]
    if not isinstance(tree, exp.Query) or isinstance(tree, exp.Values):
        raise ModelingError("Only SELECT queries are allowed.", field="query")
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise ModelingError(
                f"Only read-only SELECT queries are allowed ({type(node).__name__.upper()} found).",
                field="query",
            )
    _check_functions(tree)
    used = _check_tables(tree, catalog)
    return CheckedSql(tree.sql(dialect="postgres"), used)
