"""Cleaning rules from the editor's form fields, and how they read in the list."""

from __future__ import annotations

import pytest

from dra.quality.reports import QualityError
from dra.quality.service import describe_rule, rule_from_form


def test_each_rule_type_keeps_only_its_fields():
    assert rule_from_form(
        {
            "type": "fill_nulls",
            "column": "amount",
            "strategy": "constant",
            "value": "0",
            "case": "lower",
        }
    ) == {"type": "fill_nulls", "column": "amount", "strategy": "constant", "value": "0"}
    assert rule_from_form(
        {"type": "remove_duplicates", "columns": " id, email ,", "column": "x"}
    ) == {"type": "remove_duplicates", "columns": ["id", "email"]}
    assert rule_from_form({"type": "normalize_text", "column": "s", "case": "title"}) == {
        "type": "normalize_text",
        "column": "s",
        "case": "title",
        "trim": True,
    }
    assert rule_from_form({"type": "standardize_dates", "column": "d", "day_first": "on"}) == {
        "type": "standardize_dates",
        "column": "d",
        "day_first": True,
    }
    assert rule_from_form({"type": "drop_outliers", "column": "n", "factor": "3"}) == {
        "type": "drop_outliers",
        "column": "n",
        "factor": 3.0,
    }
    assert rule_from_form({"type": "cast", "column": "n", "to": "date"}) == {
        "type": "cast",
        "column": "n",
        "to": "date",
    }


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Rule type: choose one of the listed rules."),
        ({"type": "explode"}, "Rule type: choose one of the listed rules."),
        (
            {"type": "drop_outliers", "column": "n", "factor": "lots"},
            "Factor: enter a number such as 1.5.",
        ),
    ],
)
def test_bad_forms_name_the_field(form, message):
    with pytest.raises(QualityError) as err:
        rule_from_form(form)
    assert err.value.message == message and err.value.status == 400


def test_descriptions():
    assert (
        describe_rule({"type": "fill_nulls", "column": "a", "strategy": "constant", "value": "n/a"})
        == "Fill missing a with the constant 'n/a'"
    )
    assert describe_rule({"type": "remove_duplicates"}) == "Remove duplicate rows on all columns"
    assert (
        describe_rule({"type": "normalize_text", "column": "s", "case": "upper"})
        == "Trim s, upper case"
    )
    assert describe_rule({"type": "cast", "column": "q", "to": "integer"}) == "Cast q to integer"
