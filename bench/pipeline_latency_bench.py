"""Pipeline latency: from a web request to its outcome on the page, on the demo.

    .venv/bin/python bench/pipeline_latency_bench.py [--requests 10] [--kinds model,source,report]
        [--baseline-checkout PATH] [--url http://127.0.0.1:5000 --data-dir ./data]

Starts the platform (``dra run``) on a temporary data folder with the demo (or uses a
running one given ``--url``, and ``--data-dir`` for the breakdown), signs in as the demo
admin over HTTP and times, one after the other, N requests of each kind:

- model:  save a small data model (SQL over the demo's orders) until its page says built;
- source: refresh a data source until the sources list's status says done;
- report: generate an attribution report until its page shows it.

Prints p50/p95 per kind and where the time went, read from the request row and
Dagster's run storage: sensor wait (request created -> run created), start (run created
-> first step started), work (first step started -> the step that makes the outcome
ended), write-back (that step ended -> the page shows the outcome). With
``--baseline-checkout`` (e.g. ``git worktree add /tmp/base <older commit>``) the same is
measured on that checkout first, in the same run, and ratios are printed. Target: a
model save in p50 <= 10 s and p95 <= 20 s.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"model": (10.0, 20.0)}  # kind -> (p50, p95) seconds
OUTCOME_STEP = {"model": "data_model_tables", "source": "raw_source_tables"}
POLL = 0.1  # the database, for what the page renders
PAGE_POLL = 1.0  # the page itself, without the database (1,000 requests per 15 min allowed)
TIMEOUT = 300.0
EMAIL, PASSWORD = "admin@demo.local", "demo-admin-pass-2026"


# ----------------------------------------------------------------------------- platform
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    """``dra run`` of a checkout on a temporary data folder, stopped with its process group."""

    def __init__(self, checkout: Path) -> None:
        self.checkout = checkout
        self.data_dir = Path(tempfile.mkdtemp(prefix="dra-latency-"))
        self.web_port, self.dagster_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DRA_DATA_DIR": str(self.data_dir),
            "DRA_WEB_PORT": str(self.web_port),
            "DRA_DAGSTER_PORT": str(self.dagster_port),
            "DRA_ENV": "development",
            # every process (web app, code server, runs) imports this checkout's packages,
            # not the ones the virtualenv's editable install points at
            "PYTHONPATH": str(self.checkout),
        }
        env.pop("DRA_DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dra", "run"],
            cwd=self.checkout,
            env=env,
            stdout=(self.data_dir / "run.out").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"dra run exited: see {self.data_dir / 'run.out'}")
            if "Press Ctrl-C" in (self.data_dir / "run.out").read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise SystemExit(f"dra run did not get ready: see {self.data_dir / 'run.out'}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ---------------------------------------------------------------------------------- web
class Web:
    """A signed-in browser without JavaScript: cookies, the CSRF token, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def request(self, method: str, path: str, data=None, headers=None) -> tuple[int, str, str]:
        body, hdrs = None, dict(headers or {})
        if isinstance(data, dict) and hdrs.get("Content-Type") == "application/json":
            body = json.dumps(data).encode()
        elif data is not None:
            body = urllib.parse.urlencode({"csrf_token": self.csrf, **data}).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if method == "POST":
            hdrs["X-CSRFToken"] = self.csrf
        req = urllib.request.Request(self.base + path, data=body, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=60) as resp:
                text = resp.read().decode()
                status, url = resp.status, resp.url
        except urllib.error.HTTPError as exc:
            text, status, url = exc.read().decode(errors="replace"), exc.code, exc.url
        token = re.search(r'name="csrf-token" content="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return status, text, url

    def get(self, path: str) -> str:
        status, text, _ = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        return text

    def sign_in(self) -> None:
        self.get("/auth/login")
        status, text, _ = self.request(
            "POST", "/auth/login", {"email": EMAIL, "password": PASSWORD}
        )
        if status != 200 or "Sign out" not in text and "sign out" not in text.lower():
            raise RuntimeError(f"sign-in failed (HTTP {status})")


def wait_shown(page_shows, what: str, stored=None) -> None:
    """Until the page shows the outcome. With the database at hand, what the page renders
    is polled there (every 0.1 s) and the page asked once it is there; otherwise the page
    every second (the web app's rate limit)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if (stored is None or stored()) and page_shows():
            return
        time.sleep(POLL if stored else PAGE_POLL)
    raise RuntimeError(f"timed out waiting for {what}")


def wait_until(check, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(POLL)
    raise RuntimeError(f"timed out waiting for {what}")


# ------------------------------------------------------------------------------ storage
class Storage:
    """The app database and Dagster's run storage of an embedded server (for the breakdown)."""

    def __init__(self, data_dir: Path) -> None:
        import psycopg

        socket_dir = str(data_dir / "pg")
        self.app = psycopg.connect(host=socket_dir, user="postgres", dbname="dra", autocommit=True)
        self.dagster = psycopg.connect(
            host=socket_dir, user="postgres", dbname="dagster", autocommit=True
        )

    def one(self, conn, query: str, *args):
        return conn.execute(query, args).fetchone()

    def latest_request(self, kind: str, target_id: int | None = None):
        """(id, created_at, status) of the newest request of this kind (and target)."""
        where = "kind = %s" + (" and target_id = %s" if target_id is not None else "")
        args = (kind,) if target_id is None else (kind, target_id)
        return self.one(
            self.app,
            f"select id, created_at, status from app.pipeline_requests where {where}"
            " order by id desc limit 1",
            *args,
        )

    def status(self, table: str, row_id: int) -> str | None:
        row = self.one(self.app, f"select status from app.{table} where id = %s", row_id)
        return row[0] if row else None

    def request_done(self, request_id: int) -> bool:
        row = self.one(self.app, "select status from app.pipeline_requests where id=%s", request_id)
        return row is not None and row[0] in ("succeeded", "failed")

    def demo_ready(self) -> bool:
        """The demo's ingestions and its model's first build are over (built or not)."""
        busy = self.one(
            self.app,
            "select count(*) from app.pipeline_requests where status in ('queued', 'running')",
        )[0]
        built = self.one(
            self.app,
            "select count(*) from app.data_models where status in ('active', 'failed', 'broken')",
        )[0]
        return busy == 0 and built >= 1

    def run_times(self, request_id: int, outcome_step: str | None):
        """(run created, first step started, outcome step ended) as UTC datetimes."""
        run = self.one(
            self.dagster,
            "select r.run_id, r.create_timestamp from runs r join run_tags t"
            " on t.run_id = r.run_id where t.key = 'dagster/run_key' and t.value = %s",
            f"request-{request_id}",
        )
        if run is None:
            return None
        events = self.dagster.execute(
            "select dagster_event_type, step_key, timestamp from event_logs where run_id = %s"
            " and dagster_event_type in ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE')"
            " order by id",
            (run[0],),
        ).fetchall()
        starts = [e[2] for e in events if e[0] == "STEP_START"]
        ends = [
            e[2]
            for e in events
            if e[0] != "STEP_START" and (outcome_step is None or e[1] == outcome_step)
        ]
        if not starts or not ends:
            return None
        utc = [
            t.replace(tzinfo=UTC)
            for t in (run[1], starts[0], ends[-1] if outcome_step is None else ends[0])
        ]
        return tuple(utc)


# ------------------------------------------------------------------------------- sample
@dataclass
class Sample:
    total: float
    sensor_wait: float | None = None
    start: float | None = None
    work: float | None = None
    write_back: float | None = None


@dataclass
class Result:
    kind: str
    samples: list[Sample] = field(default_factory=list)

    def pct(self, attr: str, q: float) -> float | None:
        values = sorted(v for s in self.samples if (v := getattr(s, attr)) is not None)
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def breakdown(storage: Storage | None, kind: str, request_id: int, seen: datetime, total: float):
    sample = Sample(total=total)
    if storage is None:
        return sample
    created = storage.one(
        storage.app, "select created_at from app.pipeline_requests where id = %s", request_id
    )[0]
    # the page may show the outcome before the step's end is in the event log: the step
    # writes it (a model's status) before Dagster records the step's success
    try:
        times = wait_until(
            lambda: storage.run_times(request_id, OUTCOME_STEP.get(kind)),
            f"the events of request {request_id}'s run",
            timeout=30,
        )
    except RuntimeError:  # the run failed before that step (its request says why)
        print(f"  (request {request_id}: its run has no such step; no breakdown)")
        return sample
    run_created, step_started, step_ended = times
    step_ended = min(step_ended, seen)
    sample.sensor_wait = (run_created - created).total_seconds()
    sample.start = (step_started - run_created).total_seconds()
    sample.work = (step_ended - step_started).total_seconds()
    sample.write_back = (seen - step_ended).total_seconds()
    return sample


def now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------ the kinds
def demo_project(web: Web) -> int:
    text = web.get("/projects")
    match = re.search(r'href="/projects/(\d+)"[^>]*>\s*Demo shop', text)
    if not match:
        match = re.search(r"/projects/(\d+)", text)
    return int(match.group(1))


def model_save(web: Web, storage: Storage | None, project_id: int, i: int) -> Sample:
    """Save a new small model; its page says built (badge "active")."""
    sql = (
        f"select status, count(*) as orders_{i}, sum(amount) as revenue from orders group by status"
    )
    base = f"/projects/{project_id}/models"
    t0 = time.monotonic()
    status, text, _ = web.request(
        "POST",
        base,
        {"name": f"Latency {i} {int(time.time())}", "sql": sql},
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if status != 201:
        raise RuntimeError(f"saving a model: HTTP {status} {text[:300]}")
    model_id = json.loads(text)["id"]
    page = f"{base}/{model_id}"

    def built() -> bool:
        h1 = re.search(r"<h1>.*?</h1>", web.get(page), re.S)
        return bool(h1 and 'class="badge ok">active<' in h1.group(0))

    stored = storage and (lambda: storage.status("data_models", model_id) == "active")
    wait_shown(built, f"model {model_id} to be built", stored)
    total, seen = time.monotonic() - t0, now()
    request_id = storage.latest_request("refresh_model", model_id)[0] if storage else None
    sample = breakdown(storage, "model", request_id, seen, total) if storage else Sample(total)
    # untimed: let the run finish (quality checks), then delete the model (tier limit)
    if storage:
        wait_until(lambda: storage.request_done(request_id), "the refresh run to end")
    else:
        wait_shown(
            lambda: (
                "refresh-status" in (t := web.get(page))
                and 'warn">running' not in t
                and 'warn">queued' not in t
            ),
            "the refresh run to end",
        )
    web.request("POST", f"{page}/delete", {})
    return sample


def source_refresh(web: Web, storage: Storage | None, project_id: int, i: int) -> Sample:
    """Refresh the demo's Products source; the sources list's status says done."""
    status_url = f"/projects/{project_id}/sources/status.json"
    sources = json.loads(web.get(status_url))["sources"]
    source = next((s for s in sources if s["name"] == "Products"), sources[0])
    t0 = time.monotonic()
    status, text, _ = web.request(
        "POST",
        f"/projects/{project_id}/sources/{source['id']}/refresh",
        {"back": "list"},
        headers={"Accept": "application/json"},
    )
    if status != 202:
        raise RuntimeError(f"refreshing a source: HTTP {status} {text[:300]}")
    request_id = json.loads(text)["request_id"]

    def done() -> bool:
        rows = json.loads(web.get(status_url))["sources"]
        row = next(s for s in rows if s["id"] == source["id"])
        return not row["busy"] and row["status"] in ("ready", "failed")

    stored = storage and (lambda: storage.request_done(request_id))
    wait_shown(done, f"source {source['id']} to be refreshed", stored)
    total, seen = time.monotonic() - t0, now()
    return breakdown(storage, "source", request_id, seen, total)


def report(web: Web, storage: Storage | None, project_id: int, i: int) -> Sample:
    """Generate an attribution report over the demo's events; its page shows it."""
    t0 = time.monotonic()
    status, text, url = web.request(
        "POST",
        f"/projects/{project_id}/attribution/reports",
        {
            "name": f"Latency {i}",
            "model": "linear",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    )
    match = re.search(r"/attribution/reports/(\d+)", url or "") or re.search(
        r"/attribution/reports/(\d+)", text
    )
    if status not in (200, 302, 303) or not match:
        raise RuntimeError(f"generating a report: HTTP {status} {html.unescape(text)[:300]}")
    report_id = int(match.group(1))
    page = f"/projects/{project_id}/attribution/reports/{report_id}"

    def shown() -> bool:
        text = web.get(page)
        if "status-failed" in text:
            raise RuntimeError(f"report {report_id} failed")
        return "status-succeeded" in text

    stored = storage and (
        lambda: storage.status("attribution_reports", report_id) in ("succeeded", "failed")
    )
    wait_shown(shown, f"report {report_id}", stored)
    total, seen = time.monotonic() - t0, now()
    request_id = storage.latest_request("attribution_report", report_id)[0] if storage else None
    return breakdown(storage, "report", request_id, seen, total) if storage else Sample(total)


KINDS = {"model": model_save, "source": source_refresh, "report": report}


# ---------------------------------------------------------------------------------- run
def measure(url: str, data_dir: Path | None, kinds: list[str], n: int) -> dict[str, Result]:
    storage = Storage(data_dir) if data_dir else None
    if storage:
        wait_until(storage.demo_ready, "the demo's ingestions and model build", timeout=600)
    web = Web(url)
    web.sign_in()
    project_id = demo_project(web)
    results = {}
    for kind in kinds:
        result = results[kind] = Result(kind)
        for i in range(n):
            sample = KINDS[kind](web, storage, project_id, i)
            result.samples.append(sample)
            print(
                f"  {kind:<6} #{i + 1:<2} {sample.total:6.2f} s"
                + (
                    f"  (sensor {sample.sensor_wait:.2f}, start {sample.start:.2f},"
                    f" work {sample.work:.2f}, write-back {sample.write_back:.2f})"
                    if sample.sensor_wait is not None
                    else ""
                ),
                flush=True,
            )
    return results


def run_on(checkout: Path, kinds: list[str], n: int, label: str) -> dict[str, Result]:
    platform = Platform(checkout)
    print(f"{label}: starting dra run of {checkout} in {platform.data_dir}", flush=True)
    try:
        platform.start()
        return measure(platform.url, platform.data_dir, kinds, n)
    finally:
        platform.stop()


def fmt(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.2f}"


def report_table(label: str, results: dict[str, Result]) -> None:
    print(f"\n{label} (seconds; breakdown medians)")
    print("kind      p50    p95    sensor  start   work  write-back")
    for kind, r in results.items():
        print(
            f"{kind:<7} {fmt(r.pct('total', 50))}  {fmt(r.pct('total', 95))}"
            f"   {fmt(r.pct('sensor_wait', 50))}  {fmt(r.pct('start', 50))}"
            f"  {fmt(r.pct('work', 50))}  {fmt(r.pct('write_back', 50))}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--kinds", default="model,source,report")
    parser.add_argument("--url", help="a running platform's web app (default: start one)")
    parser.add_argument("--data-dir", type=Path, help="that platform's data folder (breakdown)")
    parser.add_argument("--baseline-checkout", type=Path, help="measure this checkout first")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; choose from {sorted(KINDS)}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    baseline = None
    if args.baseline_checkout:
        baseline = run_on(args.baseline_checkout.resolve(), kinds, args.requests, "baseline")
    if args.url:
        current = measure(args.url.rstrip("/"), args.data_dir, kinds, args.requests)
    else:
        current = run_on(ROOT, kinds, args.requests, "this checkout")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if baseline:
        report_table(f"baseline ({args.baseline_checkout})", baseline)
    report_table("this checkout", current)
    ok = True
    for kind, r in current.items():
        if baseline and kind in baseline:
            b = baseline[kind]
            print(
                f"{kind}: p50 {r.pct('total', 50) / b.pct('total', 50):.2f}x and "
                f"p95 {r.pct('total', 95) / b.pct('total', 95):.2f}x the baseline's"
            )
        if kind in TARGETS:
            p50, p95 = TARGETS[kind]
            met = r.pct("total", 50) <= p50 and r.pct("total", 95) <= p95
            ok = ok and met
            print(
                f"{kind}: target p50 <= {p50:.0f} s and p95 <= {p95:.0f} s: "
                + ("met" if met else "NOT met")
            )
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
