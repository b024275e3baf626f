"""Hand-written SQL: parsed with sqlglot, accepted only as one read-only SELECT that reads
the project's own tables and calls only harmless functions.

What runs is sqlglot's rendering of the parsed tree, so the statement executed is the
one that was checked (no parser differential between sqlglot and PostgreSQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from dra.modeling.catalog import Catalog
from dra.modeling.errors import ModelingError

MAX_SQL_LENGTH = 50_000
MAX_NESTING = 64
"""Deepest nesting of parentheses and brackets accepted (counted before parsing)."""
MAX_BRACKETS = 256
NESTING_MESSAGE = (
    f"The query is nested too deeply: at most {MAX_NESTING} levels of parentheses "
    "(subqueries, expressions) are accepted."
)

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
    current_version version current_database current_catalog session_user inet_server_addr
    inet_server_port inet_client_addr inet_client_port
""")

# Types sqlglot does not model whose casts are harmless (PostgreSQL built-ins and citext).
# Any other named type is refused: a relation's row type, a type of another schema.
ALLOWED_OTHER_TYPES = _words("""
    point line lseg box path polygon circle cidr macaddr macaddr8 varbit tsvector tsquery
    jsonpath citext
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
    for node in tree.find_all(exp.Dot, exp.Table, exp.Operator):
        # schema.function(...), FROM schema.function(...), OPERATOR(schema.op): only the
        # built-ins of pg_catalog (a same-named function elsewhere would be another one)
        if isinstance(node, exp.Operator):
            schema = str(node.args.get("operator") or "").rpartition(".")[0].lower()
        elif isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            schema = node.this.sql(dialect="postgres").lower()
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Func):
            schema = _ident(node.args.get("db")).lower()
        else:
            continue
        if schema and schema != "pg_catalog":
            raise ModelingError(
                f"Functions and operators of schema {schema} are not allowed in data models.",
                field="query",
            )
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


def _check_types(tree: exp.Expression) -> None:
    """Casts to the object-identifier types (``regclass``...) read the catalog (``oid::regclass``
    names every table of the database) and a table's row type names its columns: refused."""
    for node in tree.find_all(exp.DataType):
        kind = node.this
        if isinstance(node, exp.ObjectIdentifier) or isinstance(kind, str):
            name = str(kind).lower()
        elif kind == exp.DataType.Type.USERDEFINED:
            name = node.sql(dialect="postgres").lower()
            if name in ALLOWED_OTHER_TYPES:
                continue
        else:
            continue
        raise ModelingError(f"The type {name} is not allowed in data models.", field="query")


def _check_tables(tree: exp.Expression, catalog: Catalog) -> list[str]:
    """Resolve every relation name by scope, as PostgreSQL does, and qualify the project's.

    A WITH's CTEs are visible in its query and in the CTEs after them (in every CTE of the
    list, their own bodies included, when the WITH is RECURSIVE); an inner WITH shadows an
    outer one. Any other name must be one of the project's tables and is qualified with its
    schema, so that nothing left unqualified can reach ``pg_catalog`` (first in the search
    path): CTE names may not start with ``pg_``, the prefix of every relation there.
    """
    allowed_schemas = set(catalog.schemas)
    used: list[str] = []
    # (node, CTE names visible there); iterative, so that depth never costs Python frames
    stack: list[tuple[exp.Expression, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, visible = stack.pop()
        skip: tuple[str, ...] = ()
        todo: list[tuple[exp.Expression, frozenset[str]]] = []
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            _resolve_table(node, visible, catalog, allowed_schemas, used)
            skip = ("this", "db", "catalog")
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            ctes = [cte for cte in with_.expressions if isinstance(cte, exp.CTE)]
            names = [_cte_name(cte) for cte in ctes]
            everyone = visible | frozenset(names)
            for i, cte in enumerate(ctes):
                sees = everyone if with_.args.get("recursive") else visible | frozenset(names[:i])
                todo.append((cte.this, sees))
            skip, visible = ("with_",), everyone
        for key, value in node.args.items():
            if key not in skip:
                todo.extend((child, visible) for child in _children(value))
        stack.extend(reversed(todo))  # in the order they are written
    return used


def _children(value: object) -> list[exp.Expression]:
    if isinstance(value, exp.Expression):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, exp.Expression)]
    return []


def _cte_name(cte: exp.CTE) -> str:
    alias = cte.args.get("alias")
    name = _ident(alias.this) if alias is not None else ""
    if not name:
        raise ModelingError("Every WITH query needs a name.", field="query")
    if name.lower().startswith("pg_"):
        raise ModelingError(
            f"The WITH query name {name} is not allowed: names starting with pg_ are "
            "PostgreSQL's catalog.",
            field="query",
        )
    return name


def _resolve_table(
    t: exp.Table,
    visible: frozenset[str],
    catalog: Catalog,
    allowed_schemas: set[str],
    used: list[str],
) -> None:
    name, schema = _ident(t.this), _ident(t.args.get("db"))
    if t.args.get("catalog") is not None:
        raise ModelingError("Queries cannot name another database.", field="query")
    if not schema and name in visible:
        return  # a CTE in scope here
    if schema and schema not in allowed_schemas:
        raise ModelingError(
            f"The query may only read this project's tables; {schema}.{name} is not one of them.",
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


def nesting_depth(text: str) -> tuple[int, int]:
    """(deepest nesting of ( and [, number of [) outside literals, quoted names and comments.

    Counted on the text, before sqlglot's recursive parser sees it. Dollar quotes
    (``$tag$...$tag$``), escape strings (``E'...'``) and nested block comments are
    PostgreSQL's rules.
    """
    depth = deepest = brackets = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "([":
            depth += 1
            deepest = max(deepest, depth)
            brackets += c == "["
        elif c in ")]":
            depth = max(depth - 1, 0)
        elif c == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "/" and text.startswith("/*", i):
            level, i = 1, i + 2
            while i < n and level:
                if text.startswith("/*", i):
                    level, i = level + 1, i + 2
                elif text.startswith("*/", i):
                    level, i = level - 1, i + 2
                else:
                    i += 1
            continue
        elif c == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not _word_char(text[i - 2]))
            i += 1
            while i < n:
                if escapes and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == "'":
                    if text.startswith("''", i):
                        i += 2
                        continue
                    break
                i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            while end >= 0 and text.startswith('""', end):
                end = text.find('"', end + 2)
            i = n if end < 0 else end
        elif c == "$" and (i == 0 or not _word_char(text[i - 1])):
            tag = _DOLLAR_TAG.match(text, i)
            if tag is not None:
                end = text.find(tag.group(), tag.end())
                i = n if end < 0 else end + len(tag.group()) - 1
        i += 1
    return deepest, brackets


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\uffff][A-Za-z_0-9\x80-\uffff]*)?\$")


