"""Backup benchmark: the platform's backup against a bare pg_dump of the same database.

Fills a fresh database on an embedded PostgreSQL with about 1,000,000 rows shaped like
the demo project's tables (customers, products, orders, visits in ``raw_p1``) plus the
migrated ``app`` schema, then, in the same run:

- bare ``pg_dump --format=custom`` to a file (best of 3);
- the platform's backup: ``run_backup`` (row counts in the dump's snapshot, pg_dump
  streamed into the ZIP with its sha256, metadata.json, row updates) (best of 3);
- the restore drill of the last backup (restore into a scratch database, compare counts).

Target: platform / bare <= 1.3. Run: ``.venv/bin/python bench/backup_bench.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())

from sqlalchemy import create_engine, text  # noqa: E402

from dra.db import Database  # noqa: E402
from dra.migrate import upgrade  # noqa: E402
from dra.operations.backups import drill_backup, request_backup, run_backup  # noqa: E402
from dra.operations.pgtools import libpq_connection, matching_tool  # noqa: E402
from dra.settings import load_settings  # noqa: E402
from tests.support.pg import start_cluster  # noqa: E402

ROWS = {"customers": 100_000, "products": 2_000, "orders": 548_000, "visits": 350_000}
TARGET = 1.3
REPEATS = 3

FILL = {
    "customers": "create table raw_p1.customers as select g as id, 'customer ' || g as name,"
    " 'c' || g || '@example.com' as email, (g % 90) + 10 as age,"
    " now() - (g || ' minutes')::interval as created_at"
    " from generate_series(1, {n}) g",
    "products": "create table raw_p1.products as select g as id, 'product ' || g as name,"
    " (g % 50) || ' beans' as category, round((g % 997) / 10.0, 2) as price"
    " from generate_series(1, {n}) g",
    "orders": "create table raw_p1.orders as select g as id, (g % 100000) + 1 as customer_id,"
    " (g % 2000) + 1 as product_id, (g % 5) + 1 as quantity,"
    " round(((g::bigint * 7919) % 10000) / 100.0, 2) as total,"
    " now() - ((g % 525600) || ' minutes')::interval as ordered_at"
    " from generate_series(1, {n}) g",
    "visits": "create table raw_p1.visits as select g as id, md5(g::text) as session_id,"
    " (array['google','newsletter','facebook','direct'])[g % 4 + 1] as utm_source,"
    " (array['cpc','email','social','none'])[g % 4 + 1] as utm_medium,"
    " '/page/' || (g % 300) as path, now() - (g || ' seconds')::interval as seen_at"
    " from generate_series(1, {n}) g",
}


def fill(url: str) -> int:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("create schema raw_p1"))
        for table, sql in FILL.items():
            conn.execute(text(sql.format(n=ROWS[table])))
            conn.execute(text(f"alter table raw_p1.{table} add primary key (id)"))
        conn.execute(text("analyze"))
    engine.dispose()
    return sum(ROWS.values())


def bare_pg_dump(url: str, out: Path) -> float:
    conn = libpq_connection(url)
    started = time.perf_counter()
    subprocess.run(
        [
            str(matching_tool("pg_dump", url)),
            "--format=custom",
            "--no-password",
            f"--file={out}",
            f"--dbname={conn.url}",
        ],
        env=conn.env,
        check=True,
    )
    return time.perf_counter() - started


def platform_backup(database: Database, settings) -> tuple[float, int]:
    with database.system_session() as s:
        backup, _ = request_backup(s, requested_by=None)
        backup_id = backup.id
    started = time.perf_counter()
    outcome = run_backup(database, settings, backup_id)
    elapsed = time.perf_counter() - started
    from dra.pipeline_requests import mark_finished

    with database.system_session() as s:
        from sqlalchemy import select

        from dra.models import PipelineRequest

        ids = list(
            s.scalars(select(PipelineRequest.id).where(PipelineRequest.target_id == backup_id))
        )
    for request_id in ids:
        mark_finished(database, request_id, ok=True)
    return elapsed, backup_id, outcome


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dra-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cluster = start_cluster(tmp / "pg", os.environ.get("DRA_TEST_DATABASE_URL"))
        try:
            url = cluster.create_database("dra_bench")
            upgrade(url)
            t0 = time.perf_counter()
            rows = fill(url)
            print(f"filled {rows:,} rows in {time.perf_counter() - t0:.1f} s")
            settings = load_settings(
                {"DRA_ENV": "test", "DRA_DATA_DIR": str(tmp / "data"), "DRA_DATABASE_URL": url}
            )
            database = Database(url)
            bare, ours, last = [], [], None
            for i in range(REPEATS):
                bare.append(bare_pg_dump(url, tmp / f"bare{i}.dump"))
                elapsed, backup_id, outcome = platform_backup(database, settings)
                ours.append(elapsed)
                last = (backup_id, outcome)
            drill = drill_backup(database, settings, last[0])
            bare_size = (tmp / "bare0.dump").stat().st_size
            b, p = min(bare), min(ours)
            runs_bare = ", ".join(f"{x:.2f}" for x in bare)
            runs_ours = ", ".join(f"{x:.2f}" for x in ours)
            print(
                f"bare pg_dump        best {b:6.2f} s  (runs: {runs_bare})"
                f"  {bare_size / 1e6:.1f} MB"
            )
            print(
                f"platform backup     best {p:6.2f} s  (runs: {runs_ours})"
                f"  {last[1].size_bytes / 1e6:.1f} MB ZIP"
            )
            print(f"ratio platform/bare {p / b:6.2f}   (target <= {TARGET})")
            print(
                f"restore drill       {drill.seconds:6.2f} s  "
                f"({'passed' if drill.passed else 'FAILED: ' + '; '.join(drill.mismatches)})"
                f"  = {drill.seconds / p:.2f}x the backup"
            )
            database.dispose()
            return 0 if p / b <= TARGET and drill.passed else 1
        finally:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
