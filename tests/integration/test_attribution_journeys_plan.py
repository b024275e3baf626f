"""The journeys query (dra.attribution.journeys) reads a project's events in the order
of the visitor index (migration 0010): PostgreSQL sorts none of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from dra.attribution.journeys import JOURNEYS_SQL
from tests.support.factories import create_project, create_user

LO, HI = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)

# 20,000 events of 2,000 visitors over three months (three partitions), 2% conversions
EVENTS = """
INSERT INTO app.attribution_events (project_id, user_identifier, event_type, channel,
                                    value, occurred_at)
SELECT :p, 'visitor-' || (g % 2000),
       CASE WHEN g % 50 = 0 THEN 'purchase' ELSE 'page_view' END,
       (ARRAY['paid', 'email', 'organic', NULL])[1 + g % 4],
       CASE WHEN g % 50 = 0 THEN 10 END,
       timestamptz '2026-08-01' + make_interval(secs => (g * 7919) % (90 * 86400))
FROM generate_series(1, 20000) g
"""


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


def test_journeys_read_the_visitor_index_in_order_and_sort_nothing(database):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        for month in ("2026-08-01", "2026-09-01", "2026-10-01"):
            s.execute(
                text("SELECT app.ensure_attribution_partition(CAST(:m AS timestamptz))"),
                {"m": month},
            )
        s.execute(text(EVENTS), {"p": project_id})
        s.execute(text("ANALYZE app.attribution_events"))
        # a plan that needs a sort keeps it however expensive sorting is made
        s.execute(text("SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off"))
        raw = s.execute(
            text("EXPLAIN (FORMAT JSON) " + JOURNEYS_SQL),
            {"project": project_id, "lo": LO, "hi": HI, "days": 30, "types": ["purchase"]},
        ).scalar_one()
    nodes = _nodes((raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"])
    sorts = [n for n in nodes if n["Node Type"] in {"Sort", "Incremental Sort"}]
    # the one sort is the last step's, of the grouped sequences (thousands of rows)
    assert [id(n) for n in sorts] == [id(nodes[0])], sorts
    assert not any("occurred_at" in key for n in sorts for key in n["Sort Key"]), sorts
    scans = {n.get("Index Name", "") for n in nodes if n["Node Type"] == "Index Only Scan"}
    assert scans and all("user_identifier" in name for name in scans), scans
