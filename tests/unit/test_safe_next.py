"""safe_next: only same-site paths are followed after sign-in, however the URL is dressed."""

from __future__ import annotations

import pytest

from webapp.urls import safe_next

HOSTILE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\x00//evil.example",
    "\x01/\\evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "/%0d%0a/evil.example",
    "/%255Cevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    "",
    None,
]

BENIGN = [
    ("/", "/"),
    ("/projects/3", "/projects/3"),
    ("/projects/3?tab=models#top", "/projects/3?tab=models#top"),
    ("/invitations/abc/accept", "/invitations/abc/accept"),
    ("/projects/3/dashboards?filters=%7B%7D", "/projects/3/dashboards?filters=%7B%7D"),
    ("/search?q=a%20b", "/search?q=a%20b"),
    ("  /projects/3\n", "/projects/3"),
    ("/a b", "/a b"),
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize(("target", "expected"), BENIGN)
def test_same_site_paths_are_kept(target, expected):
    assert safe_next(target) == expected
