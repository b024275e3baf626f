"""CSV exports: text a spreadsheet would run as a formula is written as plain text (OWASP)."""

from __future__ import annotations

import csv
import io

import pytest

from dra.security.csv_export import neutralise_cell, write_csv

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "=1+1",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tcmd",
    "\rcmd",
    "\ncmd",
    " =1+1",
    "  @SUM(1)",
    "＝1+1",
    "-",
    "=",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_gets_a_leading_quote(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [-5, -2.5, 0, 3, "plain", "", "a=b", "mail@example.com", "2026-01-01", "-5", "+3.25", "-1e3"],
)
def test_numbers_and_harmless_text_stay_as_they_are(value):
    assert neutralise_cell(value) == value


def test_none_is_an_empty_cell():
    assert neutralise_cell(None) == ""


def test_write_csv_neutralises_every_text_cell_headers_included():
    text = write_csv(["=name", "amount"], [["=cmd|' /C calc'!A0", -5], ["ok", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=name", "amount"], ["'=cmd|' /C calc'!A0", "-5"], ["ok", ""]]
