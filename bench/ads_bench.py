"""Advertising ingestion benchmark: daily rows from a local fake platform, through the
platform's client code and the upsert into PostgreSQL, against the fake's own time to
serve the same rows.

    .venv/bin/python bench/ads_bench.py [--platform google_ads] [--campaigns 500] [--years 2]

One part per platform (``PARTS``; each is a function of the arguments returning its
report lines). The Google Ads part:
- starts the fake Google Ads server (``tests/support/fake_google_ads.py``: gRPC over TLS
  with a self-signed certificate, SearchStream in batches of 10,000 rows) in a process of
  its own, with ``--campaigns`` campaigns active every day;
- baseline: a bare gRPC client in a child process drains the same SearchStream without
  decoding a row (the fake building, encoding and sending them: its time to serve);
- the platform: in a child process, ``GoogleAds.fetch_table`` (the official
  ``google-ads`` client, cost_micros converted) piped into ``dra.ingestion.loader.upsert_rows``
  (COPY into a scratch table, merged on the table's key), the code the ingestion asset
  runs, into a throw-away embedded PostgreSQL (or DRA_BENCH_DATABASE_URL); also the fetch
  alone, to show where the time goes;
- memory: each child's peak RSS over its RSS once everything is imported, for 1 year
  and for ``--years`` years: flat when the rows stream instead of piling up.

The Meta part (``--platform meta_ads``):
- starts the fake Graph API (``tests/support/fake_meta.py``, its OAuth provider with it)
  in a process of its own, generating ``--campaigns`` campaigns for every day on demand
  (nothing held in memory); it counts ``served_seconds``, its own time answering the
  insights pages, which the platform is measured against;
- baseline: a bare ``requests`` client in a child process follows the same pages (500
  rows each, the platform's page size) without reading a row: the HTTP round trips;
- the platform: in a child process, ``MetaAds.fetch_table`` (the official
  ``facebook-business`` SDK, ``crash_log=False``) piped into ``upsert_rows``, and the
  fetch alone; memory as for Google Ads, for 1 year and ``--years`` years.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import _libpq, _server, peak_rss_mb  # noqa: E402

END = date(2026, 6, 30)
CUSTOMER, MANAGER = "4445556666", "1112223333"
SCHEMA = "bench_ads"


def _span(years: int) -> tuple[date, date]:
    return END - timedelta(days=365 * years - 1), END


def _memory_lines(runs: dict[int, dict[str, dict]], campaigns: int) -> list[str]:
    """Each run length's ingest: peak RSS over the RSS once everything was imported."""
    return [
        f"  memory, {y} year(s) ({campaigns * 365 * y:,} rows): peak "
        f"{r['peak_mb']:.0f} MB, {r['peak_mb'] - r['baseline_mb']:+.0f} MB over the "
        f"{r['baseline_mb']:.0f} MB of the interpreter and imports"
        for y, r in ((y, runs[y]["ingest"]) for y in sorted(runs))
    ]


def _scratch(url: str | None):
    """A connection to the scratch database with the bench schema dropped (None: fetch only)."""
    import psycopg

    if not url:
        return None
    conn = psycopg.connect(_libpq(url), autocommit=True)
    conn.execute(f"drop schema if exists {SCHEMA} cascade")
    return conn


def _write(conn, name: str, table, account, rows) -> int:
    """Rows of ``table`` upserted into ``name`` as ingestion does (counted only without
    ``conn``); how many."""
    from dra.ingestion.csv_files import Column
    from dra.ingestion.loader import upsert_rows
    from dra.ingestion.sources.ads import table_rows

    if conn is None:
        return sum(1 for _ in rows)
    columns = [Column(c.name, c.name, c.pg_type) for c in table.all_columns]
    try:
        return upsert_rows(
            conn, SCHEMA, name, columns, table.unique_key, table_rows(table, account, rows)
        ).rows
    finally:
        conn.close()


# --- Google Ads ------------------------------------------------------------------------


