"""The ``dra`` command: run the platform, run the tests, manage the database."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from dra.settings import PROJECT_ROOT, SettingsError, load_settings

log = logging.getLogger("dra")


def _fail(message: str) -> int:
    print(f"dra: {message}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- run
def _wait_http(url: str, timeout: float, procs: list[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status < 500:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _stop_children(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cmd_run(args: argparse.Namespace) -> int:
    """Start PostgreSQL (embedded unless DRA_DATABASE_URL), migrate, load demo, start apps."""
    from dra import runtime
    from dra.demo.load import load_demo
    from dra.migrate import upgrade

    settings = load_settings()
    lock = runtime.RunLock(settings.data_dir)
    lock.acquire()
    db = None
    procs: list[subprocess.Popen] = []
    try:
        runtime.ensure_port_free(settings.web_host, settings.web_port, "DRA_WEB_PORT")
        if not args.no_dagster:
            runtime.ensure_port_free(settings.web_host, settings.dagster_port, "DRA_DAGSTER_PORT")
        started = time.monotonic()
        db = runtime.open_database(settings)
        print(f"dra: database ready ({'embedded' if db.server else 'DRA_DATABASE_URL'})")
        upgrade(db.app_url)
        print("dra: migrations applied")
        summary = load_demo(db.app_url, settings)
        print(f"dra: demo project ready ({summary})")
        runtime.write_dagster_home(settings.dagster_home)
        env = runtime.child_environment(settings, db)
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        web_log = (logs / "web.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "webapp.serve"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=web_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        if not args.no_dagster:
            dagster_log = (logs / "dagster.log").open("ab")
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "dagster",
                        "dev",
                        "-w",
                        "workspace.yaml",
                        "-h",
                        settings.web_host,
                        "-p",
                        str(settings.dagster_port),
                    ],
                    env=env,
                    cwd=PROJECT_ROOT,
                    stdout=dagster_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        web_url = f"http://{settings.web_host}:{settings.web_port}"
        dagster_url = f"http://{settings.web_host}:{settings.dagster_port}"
        if not _wait_http(f"{web_url}/healthz", 60, procs):
            print(f"dra: the web app did not start; see {logs / 'web.log'}", file=sys.stderr)
            return 1
        if not args.no_dagster and not _wait_http(f"{dagster_url}/server_info", 180, procs):
            print(f"dra: Dagster did not start; see {logs / 'dagster.log'}", file=sys.stderr)
            return 1
        print(
            f"\nDRA platform is running (ready in {time.monotonic() - started:.0f}s)\n"
            f"  Web app    {web_url}\n"
            + ("" if args.no_dagster else f"  Dagster UI {dagster_url}\n")
            + f"  Sign in as {settings.demo_admin_email} / {settings.demo_admin_password}\n"
            f"  Logs in    {logs}\n"
            "Press Ctrl-C to stop everything.",
            flush=True,
        )
        if args.exit_when_ready:
            return 0
        stop = {"now": False}

        def _on_signal(_sig, _frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
        while not stop["now"]:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                print(
                    f"dra: a process exited (code {dead[0].returncode}); stopping; see {logs}",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.5)
        print("\ndra: stopping …")
        return 0
    finally:
        _stop_children(procs)
        if db is not None:
            db.stop()
        lock.release()


# -------------------------------------------------------------------------- test
def cmd_test(args: argparse.Namespace) -> int:
    """Every test: pytest (unit, integration, browser) then behave for features/."""
    env = dict(os.environ, DRA_ENV="test", DO_NOT_TRACK="1", SODA_CORE_TELEMETRY_ENABLED="false")
    py = [sys.executable, "-m", "pytest", *args.pytest_args]
    print("dra: running", " ".join(py[2:]), flush=True)
    code = subprocess.call(py, cwd=PROJECT_ROOT, env=env)
    if code == 5:
        print("dra: pytest collected no tests; that counts as a failure", file=sys.stderr)
        code = 1
    if code != 0 and not args.keep_going:
        return code
    if (PROJECT_ROOT / "features").is_dir() and any((PROJECT_ROOT / "features").glob("*.feature")):
        bcode = subprocess.call(
            [sys.executable, "-m", "behave", "--format", "progress", "features"],
            cwd=PROJECT_ROOT,
            env=env,
        )
        code = code or bcode
    return code


# ---------------------------------------------------------------------------- db
def cmd_db(args: argparse.Namespace) -> int:
    from dra import runtime

    with runtime.platform_database(load_settings()) as db:
        return _db_command(args, db.app_url)


def _db_command(args: argparse.Namespace, url: str) -> int:
    from dra import migrate

    if args.db_command == "upgrade":
        from dra.operations.migrations import apply_migrations

        result = apply_migrations(url, args.revision)
        print(result.message)
        return 0 if result.ok else 1
    if args.db_command == "downgrade":
        migrate.downgrade(url, args.revision)
        print(f"downgraded to {args.revision}")
        return 0
    if args.db_command == "current":
        st = migrate.status(url)
        print(f"current: {st.current or '(empty)'}\nhead:    {st.head}")
        for rev in st.pending:
            print(f"pending: {rev}")
        return 0
    if args.db_command == "docs":
        from dra.operations.schema_docs import write_schema_docs

        path = write_schema_docs(url, Path(args.output))
        print(f"wrote {path}")
        return 0
    return 2


def cmd_demo(args: argparse.Namespace) -> int:
    from dra import runtime
    from dra.demo.load import load_demo
    from dra.migrate import upgrade

    settings = load_settings()
    with runtime.platform_database(settings) as db:
        upgrade(db.app_url)
        print(load_demo(db.app_url, settings))
        return 0


# ------------------------------------------------------------------ dbt and dagster
TOOLS = ("dbt", "dagster")


def cmd_tool(tool: str, tool_args: list[str]) -> int:
    """``dra dbt ...`` / ``dra dagster ...``: the tool, its arguments untouched, with the
    environment ``dra run`` gives its own children (database, Dagster instance and storage,
    ``DRA_DBT_*``, telemetry off). dbt runs in dbt_project/, Dagster in the project folder
    (workspace.yaml)."""
    from dra import runtime
    from dra.attribution.dbt_env import DBT_PROJECT_DIR, dbt_executable

    settings = load_settings()
    with runtime.platform_database(settings) as db:
        env = runtime.child_environment(settings, db)
        if tool == "dbt":
            env.setdefault("DBT_PROFILES_DIR", str(DBT_PROJECT_DIR))
            command, cwd = [dbt_executable(), *tool_args], DBT_PROJECT_DIR
        else:
            runtime.write_dagster_home(settings.dagster_home)
            command, cwd = [sys.executable, "-m", "dagster", *tool_args], PROJECT_ROOT
        proc = subprocess.Popen(command, cwd=cwd, env=env)
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # Ctrl-C reached the tool too: let it decide and end
                continue


def cmd_api(args: argparse.Namespace) -> int:
    """``dra api docs [--output FILE]``: the REST API's OpenAPI document (stdout or FILE)."""
    from webapp.api import write_document

    text = write_document(args.output)
    if args.output:
        print(f"dra: OpenAPI document written to {args.output}")
    else:
        print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dra", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start database, web app and Dagster")
    run.add_argument("--no-dagster", action="store_true", help="start only the web app")
    run.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)
    test = sub.add_parser("test", help="run every test (pytest, then behave)")
    test.add_argument("--keep-going", action="store_true", help="run behave even if pytest fails")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    test.set_defaults(func=cmd_test)
    db = sub.add_parser("db", help="migrations and schema documentation")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply pending migrations")
    up.add_argument("revision", nargs="?", default="head")
    down = dbsub.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision", nargs="?", default="-1")
    dbsub.add_parser("current", help="show current, head and pending revisions")
    docs = dbsub.add_parser("docs", help="write schema documentation from the live catalog")
    docs.add_argument("--output", default="docs/schema.md")
    db.set_defaults(func=cmd_db)
    api = sub.add_parser("api", help="the REST API's OpenAPI document")
    apisub = api.add_subparsers(dest="api_command", required=True)
    api_docs = apisub.add_parser("docs", help="write the OpenAPI 3.1 document (JSON)")
    api_docs.add_argument("--output", help="a file (default: standard output)")
    api.set_defaults(func=cmd_api)
    demo = sub.add_parser("demo", help="load (or refresh) the demo project")
    demo.set_defaults(func=cmd_demo)
    for tool in TOOLS:  # listed for --help; main() passes their arguments through untouched
        sub.add_parser(
            tool,
            add_help=False,
            help=f"run the {tool} CLI against this platform (e.g. 'dra {tool} "
            + ("build" if tool == "dbt" else "job launch -j daily_ingest")
            + "')",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps its lock file there
        runtime_dir = Path(tempfile.gettempdir()) / f"dra-runtime-{os.getuid()}"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = None if argv and argv[0] in TOOLS else parser.parse_args(argv)
    from dra.db import DatabaseConfigError
    from dra.runtime import StartupError

    try:
        if args is None:
            return cmd_tool(argv[0], argv[1:])
        return args.func(args)
    except (SettingsError, StartupError, DatabaseConfigError) as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
