"""The AI context against a real project: what the platform knows, the budget, determinism."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from dra.ai.context import build_context
from dra.ingestion.csv_files import Column
from dra.ingestion.naming import models_schema, raw_schema
from dra.models import DataModel, DataModelSource, DataSource, DataSourceTable
from dra.quality.reports import generate_report
from tests.support.factories import project_with_roles
from tests.support.modeling import load_table, seed_shop


@pytest.fixture
def project(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    shop = seed_shop(database, roles.project_id)
    return roles.project_id, shop


def add_model(database, project_id, source_id, name="Paid orders"):
    """A built model over the source, with a real quality report."""
    load_table(
        database,
        models_schema(project_id),
        "model_1",
        [Column("order_id", "order_id", "bigint"), Column("email", "email", "text")],
        [(1, "a@example.com"), (2, None), (3, "not an email"), (4, "d@example.com")],
    )
    with database.system_session() as s:
        model = DataModel(
            project_id=project_id,
            name=name,
            query="select 1",
            materialized_table="model_1",
            status="active",
            row_count=4,
        )
        s.add(model)
        s.flush()
        s.add(DataModelSource(data_model_id=model.id, data_source_id=source_id))
        model_id = model.id
    generate_report(database, model_id)
    return model_id


def test_tables_sources_joins_models_and_quality_are_described(database, project):
    project_id, shop = project
    add_model(database, project_id, shop.orders_source)
    with database.system_session() as s:
        s.execute(text(f"analyze {raw_schema(project_id)}.orders"))
    ids = [shop.orders_source, shop.customers_source]
    context = build_context(database, project_id, ids)
    md = context.markdown
    assert context.tables == ["customers", "orders", "model_1"] and context.left_out == []
    assert '### Table "customers": source "CRM"' in md and "Rows: 6" in md
    assert '### Table "model_1": data model "Paid orders"' in md
    assert '| "email" | text | missing 25%; 3 distinct |' in md
    assert 'Candidate keys: "order_id"' in md
    assert 'Quality issues:\n- "email": ' in md  # the invalid address and the missing one
    assert '| "status" | text | missing ~0%; ~2 distinct |' in md  # planner statistics
    assert '"orders"."customer_id" = "customers"."id" (confidence' in md
    assert {"orders", "customers"} <= {j["leftTable"] for j in context.join_candidates} | {
        j["rightTable"] for j in context.join_candidates
    }
    assert "values:" not in md  # no data value without the owner's consent
    assert build_context(database, project_id, list(reversed(ids))).markdown == md


def test_a_model_reading_another_source_is_not_in_a_single_source_context(database, project):
    project_id, shop = project
    add_model(database, project_id, shop.customers_source)
    context = build_context(database, project_id, [shop.orders_source])
    assert context.tables == ["orders"]


def test_over_the_budget_the_question_picks_the_tables_and_the_rest_are_named(database, project):
    project_id, shop = project
    schema = raw_schema(project_id)
    extra = []
    with database.system_session() as s:
        src = DataSource(project_id=project_id, name="Web", type="csv", status="ready")
        s.add(src)
        s.flush()
        web = src.id
    for name in ("page_views", "sessions", "stock_moves", "suppliers"):
        columns = [Column("id", "id", "bigint")] + [
            Column(f"{name}_metric_{i}", f"{name}_metric_{i}", "numeric") for i in range(12)
        ]
        load_table(database, schema, name, columns, [(1, *range(12))])
        extra.append(name)
        with database.system_session() as s:
            s.add(DataSourceTable(data_source_id=web, source_table=name, raw_table=name))
    ids = [shop.orders_source, shop.customers_source, web]
    everything = build_context(database, project_id, ids)
    assert everything.left_out == []
    budget = len(everything.sections["orders"]) + len(everything.sections["customers"]) + 10
    context = build_context(
        database, project_id, ids, question="revenue per customer country", budget_chars=budget
    )
    assert context.tables == ["customers", "orders"]  # the match and its join neighbour
    assert context.left_out == ["page_views", "sessions", "stock_moves", "suppliers"]
    assert (
        "Left out to stay within the context budget (name them in a request to see them): "
        '"page_views", "sessions", "stock_moves", "suppliers"' in context.markdown
    )
    budget = len(everything.sections["stock_moves"]) + len(everything.sections["suppliers"]) + 10
    by_name = build_context(
        database, project_id, ids, question="stock moves by supplier", budget_chars=budget
    )
    assert by_name.tables == ["stock_moves", "suppliers"]


def test_join_candidates_are_measured_again_only_when_the_tables_change(database, project):
    from dra.ai import context as ai_context

    project_id, shop = project
    ids = [shop.orders_source, shop.customers_source]

    def entries():
        return {k: v for k, v in ai_context._join_cache.items() if k[1] == project_id}

    build_context(database, project_id, ids)
    [(key, (measured_at, found))] = entries().items()
    ai_context._join_cache[key] = (measured_at - 3600, found)  # an hour without a change
    build_context(database, project_id, ids)
    assert entries() == {key: (measured_at - 3600, found)}  # reused, not measured again
    with database.system_session() as s:  # a new ingestion of one of the tables
        s.execute(
            text(
                "update app.data_source_tables set row_count = 31, updated_at = now() "
                "where data_source_id = :i"
            ),
            {"i": shop.orders_source},
        )
    build_context(database, project_id, ids)
    assert len(entries()) == 2  # the changed tables are measured again


def test_what_is_kept_between_turns_follows_every_change_it_shows(database, project):
    from dra.ai.context import project_tables

    project_id, shop = project
    ids = [shop.orders_source, shop.customers_source]
    raw = raw_schema(project_id)
    kept = project_tables(database, project_id, ids)
    assert project_tables(database, project_id, list(reversed(ids))) is kept  # nothing changed
    changes = [  # (what changes, how, what the context then shows)
        ("a column", f"alter table {raw}.orders add column coupon text", '| "coupon" | text |'),
        ("planner statistics", f"analyze {raw}.customers", '| "country" | text | missing ~0%'),
        (
            "a source's name",
            "update app.data_sources set name = 'CRM 2', updated_at = now() where id = :c",
            '### Table "customers": source "CRM 2"',
        ),
        (
            "a table's load",
            "update app.data_source_tables set row_count = 7, updated_at = now()"
            " where data_source_id = :c",
            "Rows: 7\n",
        ),
        ("the sample-values setting", "update app.projects set ai_sample_values = true"
         " where id = :p", 'values: "DE", "FR", "US"'),
    ]  # fmt: skip
    for what, sql, shown in changes:
        assert shown not in kept.context().markdown, what
        with database.system_session() as s:
            s.execute(text(sql), {"c": shop.customers_source, "p": project_id})
        again = project_tables(database, project_id, ids)
        assert again is not kept and shown in again.context().markdown, what
        kept = again
    model_id = add_model(database, project_id, shop.orders_source)
    with_model = project_tables(database, project_id, ids)
    assert "model_1" in with_model.context().tables
    generate_report(database, model_id)  # a new quality report
    assert project_tables(database, project_id, ids) is not with_model
