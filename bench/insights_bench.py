"""Insights benchmark: the facts of a 1,000,000-row model table against one sequential scan.

    .venv/bin/python bench/insights_bench.py [--rows 1000000] [--repeat 3]

Generates a deterministic model table (4 measures: amount, quantity, discount, visits;
3 dimensions: country 20 values, channel 5, device 3; a timestamptz over two years, so
the facts follow it by week; a planted spike, trend and driving value) and loads it
with COPY into ``models_p1`` of a throw-away embedded PostgreSQL (or
DRA_BENCH_DATABASE_URL), analyzed as a build leaves it. Then times, best of --repeat,
warm cache:
- the baselines: one sequential scan, ``select count(*)``, and a sum over every column;
- ``dra.insights.facts.compute_facts`` on the same table, as the platform runs it: one
  read-only transaction as the project's role, both passes (series, dimensions).
Prints the times, the ratios and the facts found. Target: facts <= 6x one sequential scan
that reads every column, as the facts must (the sum of every column); the ratio to
``count(*)``, which reads no column at all, is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 6.0
PROJECT_ID = 1
TABLE = "model_1"
COUNTRIES = [f"C{i:02d}" for i in range(20)]
CHANNELS = ["web", "store", "app", "partner", "phone"]
DEVICES = ["desktop", "mobile", "tablet"]
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 730
SPIKE_DAY = 400
COLUMNS = (
    "id bigint, created_at timestamptz, country text, channel text, device text, "
    "amount numeric(10, 2), quantity integer, discount numeric(10, 2), visits integer"
)


def server_url(tmp: Path) -> tuple[str, object | None]:
    external = os.environ.get("DRA_BENCH_DATABASE_URL")
    if external:
        from dra.db import normalise_url

        return normalise_url(external, variable="DRA_BENCH_DATABASE_URL"), None
    from dra.embedded import start_embedded

    server = start_embedded(tmp / "pg")
    return server.url("postgres"), server


def rows(n: int):
    """Deterministic rows: visits trend up over the two years, one day's amounts spike,
    and in the last complete week country C03 sells far more."""
    rng = random.Random(7)
    last_week_start = (DAYS // 7 - 1) * 7  # the last complete week
    for i in range(1, n + 1):
        day = (i * DAYS) // n
        at = START + timedelta(days=day, seconds=(i * 7919) % 86400)
        country = COUNTRIES[min(int(rng.expovariate(0.25)), 19)]
        amount = round(rng.uniform(5, 200), 2)
        if day == SPIKE_DAY and i % 10 == 0:
            amount *= 40
        if country == "C03" and last_week_start <= day < last_week_start + 7:
            amount *= 6
        yield (
            i,
            at.isoformat(),
            country,
            CHANNELS[i % 5],
            DEVICES[(i // 7) % 3],
            f"{amount:.2f}",
            1 + i % 4,
            f"{round(amount * 0.05, 2):.2f}" if i % 3 == 0 else "0.00",
            1 + (day * 3) // 100 + i % 2,
        )


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = parser.parse_args()

    import psycopg
    from psycopg import sql

    from dra.db import Database, libpq_url
    from dra.ingestion.loader import analyze_table, ensure_schema
    from dra.ingestion.naming import models_schema
    from dra.insights.facts import ModelSnapshot, compute_facts

    schema = models_schema(PROJECT_ID)
    ident = sql.Identifier(schema, TABLE)
    with tempfile.TemporaryDirectory(prefix="dra-insights-bench-") as tmp:
        url, server = server_url(Path(tmp))
        database = Database(url)
        try:
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
                )
                with conn.cursor() as cur:
                    ensure_schema(cur, schema)
                started = time.perf_counter()
                conn.execute(sql.SQL("create table {} ({})").format(ident, sql.SQL(COLUMNS)))
                with (
                    conn.cursor() as cur,
                    cur.copy(sql.SQL("copy {} from stdin").format(ident)) as copy,
                ):
                    for row in rows(args.rows):
                        copy.write_row(row)
                conn.execute(sql.SQL("vacuum {}").format(ident))
                with conn.cursor() as cur:
                    analyze_table(cur, schema, TABLE)
                size = conn.execute(
                    "select pg_size_pretty(pg_total_relation_size(%s))", (f"{schema}.{TABLE}",)
                ).fetchone()[0]
                print(
                    f"table {schema}.{TABLE}: {args.rows:,} rows, 4 measures, 3 dimensions, "
                    f"{size} (generated and COPied in {time.perf_counter() - started:.1f} s)"
                )

                def count() -> None:
                    conn.execute(sql.SQL("select count(*) from {}").format(ident)).fetchone()

                def sums() -> None:
                    conn.execute(
                        sql.SQL(
                            "select sum(amount), sum(quantity), sum(discount), sum(visits), "
                            "count(country), count(channel), count(device), max(created_at), "
                            "max(id) from {}"
                        ).format(ident)
                    ).fetchone()

                model = ModelSnapshot(
                    id=1,
                    project_id=PROJECT_ID,
                    name="bench",
                    version=1,
                    table=TABLE,
                    row_count=args.rows,
                    built_at=datetime.now(UTC),
                )
                found = {}

                def facts() -> None:
                    found["facts"] = compute_facts(database, model, None, timeout_ms=600_000)

                count()  # warm the cache
                facts()
                baseline = best_of(args.repeat, count)
                full = best_of(args.repeat, sums)
                elapsed = best_of(args.repeat, facts)
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
        finally:
            database.dispose()
            if server is not None:
                server.stop()
    result = found["facts"]
    ratio = elapsed / full
    print(f"sequential scan, select count(*):       {baseline * 1000:9.1f} ms")
    print(
        f"sequential scan, a sum of every column:  {full * 1000:9.1f} ms  "
        f"({full / baseline:.2f}x count(*))"
    )
    print(
        f"facts ({result.statements} passes, {len(result.facts)} facts):       "
        f"{elapsed * 1000:9.1f} ms  ratio {ratio:.2f}x the sum of every column "
        f"(target <= {TARGET:.0f}x) -> {'OK' if ratio <= TARGET else 'over target'}; "
        f"{elapsed / baseline:.2f}x count(*)"
    )
    print(
        "  of which (the last run, ms): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in result.timings.items())
    )
    print(f"grain {result.grain} on {result.time_column}; facts:")
    for fact in result.ranked():
        print(f"  {fact.severity:>8} {fact.id}: {fact.sentence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