def _word_char(c: str) -> bool:
    return c.isalnum() or c in "_$"


def check_sql(text: object, catalog: Catalog) -> CheckedSql:
    """Accept one read-only SELECT over the catalog's tables, or raise ModelingError."""
    if not isinstance(text, str) or not text.strip():
        raise ModelingError("The query is empty.", status=422, field="query")
    if len(text) > MAX_SQL_LENGTH:
        raise ModelingError(f"Queries are limited to {MAX_SQL_LENGTH} characters.", field="query")
    depth, brackets = nesting_depth(text)
    if depth > MAX_NESTING:
        raise ModelingError(NESTING_MESSAGE, field="query")
    if brackets > MAX_BRACKETS:  # sqlglot's time grows with the square of a chain x[1][1]...
        raise ModelingError(
            f"The query has too many brackets: at most {MAX_BRACKETS} array brackets "
            "(ARRAY[...], x[1]) are accepted.",
            field="query",
        )
    try:
        return _check(text, catalog)
    except RecursionError:
        # deep chains without parentheses (NOT NOT ..., x::int::int...): sqlglot recurses
        raise ModelingError(NESTING_MESSAGE, field="query") from None


def _check(text: str, catalog: Catalog) -> CheckedSql:
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
    _check_types(tree)
    used = _check_tables(tree, catalog)
    return CheckedSql(tree.sql(dialect="postgres"), used)
