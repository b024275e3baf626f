"""Slugs: made from titles, checked when typed, unique."""

from __future__ import annotations

import pytest

from dra.content.slugs import SLUG_MAX, check_slug, choose_slug, slugify
from dra.errors import Conflict, Invalid


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Café & Crème brûlée  ", "cafe-creme-brulee"),
        ("Q3 2026: revenue +12%", "q3-2026-revenue-12"),
        ("--already--a-slug--", "already-a-slug"),
        ("Ünïcödé ÆØÅ straße", "unicode-a-strae"),
        ("日本語のタイトル", ""),
        ("", ""),
        ("a" * 130, "a" * SLUG_MAX),
        ("word " * 40, ("word-" * 24).rstrip("-")),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


@pytest.mark.parametrize("slug", ["a", "my-first-article", "2026-q3", "x" * SLUG_MAX])
def test_valid_slugs(slug):
    assert check_slug(f"  {slug} ") == slug


@pytest.mark.parametrize(
    "slug",
    ["", "  ", "My-Article", "two--dashes", "-lead", "trail-", "with space", "a/b", "../etc",
     "caf\u00e9", "x" * (SLUG_MAX + 1), None, 12],
)  # fmt: skip
def test_invalid_slugs_name_the_field(slug):
    with pytest.raises(Invalid) as refused:
        check_slug(slug)
    assert refused.value.field == "slug" and refused.value.status == 422


def test_a_typed_slug_that_is_taken_is_a_conflict():
    taken = {"hello-world"}.__contains__
    with pytest.raises(Conflict, match="Slug already in use.") as refused:
        choose_slug("hello-world", "Anything", taken)
    assert refused.value.status == 409 and refused.value.field == "slug"
    assert choose_slug("hello-again", "Anything", taken) == "hello-again"


def test_a_made_slug_takes_the_next_free_suffix():
    taken = {"hello-world", "hello-world-2"}.__contains__
    assert choose_slug("", "Hello world", taken) == "hello-world-3"
    long_taken = {"a" * SLUG_MAX}.__contains__
    made = choose_slug(None, "a" * 200, long_taken)
    assert made == "a" * (SLUG_MAX - 2) + "-2" and len(made) == SLUG_MAX


def test_a_title_without_letters_needs_a_typed_slug():
    with pytest.raises(Invalid, match="The name has no letters") as refused:
        choose_slug("", "???", lambda _: False, source_label="name")
    assert refused.value.field == "slug"