def serve_google_ads(campaigns: int) -> None:
    """Child: the fake Google Ads server; prints ``port roots-file`` and serves until its
    standard input closes."""
    from tests.support.fake_google_ads import FakeGoogleAds, use_fake_roots

    roots = use_fake_roots()
    with FakeGoogleAds(campaigns=campaigns) as fake:
        print(f"{fake.port} {roots}", flush=True)
        sys.stdin.read()


def _query(years: int) -> str:
    from dra.ads.google_ads import _QUERIES, CAMPAIGN_TABLE

    start, end = _span(years)
    return f"{_QUERIES[CAMPAIGN_TABLE.name]} WHERE segments.date BETWEEN '{start}' AND '{end}'"


def child_drain(endpoint: str, years: int) -> dict:
    """Child: the stream drained by a bare gRPC client, no row decoded (the baseline)."""
    import grpc
    from google.ads.googleads.v26.services.types import google_ads_service as gas

    channel = grpc.secure_channel(endpoint, grpc.ssl_channel_credentials())
    call = channel.unary_stream(
        "/google.ads.googleads.v26.services.GoogleAdsService/SearchStream",
        request_serializer=gas.SearchGoogleAdsStreamRequest.serialize,
        response_deserializer=lambda raw: len(raw),
    )
    request = gas.SearchGoogleAdsStreamRequest(customer_id=CUSTOMER, query=_query(years))
    metadata = (
        ("authorization", "Bearer bench"),
        ("developer-token", "dev-token"),
        ("login-customer-id", MANAGER),
    )
    baseline = peak_rss_mb()
    started = time.perf_counter()
    size = sum(call(request, metadata=metadata))
    return {
        "seconds": time.perf_counter() - started,
        "bytes": size,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def child_google_ads(endpoint: str, years: int, url: str | None) -> dict:
    """Child: the platform's fetch (and, with ``url``, the upsert into PostgreSQL)."""

    from dra.ads.google_ads import CAMPAIGN_TABLE, GoogleAds
    from dra.ads.platforms import AdAccount, OAuthToken
    from dra.ads.settings import load_ads_settings

    settings = load_ads_settings(
        {
            "DRA_GOOGLE_CLIENT_ID": "bench",
            "DRA_GOOGLE_CLIENT_SECRET": "bench",
            "DRA_GOOGLE_TOKEN_URL": "http://127.0.0.1:9/token",
            "DRA_GOOGLE_ADS_ENDPOINT": endpoint,
            "DRA_GOOGLE_ADS_DEVELOPER_TOKEN": "dev-token",
        }
    )
    platform = GoogleAds(settings)
    account = AdAccount(
        CUSTOMER, "Bench", "USD", "America/Chicago", MANAGER, {"login_customer_id": MANAGER}
    )
    token = OAuthToken(access_token="bench")
    start, end = _span(years)
    conn = _scratch(url)
    # the client library's import (a few seconds, once per process) is not what is timed
    imported = time.perf_counter()
    platform.client(token, MANAGER)[0].get_service("GoogleAdsService")
    imported = time.perf_counter() - imported
    baseline = peak_rss_mb()
    started = time.perf_counter()
    rows = platform.fetch_table(token, account, CAMPAIGN_TABLE, start, end)
    written = _write(conn, "google_ads_campaign_daily", CAMPAIGN_TABLE, account, rows)
    return {
        "seconds": time.perf_counter() - started,
        "rows": written,
        "import_seconds": imported,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def _child(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_google_ads(args: argparse.Namespace, url: str) -> list[str]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-google-ads", str(args.campaigns)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port, roots = server.stdout.readline().split()
        endpoint = f"localhost:{port}"
        # gRPC reads its trusted roots once, before the first TLS channel: set for children
        env = {**os.environ, "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": roots}
        years = sorted({1, args.years})
        lines = []
        runs: dict[int, dict[str, dict]] = {}
        for y in years:
            runs[y] = {
                "drain": min(
                    (_child(env, "drain", endpoint, str(y)) for _ in range(args.repeat)),
                    key=lambda r: r["seconds"],
                ),
                "fetch": min(
                    (_child(env, "fetch", endpoint, str(y)) for _ in range(args.repeat)),
                    key=lambda r: r["seconds"],
                ),
                "ingest": min(
                    (_child(env, "ingest", endpoint, str(y), url) for _ in range(args.repeat)),
                    key=lambda r: r["seconds"],
                ),
            }
        top = runs[args.years]
        rows = top["ingest"]["rows"]
        expected = args.campaigns * 365 * args.years
        assert rows == expected, (rows, expected)
        serve = top["drain"]["seconds"]
        lines.append(
            f"Google Ads, {args.years} years x {args.campaigns} campaigns = {rows:,} rows "
            f"({top['drain']['bytes'] / 2**20:.0f} MB on the wire)"
        )
        lines.append(
            f"  fake server serving them (bare gRPC drain): {serve:6.2f}s "
            f"({rows / serve:,.0f} rows/s)"
        )
        for name, label in (
            ("fetch", "platform fetch (google-ads client)"),
            ("ingest", "platform ingest (fetch + upsert)"),
        ):
            seconds = top[name]["seconds"]
            lines.append(
                f"  {label:34}: {seconds:6.2f}s ({rows / seconds:,.0f} rows/s, "
                f"{seconds / serve:.2f}x the server's time)"
            )
        lines.append(
            f"  (importing the google-ads client first, once per process: "
            f"{top['ingest']['import_seconds']:.1f}s, not counted above)"
        )
        return lines + _memory_lines(runs, args.campaigns)
    finally:
        server.stdin.close()
        server.wait(timeout=30)


# --- Meta Ads --------------------------------------------------------------------------

META_ACCOUNT = "222333444"


def serve_meta(campaigns: int) -> None:
    """Child: the fake Graph API and its OAuth provider; prints a JSON line (its address
    and a valid access token), then answers ``reset`` / ``stats`` lines on standard input
    (the insights pages served and ``served_seconds`` since the last reset) until it
    closes."""
    import logging

    from tests.support.fake_meta import FakeMeta
    from tests.support.fake_oauth import FakeOAuthProvider

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per page
    oauth = FakeOAuthProvider(issue_refresh_tokens=False, expires_in=365 * 86400).start()
    fake = FakeMeta(oauth).start()
    fake.add_account(META_ACCOUNT, "Bench", currency="USD", tz="America/Chicago")
    fake.synthetic_campaigns = campaigns
    fake.requests = _Discard()  # a log of 730 pages' requests is not what is measured
    print(json.dumps({"url": fake.base_url, "token": oauth.issue()["access_token"]}), flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "reset":
                fake.served_seconds, fake.pages_served = 0.0, 0
            print(json.dumps({"seconds": fake.served_seconds, "pages": fake.pages_served}))
            sys.stdout.flush()
    finally:
        fake.stop()
        oauth.stop()


class _Discard(list):
    def append(self, item: object) -> None:
        pass


def _meta_params(years: int) -> dict:
    from dra.ads.meta import METRICS, PAGE_SIZE

    start, end = _span(years)
    return {
        "level": "campaign",
        "time_increment": 1,
        "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}),
        "limit": PAGE_SIZE,
        "fields": ",".join(["campaign_id", "campaign_name", *METRICS]),
    }


def child_meta_drain(url: str, token: str, years: int) -> dict:
    """Child: the insights pages followed by a bare HTTP client, no row read (baseline)."""
    import requests

    from dra.ads.meta import API_VERSION

    baseline = peak_rss_mb()
    started = time.perf_counter()
    session = requests.Session()
    answer = session.get(
        f"{url}/{API_VERSION}/act_{META_ACCOUNT}/insights",
        params={**_meta_params(years), "access_token": token},
    )
    size, pages = 0, 0
    while True:
        answer.raise_for_status()
        size, pages = size + len(answer.content), pages + 1
        following = answer.json().get("paging", {}).get("next")
        if not following:
            break
        answer = session.get(following, params={**_meta_params(years), "access_token": token})
    return {
        "seconds": time.perf_counter() - started,
        "bytes": size,
        "pages": pages,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def child_meta(url: str, token: str, years: int, database_url: str | None) -> dict:
    """Child: MetaAds.fetch_table (and, with ``database_url``, the upsert)."""

    from dra.ads.meta import MetaAds
    from dra.ads.platforms import AdAccount, OAuthToken
    from dra.ads.settings import load_ads_settings

    settings = load_ads_settings(
        {
            "DRA_META_CLIENT_ID": "bench",
            "DRA_META_CLIENT_SECRET": "bench",
            "DRA_META_API_URL": url,
        }
    )
    platform = MetaAds(settings)
    table = platform.table("campaign_daily")
    account = AdAccount(META_ACCOUNT, "Bench", "USD", "America/Chicago")
    start, end = _span(years)
    conn = _scratch(database_url)
    baseline = peak_rss_mb()
    started = time.perf_counter()
    rows = platform.fetch_table(OAuthToken(token), account, table, start, end)
    written = _write(conn, "meta_campaign_daily", table, account, rows)
    return {
        "seconds": time.perf_counter() - started,
        "rows": written,
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def bench_meta(args: argparse.Namespace, url: str) -> list[str]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-meta", str(args.campaigns)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def served(command: str) -> dict:
        server.stdin.write(command + "\n")
        server.stdin.flush()
        return json.loads(server.stdout.readline())

    def best(mode: str, years: int, *extra: str) -> dict:
        runs = []
        for _ in range(args.repeat):
            served("reset")
            run = _child(dict(os.environ), mode, fake["url"], fake["token"], str(years), *extra)
            run["served"] = served("stats")
            runs.append(run)
        return min(runs, key=lambda r: r["seconds"])

    try:
        fake = json.loads(server.stdout.readline())
        years = sorted({1, args.years})
        runs = {
            y: {
                "drain": best("meta-drain", y),
                "fetch": best("meta-fetch", y),
                "ingest": best("meta-ingest", y, url),
            }
            for y in years
        }
        top = runs[args.years]
        rows = top["ingest"]["rows"]
        expected = args.campaigns * 365 * args.years
        assert rows == expected, (rows, expected)
        drain = top["drain"]
        lines = [
            f"Meta Ads, {args.years} years x {args.campaigns} campaigns = {rows:,} rows "
            f"({drain['served']['pages']} pages, {drain['bytes'] / 2**20:.0f} MB on the wire)",
            f"  fake server's own time serving the pages (served_seconds): "
            f"{drain['served']['seconds']:6.2f}s",
            f"  bare HTTP client following them: {drain['seconds']:6.2f}s "
            f"({rows / drain['seconds']:,.0f} rows/s)",
        ]
        for name, label in (
            ("fetch", "platform fetch (facebook-business)"),
            ("ingest", "platform ingest (fetch + upsert)"),
        ):
            r = top[name]
            lines.append(
                f"  {label:34}: {r['seconds']:6.2f}s ({rows / r['seconds']:,.0f} rows/s, "
                f"{r['seconds'] / r['served']['seconds']:.2f}x the server's own time of "
                f"{r['served']['seconds']:.2f}s, {r['seconds'] / drain['seconds']:.2f}x the "
                "bare client)"
            )
        return lines + _memory_lines(runs, args.campaigns)
    finally:
        server.stdin.close()
        server.wait(timeout=30)


PARTS: dict[str, Callable[[argparse.Namespace, str], list[str]]] = {
    "google_ads": bench_google_ads,
    "meta_ads": bench_meta,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="best of N timings")
    parser.add_argument("--serve-google-ads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-meta", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_google_ads:
        serve_google_ads(args.serve_google_ads)
        return 0
    if args.serve_meta:
        serve_meta(args.serve_meta)
        return 0
    if args.child and args.child[0].startswith("meta-"):
        mode, meta_url, token, years, *rest = args.child
        if mode == "meta-drain":
            result = child_meta_drain(meta_url, token, int(years))
        else:
            result = child_meta(meta_url, token, int(years), rest[0] if rest else None)
        print(json.dumps(result))
        return 0
    if args.child:
        mode, endpoint, years, *rest = args.child
        if mode == "drain":
            result = child_drain(endpoint, int(years))
        else:
            result = child_google_ads(endpoint, int(years), rest[0] if mode == "ingest" else None)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="dra-ads-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)
        url, server = _server(tmp)
        try:
            for name, part in PARTS.items():
                if args.platform in (name, "all"):
                    for line in part(args, url):
                        print(line, flush=True)
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
