"""What a project's queries may read: tables of its raw and models schemas, with columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dra.ingestion.naming import models_schema, raw_schema

NUMERIC = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
TEXT = {"text", "character varying", "character", "name", "citext"}
TEMPORAL = {"date", "timestamp without time zone", "timestamp with time zone"}


def type_family(data_type: str) -> str:
    """Columns of the same family can be compared in a join condition."""
    t = data_type.lower()
    if t in NUMERIC:
        return "number"
    if t in TEXT:
        return "text"
    if t in TEMPORAL:
        return "time"
    return t


@dataclass(frozen=True)
class TableInfo:
    schema: str
    name: str
    columns: dict[str, str]
    """column name -> PostgreSQL type, in table order."""
    kind: str = "raw"
    data_source_id: int | None = None
    label: str | None = None


@dataclass
class Catalog:
    project_id: int
    tables: dict[str, TableInfo] = field(default_factory=dict)

    def table(self, name: object, *, field_name: str = "table") -> TableInfo:
        if not isinstance(name, str) or name not in self.tables:
            raise_unknown(f"Unknown table {name!r}.", field_name)
        return self.tables[name]  # type: ignore[index]

    def column_type(self, table: str, column: object, *, field_name: str = "column") -> str:
        info = self.table(table)
        if not isinstance(column, str) or column not in info.columns:
            raise_unknown(f"Unknown column {column!r} in table {table!r}.", field_name)
        return info.columns[column]  # type: ignore[index]

    @property
    def schemas(self) -> tuple[str, str]:
        return raw_schema(self.project_id), models_schema(self.project_id)


def raise_unknown(message: str, field_name: str) -> None:
    from dra.modeling.errors import ModelingError

    raise ModelingError(message, field=field_name)


def load_catalog(session: Session, project_id: int) -> Catalog:
    """Tables in ``raw_p<id>`` (labelled with their source) then ``models_p<id>``.

    Read from information_schema through ``session`` (a system session: the tables of
    the project's own schemas, which its database role may read). Staging tables are
    left out.
    """
    from dra.models import DataModel

    raw, models = raw_schema(project_id), models_schema(project_id)
    rows = session.execute(
        text(
            "select c.table_schema, c.table_name, c.column_name, c.data_type "
            "from information_schema.columns c where c.table_schema in (:raw, :models) "
            "and c.table_name not like '\\_%' order by c.table_schema <> :raw, c.table_name, "
            "c.ordinal_position"
        ),
        {"raw": raw, "models": models},
    ).all()
    sources = {  # an uploaded CSV's one table is named as it is queried: the source says it
        r.raw_table: (
            r.data_source_id,
            r.name if r.source_table == r.raw_table else f"{r.name} · {r.source_table}",
        )
        for r in source_tables(session, project_id)
    }
    model_names = {
        m.materialized_table: m.name
        for m in session.execute(
            select(DataModel.materialized_table, DataModel.name).where(
                DataModel.project_id == project_id, DataModel.materialized_table.is_not(None)
            )
        )
    }
    catalog = Catalog(project_id)
    for schema, table, column, data_type in rows:
        if table in catalog.tables and catalog.tables[table].schema != schema:
            continue  # a raw table wins over a model table of the same name
        info = catalog.tables.get(table)
        if info is None:
            kind = "raw" if schema == raw else "model"
            source_id, label = (
                sources.get(table, (None, None))
                if kind == "raw"
                else (None, model_names.get(table))
            )
            info = TableInfo(schema, table, {}, kind, source_id, label)
            catalog.tables[table] = info
        info.columns[column] = data_type
    return catalog


def source_tables(session: Session, project_id: int) -> list:
    """The project's ingested tables, each with its source: rows of ``raw_table``,
    ``data_source_id``, ``source_table`` (its name at the source), ``columns`` (as
    ingestion recorded them) and ``name`` (the source's)."""
    from dra.models import DataSource, DataSourceTable

    return session.execute(
        select(
            DataSourceTable.raw_table,
            DataSourceTable.data_source_id,
            DataSourceTable.source_table,
            DataSourceTable.columns,
            DataSource.name,
        )
        .join(DataSource)
        .where(DataSource.project_id == project_id)
    ).all()
