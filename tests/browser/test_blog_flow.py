"""The public site in a real browser (UC-ADM-09, 13): a platform admin uploads an image,
writes an article in Markdown with it, previews and publishes it; a visitor who is not
signed in finds it on /blog and reads it, the images loaded, under the CSP. Screenshots
in test-artifacts/browser/blog/."""

from __future__ import annotations

import re

import pytest

from dra.models import ArticleCategory
from tests.support.browser import watch
from tests.support.factories import DEFAULT_PASSWORD, create_user
from tests.support.images import image_bytes

pytestmark = pytest.mark.browser

BODY = """## Why we built it

Small teams need **one place** for their data. Here is the pipeline:

![The pipeline](IMAGE_URL)

1. ingest
2. model
3. share

<script>alert('not run')</script> [not a link](javascript:alert(1))
"""


def test_write_and_publish_an_article_with_an_image(
    live_server, chromium, database, artifacts_dir, tmp_path
):
    folder = artifacts_dir / "browser" / "blog"
    folder.mkdir(parents=True, exist_ok=True)
    with database.system_session() as s:
        admin = create_user(s, email="writer@example.com", platform_admin=True)
        s.add(ArticleCategory(name="Product news", slug="product-news"))
    picture = tmp_path / "pipeline.png"
    picture.write_bytes(image_bytes("PNG", (640, 300)))
    problems: list[str] = []

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    watch(page, problems)
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # upload the image, copy its URL
    page.goto(f"{live_server.url}/admin/images")
    page.set_input_files("#image-upload input[type=file]", str(picture))
    page.click("#image-upload button[type=submit]")
    page.wait_for_selector("#images figure")
    url = page.input_value("#images figure input")
    assert re.fullmatch(r"/images/[0-9a-f]{32}\.png", url)
    page.click("#images figure button[data-copy]")
    page.wait_for_function(
        "() => document.querySelector('#images button[data-copy]').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == live_server.url + url
    page.screenshot(path=str(folder / "images.png"), full_page=True)

    # write it, preview it, save it, publish it
    page.goto(f"{live_server.url}/admin/articles/new")
    page.fill("input[name=title]", "Meet the DRA platform")
    page.fill("textarea[name=summary]", "One install: pipelines, models and dashboards.")
    page.select_option("select[name=category_id]", label="Product news")
    page.select_option("select[name=cover_image]", value=url)
    page.fill("textarea[name=body]", BODY.replace("IMAGE_URL", url))
    page.click("button[value=preview]")
    page.wait_for_selector("#preview img")
    assert page.locator("#preview h2").inner_text() == "Why we built it"
    assert page.evaluate("document.querySelector('#preview img').naturalWidth") == 640
    page.screenshot(path=str(folder / "preview.png"), full_page=True)
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r".*/admin/articles/\d+$"))
    assert "draft" in page.locator("#article-status").inner_text()
    assert page.input_value("input[name=slug]") == "meet-the-dra-platform"
    page.click("#article-status button:has-text('Publish')")
    page.wait_for_selector("#article-status .badge.ok")
    page.screenshot(path=str(folder / "published.png"), full_page=True)

    # a visitor, not signed in, reads it
    visitor = chromium.new_context(viewport={"width": 1100, "height": 900})
    reader = visitor.new_page()
    watch(reader, problems)
    reader.goto(f"{live_server.url}/blog")
    assert reader.locator("#blog-articles h2").all_inner_texts() == ["Meet the DRA platform"]
    reader.wait_for_function("() => document.querySelector('.blog-item img.cover').complete")
    reader.screenshot(path=str(folder / "blog.png"), full_page=True)
    reader.click("text=Meet the DRA platform")
    reader.wait_for_url(f"{live_server.url}/blog/meet-the-dra-platform")
    reader.wait_for_load_state("load")
    assert reader.locator("#article h1").inner_text() == "Meet the DRA platform"
    widths = reader.evaluate(
        "Array.from(document.querySelectorAll('#article img')).map((i) => i.naturalWidth)"
    )
    assert widths == [640, 640]  # the cover and the picture in the body
    body_text = reader.locator(".article-body").inner_text()
    assert "<script>alert('not run')</script>" in body_text  # shown as text, never run
    assert reader.locator(".article-body a").count() == 0
    og_image = reader.get_attribute("meta[property='og:image']", "content")
    assert og_image == live_server.url + url
    reader.screenshot(path=str(folder / "article.png"), full_page=True)
    assert reader.locator("#unpublished").count() == 0
    assert problems == []
