"""Bounded JSON: size and nesting are checked before the parser sees the text."""

from __future__ import annotations

import pytest

from dra.security.json_input import (
    JSONInputError,
    check_json_text,
    loads_bounded,
    nesting_depth,
)


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def test_nesting_within_the_bound_parses():
    assert loads_bounded(nested(8), field="filters", max_depth=8) == eval(nested(8))  # noqa: S307
    assert loads_bounded('{"a": {"b": [1, {"c": 2}]}}', field="filters", max_depth=4) == {
        "a": {"b": [1, {"c": 2}]}
    }


@pytest.mark.parametrize("depth", [9, 50, 5_000])
def test_deeper_nesting_is_refused_naming_the_field(depth):
    with pytest.raises(JSONInputError) as caught:
        loads_bounded(nested(depth), field="filters", max_depth=8)
    assert caught.value.field == "filters" and caught.value.status == 400
    assert "filters" in caught.value.message and "8 levels" in caught.value.message


def test_mixed_objects_and_arrays_count_together():
    text = '{"a":' * 5 + "[" * 5 + "1" + "]" * 5 + "}" * 5
    with pytest.raises(JSONInputError):
        check_json_text(text, field="body", max_depth=9, max_bytes=1000)
    check_json_text(text, field="body", max_depth=10, max_bytes=1000)


def test_brackets_inside_strings_do_not_count():
    text = '{"note": "[[[[[[[[[[{{{{{{{{ \\" [[[[[[["}'
    assert loads_bounded(text, field="filters", max_depth=2)["note"].startswith("[[[[")


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (r'{"a": "x\\"}', 1),
        (r'{"a": "x\"]]]]", "b": [[1]]}', 3),
        (r'["\\\"[[[", {"c": "\\"}]', 2),
        ('[[], [[]], {"a": {"b": []}}]', 4),
        ("[" * 40, 40),
        ("[}" * 10, 1),
        ("]]]]", 0),
    ],
)
def test_nesting_depth_reads_strings_and_escapes_like_a_parser(text, depth):
    assert nesting_depth(text) == depth


def test_bytes_are_checked_too():
    with pytest.raises(JSONInputError):
        check_json_text(nested(40).encode(), field="body", max_depth=32, max_bytes=1000)
    check_json_text(b'{"a": "[[[[[["}', field="body", max_depth=1, max_bytes=1000)


def test_size_is_bounded_before_parsing():
    with pytest.raises(JSONInputError) as caught:
        loads_bounded('"' + "x" * 20_000 + '"', field="filters", max_bytes=16 * 1024)
    assert caught.value.field == "filters" and "16 KB" in caught.value.message


def test_text_that_is_not_json_is_a_clear_error():
    with pytest.raises(JSONInputError) as caught:
        loads_bounded("{nope", field="filters")
    assert caught.value.message == "filters must be JSON."
