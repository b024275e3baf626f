"""The shop with an AI provider, as the AI tests set it up (fixtures registered for every
test by ``pytest_plugins`` in tests/conftest.py).

- ``gemini``: a fake Gemini server (``tests/support/fake_gemini.py``) that the real
  google-genai client talks to through its base URL, scripted per test;
- ``shop``: a project with a member per role (``project_with_roles``: ``owner``,
  ``editor``, ``viewer``, ``outsider``... as attributes) and the demo shop's orders and
  customers ingested in it (``shop``: their ids; ``orders``, ``customers``, ``both``: the
  sources), and a smaller shop in the outsider's project (``other``);
- ``ai_app``: the web app with that provider; ``make_ai_app`` for other settings.
  A module may extend ``shop`` with a fixture of the same name that asks for ``shop``
  (pytest hands it this one);
- ``provider_env(gemini)``: the settings that point the platform at the fake (the
  browser tests' live server takes them);
- ``REVENUE_SQL`` and ``revenue_proposal(...)``: the answer most tests script.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.factories import project_with_roles
from tests.support.fake_gemini import FakeGemini
from tests.support.modeling import seed_shop

REVENUE_SQL = (
    "select c.country, sum(o.amount) as revenue from orders o "
    "join customers c on c.id = o.customer_id where o.status = 'paid' "
    "group by c.country order by c.country"
)


def revenue_proposal(
    sql: str = REVENUE_SQL,
    *,
    analysis: str = "orders.customer_id references customers.id.",
    tables: list[str] | None = None,
    unresolved: list[str] | None = None,
) -> dict[str, Any]:
    """The model's answer: paid revenue per customer country, over orders and customers."""
    return {
        "analysis": analysis,
        "model": {
            "name": "Revenue by country",
            "description": "Paid revenue per customer country.",
            "tables": tables if tables is not None else ["orders", "customers"],
            "joins": [
                {
                    "left_table": "orders",
                    "left_column": "customer_id",
                    "right_table": "customers",
                    "right_column": "id",
                    "type": "INNER",
                }
            ],
            "columns": ["customers.country", "sum(orders.amount) as revenue"],
            "filters": ["orders.status = 'paid'"],
            "grouping": ["customers.country"],
        },
        "sql": sql,
        "unresolved": unresolved or [],
    }


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini(model="gemini-2.0-flash") as fake:
        yield fake


def provider_env(gemini: FakeGemini, timeout_seconds: int = 5) -> dict[str, str]:
    """Settings of a platform whose AI provider is the fake (no retries)."""
    return {
        "DRA_GEMINI_API_KEY": "test-key",
        "DRA_GEMINI_BASE_URL": gemini.url,
        "DRA_AI_MAX_RETRIES": "0",
        "DRA_AI_TIMEOUT_SECONDS": str(timeout_seconds),
    }


def make_ai_app(database, tmp_path, gemini: FakeGemini | None = None, **config):
    """The web app on the test database (CSRF and rate limits off unless ``config`` says
    otherwise), with the fake as its provider when ``gemini`` is given, else none."""
    from dra.settings import load_settings
    from webapp import create_app

    env = {
        "DRA_ENV": "test",
        "DRA_DATA_DIR": str(tmp_path / "data"),
        "DRA_DATABASE_URL": database.url,
        "DRA_PUBLIC_BASE_URL": "http://localhost",
        "DRA_AI_MAX_RETRIES": "0",
        "DRA_AI_TIMEOUT_SECONDS": "5",
    }
    if gemini is not None:
        env |= provider_env(gemini)
    base = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
    }
    return create_app(load_settings(env), config=base | config)


@pytest.fixture
def ai_app(database, tmp_path, gemini):
    app = make_ai_app(database, tmp_path, gemini)
    yield app
    app.extensions["dra_database"].dispose()


@pytest.fixture
def shop(database) -> SimpleNamespace:
    with database.system_session() as s:
        roles = project_with_roles(s)
    seeded = seed_shop(database, roles.project_id)
    other = seed_shop(database, roles.outsider_project_id, orders=3)
    return SimpleNamespace(
        **{f.name: getattr(roles, f.name) for f in fields(roles)},
        shop=seeded,
        other=other,
        orders=seeded.orders_source,
        customers=seeded.customers_source,
        both=[seeded.orders_source, seeded.customers_source],
    )
