"""The number check of insights: every number, date and time an insight states must be
one of the facts it cites, rounded to the precision written."""

from __future__ import annotations

import pytest

from dra.insights.facts import Fact
from dra.insights.numbers import problems

CHANGE = Fact(
    id="change:amount:month",
    kind="change",
    sentence="",
    numbers={
        "measure": "amount",
        "period": "2026-11-01",
        "previous_period": "2026-10-01",
        "value": 1234.5,
        "previous": 1010,
        "change": -224.5,
        "change_pct": 12.3456,
    },
    sql="",
)
ANOMALY = Fact(
    id="anomaly:amount:2026-11-03",
    kind="anomaly",
    sentence="",
    numbers={"value": 2480, "median": 816, "z": 24.37, "threshold": 3.5},
    sql="",
)
CONCENTRATION = Fact(
    id="concentration:country",
    kind="concentration",
    sentence="",
    numbers={"top1_pct": 45.26, "top3_pct": 80.1, "distinct_values": 7},
    sql="",
)
QUALITY = Fact(
    id="quality",
    kind="quality",
    sentence="",
    numbers={
        "score": 42,
        "report_at": "2026-12-01T10:02:03+00:00",
        "worst_issues": [{"column": "email", "pct": 62.5, "message": "3 rows in the future"}],
    },
    sql="",
)


@pytest.mark.parametrize(
    "text",
    [
        "Amount rose 12.3% to 1,234.5 in November 2026.",  # 12.3 matches 12.3456
        "Amount rose 12% (1,235).",  # 1,235 is 1,234.5 rounded (half up or even)
        "It fell by 224.5 from 1,010.",  # the sign of -224.5 is words here
        "A change of -224.5, or -12.35%.",
        "$1,234.5 this month against $1,010 before.",
        "About 1.2k in 2026-11, up from 1.01k.",
        "Between 2026-10-01 and 2026-11-01 the total moved by 224.5.",
        "The total was 1234.50 on Nov 1, 2026, against 1010 on 1 October 2026.",
        "Compared with Oct 1 it changed 12.35 percent.",
        "In 2026 the amount reached 1,234.5.",
    ],
)
def test_numbers_found_in_the_cited_fact_pass(text):
    assert problems(text, [CHANGE]) == []


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("Amount rose 37% in November 2026.", "37% is in none of the cited facts"),
        ("Amount rose 12.4%.", "12.4% is in none"),  # 12.3456 is 12.3 at one decimal
        ("Amount reached 1,240.", "1,240 is in none"),
        ("About 1.3k this month.", "1.3k is in none"),
        ("Amount peaked on 2026-11-03.", "the date 2026-11-03 is in none"),
        ("Amount peaked in December 2026.", "the month December 2026 is in none"),
        ("Since Dec 3 the amount fell.", "the date Dec 3 is in none"),
        ("In 2025 the amount fell.", "2025 is in none"),
        ("At 10:02 the amount fell.", "the time 10:02 is in none"),
        ("The top 5 countries hold most.", "top 5: no cited fact"),
    ],
)
def test_a_number_no_cited_fact_holds_is_named(text, complaint):
    found = problems(text, [CHANGE])
    assert found and any(complaint in p for p in found), found


def test_dates_in_fact_ids_and_timestamps_count():
    assert problems("Amount spiked to 2,480 on 2026-11-03 (z 24.37, over 3.5).", [ANOMALY]) == []
    assert problems("Amount spiked to 2.5k on November 3, 2026.", [ANOMALY]) == []
    assert problems("Report of 2026-12-01 at 10:02: score 42/100.", [QUALITY]) == []


def test_nested_numbers_and_their_text_count():
    text = "62.5% of email is missing and 3 rows are in the future; the score is 42 out of 100."
    assert problems(text, [QUALITY]) == ["100 is in none of the cited facts"]
    text = "62.5% of email is missing; 3 rows in the future; score 42/100."
    assert problems(text, [QUALITY]) == []


def test_top_n_needs_a_cited_top_n_share_and_small_ordinals_are_positions():
    text = "The top 3 of 7 countries hold 80.1%; the 1st alone 45.3%; the top 1 45%."
    assert problems(text, [CONCENTRATION]) == []
    assert problems("The top 3 hold 80.1%.", [CHANGE]) != []
    assert problems("It ranks 25th.", [CONCENTRATION]) == ["25th is in none of the cited facts"]


def test_digits_inside_names_are_not_numbers():
    assert problems("Column q3_sales and the R² of the fit; a z-score.", [CHANGE]) == []


def test_only_the_cited_facts_count():
    assert problems("Amount spiked to 2,480.", [CHANGE]) == ["2,480 is in none of the cited facts"]
