"""Soda contracts generated from a profile and verified with soda-core against PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dra.quality import soda
from dra.quality.profiling import profile_table

SCHEMA = "models_p900003"


@pytest.fixture
def conn(database):
    raw = database.system_engine.raw_connection()
    connection = raw.driver_connection
    connection.autocommit = True
    connection.execute(sql.SQL("create schema {}").format(sql.Identifier(SCHEMA)))
    connection.execute(
        sql.SQL(
            "create table {} (order_id int, email text, amount numeric, updated_at timestamptz)"
        ).format(sql.Identifier(SCHEMA, "orders"))
    )
    yield connection
    raw.close()


def insert(conn, rows):
    """Rows of (order_id, email, amount, hours ago)."""
    now = datetime.now(UTC).replace(microsecond=0)
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("insert into {} values (%s, %s, %s, %s)").format(
                sql.Identifier(SCHEMA, "orders")
            ),
            [(*r[:3], now - timedelta(hours=r[3])) for r in rows],
        )


def contract_for(database, conn, tmp_path):
    report = profile_table(conn, SCHEMA, "orders")
    contract = soda.generate_contract(
        report, database=make_url(database.url).database, schema=SCHEMA, table="orders"
    )
    path = soda.contract_path(tmp_path, 900003, 7)
    assert soda.write_contract(path, contract)
    return contract, path


def test_keys_only_by_name_get_no_duplicate_limit(database, conn, tmp_path):
    # order_id repeats by design here (think order lines): a key by its name only
    insert(conn, [(1, "a@x.io", 10, 1), (1, "b@x.io", 11, 1), (2, "c@x.io", 12, 1)] * 2)
    contract, _ = contract_for(database, conn, tmp_path)
    by_name = {c["name"]: c.get("checks", []) for c in contract["columns"]}
    assert by_name["order_id"] == [{"missing": {"threshold": {"metric": "percent", "must_be": 0}}}]


def test_generated_contract_shape(database, conn, tmp_path):
    # keys: order_id (named and distinct) and email (named); amount and updated_at repeat
    insert(
        conn, [(1, "a@x.io", 10, 24), (2, "b@x.io", 10, 24), (3, "oops", -3, 24), (4, None, 10, 1)]
    )
    contract, path = contract_for(database, conn, tmp_path)
    assert contract["dataset"].endswith(f"/{SCHEMA}/orders")
    assert contract["checks"][0] == {"row_count": {"threshold": {"must_be_greater_than": 0}}}
    assert contract["checks"][1]["freshness"]["column"] == "updated_at"
    by_name = {c["name"]: c.get("checks", []) for c in contract["columns"]}
    assert by_name["order_id"] == [
        {"missing": {"threshold": {"metric": "percent", "must_be": 0}}},
        {"duplicate": {"threshold": {"metric": "percent", "must_be": 0}}},
    ]
    assert by_name["email"][:2] == [
        {"missing": {"threshold": {"metric": "percent", "must_be_less_than_or_equal": 25}}},
        {"duplicate": {"threshold": {"metric": "percent", "must_be": 0}}},
    ]
    assert by_name["email"][2]["invalid"]["valid_format"]["name"] == "email"
    assert by_name["email"][2]["invalid"]["threshold"] == {
        "metric": "percent",
        "must_be_less_than_or_equal": 25,
    }
    assert by_name["amount"] == [
        {
            "invalid": {
                "valid_min": 0,
                "threshold": {"metric": "percent", "must_be_less_than_or_equal": 25},
            }
        }
    ]
    assert "updated_at" not in [c["name"] for c in contract["columns"] if c.get("checks")]
    assert path.parent.name == "p900003"
    # the file is a person's once written: a second generation leaves the edit alone
    path.write_text(path.read_text() + "# edited\n")
    assert not soda.write_contract(path, contract)
    assert path.read_text().endswith("# edited\n")


def test_verify_passes_then_fails_when_data_regresses(database, conn, tmp_path):
    insert(conn, [(1, "a@x.io", 10, 24), (2, "b@x.io", 10, 24)])
    _, path = contract_for(database, conn, tmp_path)
    outcome = soda.verify(database.url, path)
    assert outcome.errors == []
    assert outcome.ok, outcome.as_dict()
    assert {c.type for c in outcome.checks} >= {
        "row_count",
        "freshness",
        "missing",
        "duplicate",
        "invalid",
    }
    assert os.environ["SODA_CORE_TELEMETRY_ENABLED"] == "false"

    insert(conn, [(2, "not-an-email", -1, 24)])
    outcome = soda.verify(database.url, path)
    failed = {(c.column, c.type) for c in outcome.failed}
    assert failed == {("order_id", "duplicate"), ("email", "invalid"), ("amount", "invalid")}
    dup = next(c for c in outcome.checks if (c.column, c.type) == ("order_id", "duplicate"))
    assert dup.value == pytest.approx(100 / 3)
    assert not outcome.as_dict()["ok"]


def test_broken_contract_is_a_readable_error(database, tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump({"dataset": "dra/nowhere/x/y", "checks": [{"bogus": {}}]}))
    outcome = soda.verify(database.url, path)
    assert not outcome.ok
    assert outcome.errors
    missing = soda.verify(database.url, tmp_path / "absent.yml")
    assert missing.errors == [f"No contract file at {tmp_path / 'absent.yml'}."]


def test_freshness_limit_is_twice_the_current_age():
    report = {
        "columns": [
            {
                "name": "loaded_at",
                "kind": "timestamp",
                "status": "profiled",
                "max": "2026-01-01 00:00:00+00",
            }
        ]
    }
    now = datetime(2026, 1, 11, tzinfo=UTC)
    assert soda._freshness(report, now) == {
        "freshness": {"column": "loaded_at", "threshold": {"unit": "day", "must_be_less_than": 20}}
    }


def test_mart_contract_check_alerts_admins_when_it_fails(
    database, settings, monkeypatch, make_user
):
    import dagster as dg

    from assets.quality import build_mart_soda_checks
    from dra.models import Alert, Notification
    from dra.quality.checks import mart_contract_path
    from orchestration.resources import PlatformResource

    admin = make_user(platform_admin=True)
    schema, table = "marts_q_test", "fct_credits"
    raw = database.system_engine.raw_connection()
    conn = raw.driver_connection
    conn.autocommit = True
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "create table {} as select g as credit_id, 'paid' as channel "
            "from generate_series(1, 20) g"
        ).format(sql.Identifier(schema, table))
    )
    try:
        key = dg.AssetKey([schema, table])
        defs = dg.Definitions(
            assets=[dg.AssetSpec(key)],
            asset_checks=build_mart_soda_checks([key]),
            jobs=[
                dg.define_asset_job("mart_checks", selection=dg.AssetSelection.all_asset_checks())
            ],
            resources={
                "platform": PlatformResource(
                    database_url=database.url, data_dir=str(settings.data_dir)
                )
            },
        )
        job = defs.resolve_job_def("mart_checks")
        first = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
        assert [e.passed for e in first.get_asset_check_evaluations()] == [True]
        assert mart_contract_path(settings.data_dir, schema, table).exists()

        conn.execute(
            sql.SQL("insert into {} values (1, 'paid')").format(sql.Identifier(schema, table))
        )
        second = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )
        assert [e.passed for e in second.get_asset_check_evaluations()] == [False]
        with database.system_session() as s:
            alert = s.scalars(select(Alert)).one()
            assert alert.title == f"Soda checks failed on {schema}.{table}"
            assert "credit_id.duplicate" in alert.details["message"]
            assert (
                s.scalar(select(Notification.user_id).where(Notification.type == "alert.quality"))
                == admin.id
            )
    finally:
        conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
        raw.close()
