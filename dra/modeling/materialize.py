"""Build a model's table in ``models_p<project>``: a new table filled by the model's query,
run as the project's role under the build time limit, then swapped in within the same
transaction. On failure (a timed-out build included) the last good table stays and the
model records the error."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from sqlalchemy import update

from dra.billing.limits import row_limit
from dra.db import Database
from dra.ingestion.loader import analyze_table, ensure_schema, swap_in
from dra.ingestion.naming import model_table, models_schema
from dra.modeling.catalog import load_catalog
from dra.modeling.errors import ModelingError
from dra.modeling.executor import set_timeout, translate_error
from dra.modeling.prepare import prepare_model
from dra.models import DataModel, Project
from dra.models.data_models import DataModelStatus
from dra.project_roles import ensure_project_role
from dra.settings import DEFAULT_MODEL_BUILD_TIMEOUT_SECONDS


@dataclass(frozen=True)
class MaterializeOutcome:
    model_id: int
    schema: str
    table: str
    rows: int
    version: int
    tables_read: list[str]


def materialize_model(
    database: Database,
    model_id: int,
    *,
    timeout_seconds: float = DEFAULT_MODEL_BUILD_TIMEOUT_SECONDS,
) -> MaterializeOutcome:
    """Rebuild the model's table; ModelingError (recorded on the model) when it fails.

    The model's query may run ``timeout_seconds`` in all (``DRA_MODEL_BUILD_TIMEOUT_SECONDS``):
    past that the build is stopped and fails with that reason.
    """
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        if model is None:
            raise ModelingError("The data model no longer exists.", status=404)
        project_id, query, query_json = model.project_id, model.query, model.query_json
        owner_id = s.get(Project, project_id).owner_id
        tier_rows = row_limit(s, owner_id)
        catalog = load_catalog(s, project_id)
    schema, table = models_schema(project_id), model_table(model_id)
    try:
        prepared = prepare_model(catalog, query, query_json)
        rows = _build(
            database,
            project_id,
            schema,
            table,
            prepared.sql,
            prepared.params,
            tier_rows,
            timeout_seconds,
        )
    except ModelingError as exc:
        _record_failure(database, model_id, exc.message)
        raise
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        model.materialized_table = table
        model.row_count = rows
        model.last_materialized_at = datetime.now(UTC)
        model.last_error = None
        model.status = DataModelStatus.ACTIVE
        model.version = model.version + 1
        version = model.version
    return MaterializeOutcome(model_id, schema, table, rows, version, prepared.tables)


def _build(
    database: Database,
    project_id: int,
    schema: str,
    table: str,
    text: str,
    params: dict,
    tier_rows: int | None,
    timeout_seconds: float,
) -> int:
    staging = f"_build_{secrets.token_hex(6)}"
    query = sql.SQL("select * from ({}) as dra_query").format(sql.SQL(text))
    if tier_rows is not None:
        query = sql.SQL("{} limit {}").format(query, sql.Literal(tier_rows))
    deadline = time.monotonic() + timeout_seconds
    with database.system_connection() as conn:
        conn.rollback()
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("set local search_path = pg_catalog, pg_temp")
                role = ensure_project_role(cur, project_id)
                columns = _result_columns(cur, role, query, params, _left_ms(deadline))
                ensure_schema(cur, schema)
                cur.execute(
                    sql.SQL("create table {}.{} ({})").format(
                        sql.Identifier(schema),
                        sql.Identifier(staging),
                        sql.SQL(", ").join(
                            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type))
                            for name, pg_type in columns
                        ),
                    )
                )
                # The user's query itself only ever runs as the project's role: it may
                # insert into this one new table for the rest of this transaction.
                grant = sql.SQL("grant insert on {}.{} to {}").format(
                    sql.Identifier(schema), sql.Identifier(staging), sql.Identifier(role)
                )
                cur.execute(grant)
                cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                set_timeout(cur, _left_ms(deadline))
                cur.execute(
                    sql.SQL("insert into {}.{} {}").format(
                        sql.Identifier(schema), sql.Identifier(staging), query
                    ),
                    params or None,
                )
                rows = cur.rowcount
                cur.execute("reset role")
                cur.execute("set local statement_timeout = 0")  # the swap is the platform's
                cur.execute(
                    sql.SQL("revoke insert on {}.{} from {}").format(
                        sql.Identifier(schema), sql.Identifier(staging), sql.Identifier(role)
                    )
                )
                swap_in(cur, schema, staging, table)
                analyze_table(cur, schema, table)
        except psycopg.errors.QueryCanceled:
            raise ModelingError(timeout_message(timeout_seconds), status=408) from None
        except psycopg.Error as exc:
            raise translate_error(exc, int(timeout_seconds * 1000)) from None
    return max(rows, 0)


def timeout_message(timeout_seconds: float) -> str:
    unit = "second" if timeout_seconds == 1 else "seconds"
    return (
        f"The build took longer than {timeout_seconds:g} {unit} and was stopped "
        "(DRA_MODEL_BUILD_TIMEOUT_SECONDS)."
    )


def _left_ms(deadline: float) -> int:
    """Milliseconds left before the build's deadline (at least 1: 0 would mean none)."""
    return max(1, int((deadline - time.monotonic()) * 1000))


def _result_columns(
    cur: psycopg.Cursor, role: str, query: sql.Composable, params: dict, timeout_ms: int
) -> list[tuple[str, str]]:
    """Names and types of the query's columns, learnt by running it with no rows as the
    project's role in a savepoint (the session is back to the system role afterwards)."""
    with cur.connection.transaction():
        cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        set_timeout(cur, timeout_ms)
        cur.execute(
            sql.SQL("select * from ({}) as dra_shape limit 0").format(query), params or None
        )
        result = cur.pgresult
        # the type modifier too: numeric(10,2) and varchar(40) stay what they were
        described = [
            (d.name, d.type_code, result.fmod(i) if result is not None else -1)
            for i, d in enumerate(cur.description or [])
        ]
        cur.execute("reset role")
    types: dict[tuple[int, int], str] = {}
    for _, oid, mod in described:
        if (oid, mod) not in types:
            cur.execute("select format_type(%s, %s)", (oid, mod if mod >= 0 else None))
            types[oid, mod] = cur.fetchone()[0]
    return [(name, types[oid, mod]) for name, oid, mod in described]


def _record_failure(database: Database, model_id: int, message: str) -> None:
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        if model is None:
            return
        s.execute(
            update(DataModel)
            .where(DataModel.id == model_id)
            .values(
                last_error=message[:2000],
                status=DataModelStatus.FAILED
                if model.materialized_table
                else DataModelStatus.BROKEN,
            )
        )


def drop_model_table(database: Database, project_id: int, table: str | None) -> None:
    """Drop a deleted model's table (nothing when it was never built)."""
    if not table:
        return
    with database.system_engine.begin() as conn:
        conn.exec_driver_sql(
            sql.SQL("drop table if exists {}.{}")
            .format(sql.Identifier(models_schema(project_id)), sql.Identifier(table))
            .as_string(None)
        )
