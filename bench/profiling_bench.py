"""Profiling benchmark: a quality profile of a 1,000,000 x 12 table against one sequential scan.

    .venv/bin/python bench/profiling_bench.py [--rows 1000000] [--repeat 3]

Builds a deterministic table of 12 mixed columns (ids, emails, amounts, floats, booleans,
timestamps, dates, mixed-case text) with generate_series in a throw-away embedded
PostgreSQL (or DRA_BENCH_DATABASE_URL), then times, best of --repeat, warm cache:
- the baseline: ``select count(*)`` of the table (one sequential scan);
- ``dra.quality.profiling.profile_table`` on the same table: sampled (what the asset check
  runs on tables over 32 MB: rows and missing values counted exactly in one full pass,
  distinct counts and quartiles from the planner statistics, validity, consistency and
  outliers from a sample of about 5,000 rows) and exact (every statistic over every row,
  what "Run exact check" asks for);
- for context, the sampled profile's one full pass alone (rows and missing values).
Prints the times, the ratios and how far the sampled report is from the exact one.
Target: the profile the check runs <= 4x the sequential scan.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 4.0
SCHEMA, TABLE = "bench_quality", "orders"
BUILD = """
create table {schema}.{table} as
select i as id,
       (i % 50000) + 1 as customer_id,
       case when i % 97 = 0 then 'broken-address' else 'user' || i || '@example.com' end
         as email,
       round((random() * 500)::numeric, 2) * case when i % 1000 = 0 then -1 else 1 end
         as amount,
       (i % 20) + 1 as quantity,
       random() as ratio,
       i % 3 <> 0 as paid,
       timestamptz '2025-01-01' + (i % 31536000) * interval '1 second' as created_at,
       timestamptz '2025-01-01' + (i % 31536000 + 3600) * interval '1 second' as updated_at,
       date '2025-01-01' + (i % 365) as day,
       (array['paid', 'Paid', 'refunded', 'pending', 'PENDING'])[(i % 5) + 1] as status,
       case when i % 10 = 0 then null else 'note ' || (i % 1000) end as note
from generate_series(1, {rows}) as i
"""


def server_url(tmp: Path) -> tuple[str, object | None]:
    external = os.environ.get("DRA_BENCH_DATABASE_URL")
    if external:
        from dra.db import normalise_url

        return normalise_url(external, variable="DRA_BENCH_DATABASE_URL"), None
    from dra.embedded import start_embedded

    server = start_embedded(tmp / "pg")
    return server.url("postgres"), server


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

    from dra.db import libpq_url
    from dra.quality.profiling import profile_table, table_columns
    from dra.quality.profiling.sampled import _null_pass

    with tempfile.TemporaryDirectory(prefix="dra-profile-bench-") as tmp:
        url, server = server_url(Path(tmp))
        try:
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SCHEMA))
                )
                conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SCHEMA)))
                started = time.perf_counter()
                conn.execute(
                    sql.SQL(BUILD.format(schema="{}", table="{}", rows=int(args.rows))).format(
                        sql.Identifier(SCHEMA), sql.Identifier(TABLE)
                    )
                )
                conn.execute(sql.SQL("vacuum analyze {}").format(sql.Identifier(SCHEMA, TABLE)))
                size = conn.execute(
                    "select pg_size_pretty(pg_total_relation_size(%s))", (f"{SCHEMA}.{TABLE}",)
                ).fetchone()[0]
                print(
                    f"table {SCHEMA}.{TABLE}: {args.rows:,} rows x 12 columns, {size} "
                    f"(built in {time.perf_counter() - started:.1f} s)"
                )

                def scan() -> None:
                    conn.execute(
                        sql.SQL("select count(*) from {}").format(sql.Identifier(SCHEMA, TABLE))
                    ).fetchone()

                reports: dict[bool, dict] = {}

                def profile(exact: bool):
                    mode = "exact" if exact else "sampled"
                    return lambda: reports.__setitem__(
                        exact, profile_table(conn, SCHEMA, TABLE, mode=mode)
                    )

                scan()  # warm the cache
                baseline = best_of(args.repeat, scan)
                timings = {exact: best_of(args.repeat, profile(exact)) for exact in (False, True)}
                columns = table_columns(conn, SCHEMA, TABLE)
                full_pass = best_of(args.repeat, lambda: _null_pass(conn, SCHEMA, TABLE, columns))
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(SCHEMA)))
        finally:
            if server is not None:
                server.stop()
    print(f"sequential scan (select count(*)):  {baseline * 1000:9.1f} ms")
    print(
        f"the sampled profile's full pass:     {full_pass * 1000:9.1f} ms  "
        f"ratio {full_pass / baseline:6.2f}x (rows and missing values of 12 columns)"
    )
    for exact, label in ((False, "sampled"), (True, "exact")):
        report, elapsed = reports[exact], timings[exact]
        ratio = elapsed / baseline
        print(
            f"{label:>9} profile ({report['passes']} full pass(es)): {elapsed * 1000:9.1f} ms  "
            f"ratio {ratio:6.2f}x (target <= {TARGET:.0f}x) -> "
            f"{'OK' if ratio <= TARGET else 'over target'}; score {report['score']}, "
            f"metrics {report['metrics']}, keys {report['keys']}"
        )
    sampled, exact = reports[False], reports[True]
    print(f"sampled report: {sampled['sample_rows']:,} sample rows; per column, sampled vs exact:")
    for got, want in zip(sampled["columns"], exact["columns"], strict=True):
        print(
            f"  {got['name']:>12}: nulls {got['null_count']} vs {want['null_count']}, "
            f"distinct {got['distinct_count']} vs {want['distinct_count']}, "
            f"validity {got['validity']} vs {want['validity']}, "
            f"consistency {got['consistency']} vs {want['consistency']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
