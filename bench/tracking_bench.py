"""Tracking benchmark: events per second through ``POST /api/track/batch``.

Serves the web app with waitress on localhost (a separate process, 8 threads) against a
fresh database, then 8 concurrent clients send batches of events with unique client
event ids for 30 seconds; every 10th batch is sent twice, as a client retry would. At
the end every sent event must be stored exactly once.

Target: >= 5,000 events/s. Run: ``.venv/bin/python bench/tracking_bench.py``
(``--seconds``, ``--clients``, ``--batch`` to change the load).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from dra.attribution.keys import create_key  # noqa: E402
from dra.db import Database  # noqa: E402
from dra.migrate import upgrade  # noqa: E402
from tests.support.factories import create_project, create_user  # noqa: E402
from tests.support.pg import start_cluster  # noqa: E402

TARGET = 5_000
ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import sys, waitress
sys.path.insert(0, {root!r})
from dra.settings import load_settings
from webapp import create_app
app = create_app(load_settings({env!r}))
waitress.serve(app, host="127.0.0.1", port={port}, threads=8, connection_limit=200,
               channel_timeout=60, _quiet=True)
"""
CHANNEL_MIX = [
    {"utmParams": {"source": "google", "medium": "cpc"}},
    {"referrer": "https://www.facebook.com/"},
    {"utmParams": {"source": "news", "medium": "email"}},
    {"referrer": "https://www.google.com/search?q=coffee"},
    {"referrer": "https://blog.example.org/"},
    {},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the web app exited before serving")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("the web app did not start")


def client(
    n: int,
    endpoint: str,
    secret: str,
    batch: int,
    stop_at: float,
    sent: list[int],
    retried: list[int],
    errors: list[str],
) -> None:
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    )
    i = 0
    while time.monotonic() < stop_at:
        events = []
        for k in range(batch):
            seq = i * batch + k
            events.append(
                {
                    "userIdentifier": f"c{n}-u{seq % 5000}",
                    "eventType": "purchase" if seq % 50 == 0 else "page_view",
                    "clientEventId": f"c{n}-{seq}",
                    "eventValue": 12.5 if seq % 50 == 0 else None,
                    "pageUrl": "https://shop.example.com/",
                    **CHANNEL_MIX[seq % len(CHANNEL_MIX)],
                }
            )
        body = json.dumps({"events": events})
        for attempt in range(2 if i % 10 == 9 else 1):  # every 10th batch is retried
            resp = session.post(endpoint, data=body, timeout=60)
            if resp.status_code != 201:
                errors.append(f"{resp.status_code} {resp.text[:200]}")
                return
            if attempt == 0:
                sent[n] += batch
            else:
                retried[n] += batch
        i += 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dra-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cluster = start_cluster(tmp / "pg", os.environ.get("DRA_TEST_DATABASE_URL"))
        proc = None
        try:
            url = cluster.create_database("dra_tracking_bench")
            upgrade(url)
            database = Database(url)
            with database.system_session() as s:
                owner = create_user(s)
                project_id = create_project(s, owner)
                secret = create_key(s, project_id, "bench", created_by=owner.id).secret
            database.dispose()
            port = free_port()
            env = {"DRA_ENV": "test", "DRA_DATA_DIR": str(tmp / "data"), "DRA_DATABASE_URL": url}
            proc = subprocess.Popen(
                [sys.executable, "-c", SERVER.format(root=str(ROOT), env=env, port=port)], cwd=ROOT
            )
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz", proc)
            sent, retried = [0] * args.clients, [0] * args.clients
            errors: list[str] = []
            started = time.monotonic()
            stop_at = started + args.seconds
            threads = [
                threading.Thread(
                    target=client,
                    args=(
                        n,
                        f"{base}/api/track/batch",
                        secret,
                        args.batch,
                        stop_at,
                        sent,
                        retried,
                        errors,
                    ),
                )
                for n in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            engine = create_engine(url)
            with engine.connect() as conn:
                stored, distinct = conn.execute(
                    text(
                        "SELECT count(*), count(DISTINCT client_event_id) FROM app.attribution_events"  # noqa: E501
                        " WHERE project_id = :p"
                    ),
                    {"p": project_id},
                ).one()
                channels = dict(
                    conn.execute(
                        text(
                            "SELECT channel, count(*) FROM app.attribution_events GROUP BY channel"
                        )
                    ).all()
                )
            engine.dispose()
            total = sum(sent)
            rate = total / elapsed
            exactly_once = stored == distinct == total
            print(
                f"{args.clients} clients x batches of {args.batch} for {elapsed:.1f} s:"
                f" {total:,} events sent (+{sum(retried):,} resent as retries)"
            )
            print(f"throughput {rate:,.0f} events/s (target >= {TARGET:,})")
            print(
                f"stored {stored:,} rows, {distinct:,} distinct client ids:"
                f" {'every event exactly once' if exactly_once else 'MISMATCH'}"
            )
            print(f"channels {channels}")
            for error in errors[:5]:
                print("error:", error)
            return 0 if rate >= TARGET and exactly_once and not errors else 1
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
