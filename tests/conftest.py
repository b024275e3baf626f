"""Test harness: one real PostgreSQL per session, a clean app schema per test.

Fixtures
- ``pg_cluster``: the server (embedded pgserver, or DRA_TEST_DATABASE_URL).
- ``empty_database_url``: a new empty database (dropped afterwards).
- ``database_url`` / ``database``: the migrated test database, emptied after each test
  (seeded reference rows such as subscription tiers are restored).
- ``settings``, ``app``, ``client``: the web app against that database.
- ``make_user``, ``login``: users and signed-in clients; ``platform_admin`` and
  ``admin_client`` (signed in as that admin); ``project_with_roles`` in
  tests/support/factories.py builds a project with a member per role.
- ``materialize``: run Dagster assets against the test database.
- ``gemini``, ``shop``, ``ai_app``: the shop with an AI provider (tests/support/ai.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver keeps a lock file there; must be 0700
    _runtime = Path(f"/tmp/dra-runtime-{os.getuid()}")
    _runtime.mkdir(mode=0o700, exist_ok=True)
    _runtime.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

from tests.support.pg import reset_database, snapshot_reference_data, start_cluster  # noqa: E402

pytest_plugins = ["tests.support.ai"]  # gemini, shop, ai_app: the shop with an AI provider

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def pg_cluster():
    # Not under pytest's basetemp: pytest prunes old basetemps, and a second pytest run on
    # the same machine would delete the data folder of a server this run still uses.
    folder = Path(tempfile.mkdtemp(prefix="dra-test-pg-"))
    cluster = start_cluster(folder, os.environ.get("DRA_TEST_DATABASE_URL"))
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def empty_database_url(pg_cluster):
    url = pg_cluster.create_database()
    yield url
    pg_cluster.drop_database(url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture(scope="session")
def database_url(pg_cluster):
    """The migrated database all app tests share (reset after each test that uses it)."""
    from dra.migrate import upgrade

    url = pg_cluster.create_database(f"dra_test_{os.getpid()}")
    upgrade(url)
    snapshot_reference_data(url)
    return url


@pytest.fixture
def database(database_url):
    from dra.db import Database

    db = Database(database_url)
    yield db
    db.dispose()
    reset_database(database_url)


@pytest.fixture
def settings(database, tmp_path):
    from dra.settings import load_settings

    env = {
        "DRA_ENV": "test",
        "DRA_DATA_DIR": str(tmp_path / "data"),
        "DRA_DATABASE_URL": database.url,
        "DRA_PUBLIC_BASE_URL": "http://localhost",
    }
    return load_settings(env)


@pytest.fixture
def app(settings):
    from webapp import create_app

    app = create_app(
        settings,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        },
    )
    yield app
    app.extensions["dra_database"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(database):
    """Create a verified user: make_user(email=..., password=..., platform_admin=False)."""
    from tests.support.factories import create_user

    def _make(**kwargs):
        with database.system_session() as session:
            return create_user(session, **kwargs)

    return _make


@pytest.fixture
def platform_admin(make_user):
    """A verified platform admin (root@example.com)."""
    return make_user(email="root@example.com", platform_admin=True)


@pytest.fixture
def admin_client(login, platform_admin):
    """A test client signed in as ``platform_admin`` (a module may define its own)."""
    return login(platform_admin)


@pytest.fixture
def login(app):
    """login(user) -> a test client signed in as that user (password 'correct-horse-9')."""
    from tests.support.factories import DEFAULT_PASSWORD

    def _login(user, password: str = DEFAULT_PASSWORD):
        c = app.test_client()
        resp = c.post("/auth/login", data={"email": user.email, "password": password})
        assert resp.status_code == 302, f"sign-in failed for {user.email}: {resp.status_code}"
        return c

    return _login


@pytest.fixture
def materialize(database, settings):
    """materialize(assets, partition_key=None) against the test database; returns the result."""
    import dagster as dg

    from orchestration.resources import PlatformResource

    instance = dg.DagsterInstance.ephemeral()

    def _materialize(
        assets,
        partition_key: str | None = None,
        dynamic_partitions=None,
        raise_on_error: bool = True,
        tags=None,
    ):
        for name, keys in (dynamic_partitions or {}).items():
            instance.add_dynamic_partitions(name, [str(k) for k in keys])
        return dg.materialize(
            assets,
            partition_key=partition_key,
            instance=instance,
            resources={
                "platform": PlatformResource(
                    database_url=database.url, data_dir=str(settings.data_dir)
                )
            },
            raise_on_error=raise_on_error,
            tags=tags,
        )

    _materialize.instance = instance
    return _materialize


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
