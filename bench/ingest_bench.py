"""CSV ingestion benchmark: the platform's loader against psql \\copy and pandas.to_sql.

    .venv/bin/python bench/ingest_bench.py [--rows 1000000] [--memory-rows 4000000]

Generates a CSV with 10 mixed columns, starts a throw-away embedded PostgreSQL (or
uses DRA_BENCH_DATABASE_URL), and times, on the same file and server:
- the platform: the registered "csv" source loader, the code the ingestion asset
  runs (sniff, typed table, streaming COPY, atomic swap), in a child process whose
  peak memory is measured with getrusage;
- ``psql \\copy`` of the same file into a table of the same shape (the baseline);
- ``pandas.read_csv`` + ``DataFrame.to_sql`` (for context).
Then the platform's peak memory for --rows and --memory-rows rows, to show it is flat.
Targets: platform time <= 1.4x \\copy; peak memory < 300 MB and not growing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "id",
    "customer",
    "email",
    "amount",
    "quantity",
    "ratio",
    "paid",
    "created_at",
    "day",
    "note",
]
TIME_TARGET = 1.4
MEMORY_TARGET_MB = 300


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A deterministic CSV: integers, text, decimals, floats, booleans, timestamps, dates."""
    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    names = ["Ada", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gus", "Hana"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        for i in range(1, rows + 1):
            name = rnd.choice(names)
            at = start + timedelta(seconds=rnd.randrange(0, 365 * 86400))
            note = '"said ""hi"", left"' if i % 97 == 0 else f"note {i % 1000}"
            fh.write(
                f"{i},{name} {i % 5000},{name.lower()}{i}@example.com,"
                f"{rnd.randrange(0, 100000) / 100:.2f},{rnd.randrange(1, 20)},"
                f"{rnd.random():.6f},{'true' if i % 3 else 'false'},"
                f"{at.isoformat()},{at.date().isoformat()},{note}\n"
            )


def _libpq(url: str) -> str:
    from dra.db import libpq_url

    return libpq_url(url)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM, which exec resets; getrusage otherwise)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ingest(url: str, path: Path) -> None:
    """Run in a child process: the platform's CSV loader; prints time, rows and peak RSS."""
    import psycopg

    from dra.ingestion.registry import SourceSnapshot, loader_for

    before = peak_rss_mb()
    snapshot = SourceSnapshot(
        id=1,
        project_id=1,
        name="bench",
        type="csv",
        file_path=path,
        connection={},
        selected_tables=[],
        settings={},
    )
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        started = time.perf_counter()
        loaded = loader_for("csv")(conn, snapshot, "bench", lambda _m: None)
        seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    print(
        json.dumps(
            {"seconds": seconds, "rows": loaded[0][1].rows, "baseline_mb": before, "peak_mb": peak}
        )
    )


def run_platform(url: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, str(path)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"the platform's ingestion failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_copy(url: str, path: Path) -> float:
    """psql \\copy into a table with the same columns and types as the platform's."""
    import psycopg
    from psycopg import sql

    from dra.embedded import pg_bin_dir
    from dra.ingestion.csv_files import sniff

    layout = sniff(path)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("drop table if exists bench.copy_baseline")
        conn.execute(
            sql.SQL("create table bench.copy_baseline ({})").format(
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type))
                    for c in layout.columns
                )
            )
        )
    psql = str(pg_bin_dir() / "psql")
    command = f"\\copy bench.copy_baseline from '{path}' with (format csv, header true)"
    started = time.perf_counter()
    subprocess.run(
        [psql, _libpq(url), "-v", "ON_ERROR_STOP=1", "-q", "-c", command],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run_pandas(url: str, path: Path) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    started = time.perf_counter()
    frame = pd.read_csv(path)
    frame.to_sql(
        "pandas_baseline",
        engine,
        schema="bench",
        if_exists="replace",
        index=False,
        chunksize=50_000,
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def _server(tmp: Path) -> tuple[str, object | None]:
    external = os.environ.get("DRA_BENCH_DATABASE_URL")
    if external:
        from dra.db import normalise_url

        return normalise_url(external, variable="DRA_BENCH_DATABASE_URL"), None
    from dra.embedded import start_embedded

    server = start_embedded(tmp / "pg")
    return server.url("postgres"), server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--memory-rows",
        type=int,
        default=4_000_000,
        help="second file size for the flat-memory check (0 to skip)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="best of N timings")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(args.child[0], Path(args.child[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="dra-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)
        url, server = _server(tmp)
        try:
            import psycopg

            with psycopg.connect(_libpq(url), autocommit=True) as conn:
                conn.execute("create schema if not exists bench")
                conn.execute(
                    "do $$ begin create role dra_readonly nologin; "
                    "exception when duplicate_object then null; end $$"
                )
            path = tmp / "bench.csv"
            started = time.perf_counter()
            generate(path, args.rows)
            size_mb = path.stat().st_size / 2**20
            print(
                f"generated {args.rows:,} rows x {len(HEADER)} columns "
                f"({size_mb:.0f} MB) in {time.perf_counter() - started:.1f}s"
            )
            platform = [run_platform(url, path) for _ in range(args.repeat)]
            copy = [run_copy(url, path) for _ in range(args.repeat)]
            best_platform = min(p["seconds"] for p in platform)
            best_copy = min(copy)
            assert platform[0]["rows"] == args.rows, platform[0]
            ratio = best_platform / best_copy
            print(
                f"platform ingestion : {best_platform:7.2f}s  "
                f"({args.rows / best_platform:,.0f} rows/s)"
            )
            print(f"psql \\copy         : {best_copy:7.2f}s  ({args.rows / best_copy:,.0f} rows/s)")
            print(
                f"ratio platform / \\copy = {ratio:.2f}x  (target <= {TIME_TARGET}x: "
                f"{'ok' if ratio <= TIME_TARGET else 'MISSED'})"
            )
            if not args.no_pandas:
                pandas_s = run_pandas(url, path)
                print(
                    f"pandas to_sql      : {pandas_s:7.2f}s  "
                    f"(ratio pandas / platform = {pandas_s / best_platform:.1f}x)"
                )
            peaks = [(args.rows, max(p["peak_mb"] for p in platform), platform[0]["baseline_mb"])]
            if args.memory_rows:
                big = tmp / "bench_big.csv"
                path.unlink()
                generate(big, args.memory_rows)
                result = run_platform(url, big)
                peaks.append((args.memory_rows, result["peak_mb"], result["baseline_mb"]))
                print(f"platform ingestion of {args.memory_rows:,} rows: {result['seconds']:.2f}s")
            for rows, peak, base in peaks:
                print(
                    f"peak memory, {rows:>9,} rows: {peak:6.1f} MB "
                    f"(interpreter and imports before loading: {base:.1f} MB)"
                )
            worst = max(p[1] for p in peaks)
            growth = peaks[-1][1] / peaks[0][1] if len(peaks) > 1 else 1.0
            print(
                f"peak memory target < {MEMORY_TARGET_MB} MB: "
                f"{'ok' if worst < MEMORY_TARGET_MB else 'MISSED'}; "
                f"growth {peaks[-1][0] // peaks[0][0]}x rows -> {growth:.2f}x memory "
                f"({'flat' if growth < 1.15 else 'GROWING'})"
            )
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
