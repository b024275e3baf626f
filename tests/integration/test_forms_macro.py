"""The one-button POST forms of every page come from one macro (templates/_forms.html)."""

from __future__ import annotations

import re

import pytest


def _render(app, **kwargs) -> str:
    with app.test_request_context():
        macro = app.jinja_env.get_template("_forms.html").module.post_button
        return str(macro(**kwargs))


def test_a_one_button_form_posts_with_the_csrf_token_and_escapes_what_it_shows(app):
    html = _render(
        app,
        action="/x?a=1&b=2",
        label="Go <now>",
        confirm='Delete "A" & co?',
        hidden={"q": "<q>", "mode": "exact"},
        title="Takes longer",
        **{"class": "danger"},
    )
    assert html.startswith(
        '<form method="post" action="/x?a=1&amp;b=2" class="inline" '
        'data-confirm="Delete &#34;A&#34; &amp; co?">'
    )
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', html)
    assert '<input type="hidden" name="q" value="&lt;q&gt;">' in html
    assert '<input type="hidden" name="mode" value="exact">' in html
    assert html.endswith(
        '<button type="submit" class="danger" title="Takes longer">Go &lt;now&gt;</button>\n</form>'
    )


def test_plain_and_classless_forms(app):
    html = _render(app, action="/y", label="Apply", form_class=None)
    assert html.startswith('<form method="post" action="/y">')
    assert '<button type="submit">Apply</button>' in html and "data-confirm" not in html


@pytest.fixture
def team(database):
    from tests.support.factories import project_with_roles

    with database.system_session() as s:
        return project_with_roles(s)


def test_pages_post_their_buttons_through_the_macro(login, team):
    """A page built with it: the members page's remove buttons ask first and carry CSRF."""
    page = login(team.owner).get(f"/projects/{team.project_id}/members").get_data(as_text=True)
    forms = re.findall(
        r'<form method="post" action="[^"]*/remove" class="inline"[^>]*>.*?</form>', page, re.S
    )
    assert forms and all('name="csrf_token"' in f and "data-confirm=" in f for f in forms)
