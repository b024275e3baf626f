"""Execution accuracy against the real database: both queries run as the AI's SQL runs."""

from __future__ import annotations

import pytest

from dra.ai.evaluation import evaluate, run_for_evaluation
from dra.modeling.errors import ModelingError
from tests.support.factories import project_with_roles
from tests.support.modeling import seed_shop

GOLD = (
    "select c.country, sum(o.amount) as revenue from orders o "
    "join customers c on c.id = o.customer_id group by c.country"
)


@pytest.fixture
def project_id(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    seed_shop(database, roles.outsider_project_id, orders=3)
    return roles.project_id


def test_an_equivalent_query_matches_whatever_its_shape(database, project_id):
    other = (
        "select sum(amount)::float8 as total, country from customers, orders "
        "where customers.id = orders.customer_id group by country order by total"
    )
    verdict = evaluate(database, project_id, GOLD, other)
    assert verdict.match and verdict.column_map == (1, 0)


def test_a_different_result_is_a_mismatch_saying_why(database, project_id):
    later = GOLD.replace("group by", "where o.id > 1 group by")  # one order fewer
    assert evaluate(database, project_id, GOLD, later).reason.startswith("no column holds")
    assert evaluate(database, project_id, GOLD, "select 'FR', 1").reason == ("1 row(s), expected 3")
    verdict = evaluate(database, project_id, GOLD, "")
    assert not verdict.match and verdict.reason == "no SQL was proposed"


def test_a_refused_or_failing_query_is_a_mismatch_with_the_message(database, project_id):
    verdict = evaluate(database, project_id, GOLD, GOLD.replace("o.amount", "o.total"))
    assert not verdict.match and "total" in verdict.reason
    verdict = evaluate(database, project_id, GOLD, "select email from app.users")
    assert not verdict.match and verdict.reason  # the same check as the AI's SQL: refused


def test_results_are_read_as_the_project_and_cut_at_the_limit(database, project_id):
    result = run_for_evaluation(database, project_id, "select id from orders", max_rows=10)
    assert result.truncated and len(result.rows) == 10 and result.columns == ["id"]
    assert len(run_for_evaluation(database, project_id, "select id from orders").rows) == 30
    with pytest.raises(ValueError, match="more than 10 rows"):
        evaluate(database, project_id, "select id from orders", "select 1", max_rows=10)
    with pytest.raises(ModelingError):
        evaluate(database, project_id, "select nothing from orders", "select 1")
