"""The public site's content through the pages (UC-ADM-09, 10, 11, 13), real database.

Articles (create, slug rules, preview, publish, unpublish, archive) and their public
pages, categories, images (each kind, wrong kinds, a bomb, the size limit, serving,
deleting while used) and the sitemap regenerated with every change.
"""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from dra.models import Article, ArticleCategory
from tests.support.html_safety import assert_safe
from tests.support.images import ACCEPTED, image_bytes, png_bomb

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _article(client, **fields):
    form = {"title": "Hello world", "slug": "", "summary": "", "body": "Hi", **fields}
    return client.post("/admin/articles/new", data=form)


def _id_of(response) -> int:
    return int(re.search(r"/admin/articles/(\d+)$", response.headers["Location"])[1])


def _count(database, model) -> int:
    with database.system_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _sitemap_paths(client) -> dict[str, str | None]:
    root = ET.fromstring(client.get("/sitemap.xml").data)
    return {
        url.findtext("s:loc", namespaces=SITEMAP_NS).removeprefix("http://localhost"): url.findtext(
            "s:lastmod", namespaces=SITEMAP_NS
        )
        for url in root.findall("s:url", SITEMAP_NS)
    }


def _upload(client, raw: bytes, filename: str = "picture.png", **kwargs):
    return client.post(
        "/admin/images/upload",
        data={"image": (io.BytesIO(raw), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


# --- articles (UC-ADM-09) -------------------------------------------------------------------


def test_write_preview_publish_and_read_an_article(admin_client, client, database):
    resp = _article(
        admin_client,
        title="Our first article",
        summary="What we built & why.",
        body="## Hello\n\nSome **bold** words.",
    )
    assert resp.status_code == 302
    article_id = _id_of(resp)
    with database.system_session() as s:
        article = s.get(Article, article_id)
        assert (article.slug, article.status, article.published_at) == (
            "our-first-article",
            "draft",
            None,
        )
    # a draft is not public: 404 for visitors, shown to admins with a banner, not indexed
    assert client.get("/blog/our-first-article").status_code == 404
    assert b"Our first article" not in client.get("/blog").data
    draft = admin_client.get("/blog/our-first-article").get_data(as_text=True)
    assert 'id="unpublished"' in draft and 'name="robots" content="noindex"' in draft

    # preview renders the edited body and saves nothing
    preview = admin_client.post(
        f"/admin/articles/{article_id}",
        data={"title": "Changed", "body": "# Previewed *text*", "action": "preview"},
    )
    assert preview.status_code == 200
    assert "<h1>Previewed <em>text</em></h1>" in preview.get_data(as_text=True)
    with database.system_session() as s:
        assert s.get(Article, article_id).title == "Our first article"

    assert admin_client.post(f"/admin/articles/{article_id}/publish").status_code == 302
    page = client.get("/blog/our-first-article")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h2>Hello</h2>" in html and "<strong>bold</strong>" in html
    assert '<meta name="description" content="What we built &amp; why.">' in html
    assert '<meta property="og:title" content="Our first article">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:url" content="http://localhost/blog/our-first-article">' in html
    assert '<link rel="canonical" href="http://localhost/blog/our-first-article">' in html
    assert 'id="unpublished"' not in html
    assert "Our first article" in client.get("/blog").get_data(as_text=True)
    with database.system_session() as s:
        assert s.get(Article, article_id).published_at is not None


def test_unpublish_and_archive_take_an_article_off_the_site(admin_client, client, database):
    article_id = _id_of(_article(admin_client, title="Short lived"))
    admin_client.post(f"/admin/articles/{article_id}/publish")
    assert client.get("/blog/short-lived").status_code == 200
    admin_client.post(f"/admin/articles/{article_id}/unpublish")
    assert client.get("/blog/short-lived").status_code == 404
    admin_client.post(f"/admin/articles/{article_id}/publish")
    admin_client.post(f"/admin/articles/{article_id}/archive")
    assert client.get("/blog/short-lived").status_code == 404
    with database.system_session() as s:
        assert s.get(Article, article_id).status == "archived"
    listed = admin_client.get("/admin/articles?status=archived").get_data(as_text=True)
    assert "Short lived" in listed
    assert "Short lived" not in admin_client.get("/admin/articles?status=draft").data.decode()


def test_slug_rules(admin_client, database):
    first = _article(admin_client, title="Same title")
    assert _article(admin_client, title="Same title").status_code == 302  # made: same-title-2
    with database.system_session() as s:
        slugs = set(s.scalars(select(Article.slug)))
    assert slugs == {"same-title", "same-title-2"}

    taken = _article(admin_client, title="Another", slug="same-title", body="kept body")
    assert taken.status_code == 409
    html = taken.get_data(as_text=True)
    assert "Slug already in use." in html and 'id="slug-error"' in html
    assert "kept body" in html and 'value="Another"' in html  # the input is kept
    invalid = _article(admin_client, title="Another", slug="Not A Slug")
    assert invalid.status_code == 422 and 'id="slug-error"' in invalid.get_data(as_text=True)
    assert _count(database, Article) == 2

    # editing: the slug can change, but not to another article's
    article_id = _id_of(first)
    clash = admin_client.post(
        f"/admin/articles/{article_id}", data={"title": "Same title", "slug": "same-title-2"}
    )
    assert clash.status_code == 409
    renamed = admin_client.post(
        f"/admin/articles/{article_id}", data={"title": "Same title", "slug": "a-better-slug"}
    )
    assert renamed.status_code == 302
    with database.system_session() as s:
        assert s.get(Article, article_id).slug == "a-better-slug"


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"title": ""}, "title", 422),
        ({"title": "t" * 201}, "title", 422),
        ({"summary": "s" * 501}, "summary", 422),
        ({"body": "b" * 100_001}, "body", 422),
        ({"category_id": "999999"}, "category_id", 422),
        ({"category_id": "one"}, "category_id", 422),
        ({"cover_image": "/images/../secret_key"}, "cover_image", 422),
        ({"cover_image": "https://evil.example/x.png"}, "cover_image", 422),
    ],
)
def test_bad_article_input_names_the_field_and_changes_nothing(
    admin_client, database, fields, field, status
):
    resp = _article(admin_client, **fields)
    assert resp.status_code == status
    assert f'id="{field}-error"' in resp.get_data(as_text=True)
    assert _count(database, Article) == 0


def test_hostile_bodies_are_served_safe(admin_client, client):
    body = (
        "<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
        "<img src=x onerror=alert(1)>\n\n![x](data:image/svg+xml;base64,PHN2Zz4=)"
    )
    article_id = _id_of(_article(admin_client, title="Hostile", body=body))
    admin_client.post(f"/admin/articles/{article_id}/publish")
    html = client.get("/blog/hostile").get_data(as_text=True)
    article_html = html.split('<div class="article-body">', 1)[1].split("</div>\n</article>")[0]
    elements = assert_safe(article_html)
    assert [tag for tag, _ in elements] == ["p", "p", "p", "p"]  # no link, no image made
    assert "&lt;script&gt;" in article_html  # shown as text


def test_public_list_is_newest_first_paged_and_by_category(admin_client, client, database):
    admin_client.post("/admin/categories", data={"name": "Guides"})
    with database.system_session() as s:
        guides = s.scalar(select(ArticleCategory.id))
    for n in range(12):
        fields = {"category_id": str(guides)} if n % 2 else {}
        article_id = _id_of(_article(admin_client, title=f"Post {n:02d}", **fields))
        admin_client.post(f"/admin/articles/{article_id}/publish")
    _article(admin_client, title="Unpublished draft")
    first = client.get("/blog").get_data(as_text=True)
    titles = re.findall(r">(Post \d\d)</a></h2>", first)
    assert titles == [f"Post {n:02d}" for n in range(11, 1, -1)]  # newest first, 10 a page
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/blog?page=2").get_data(as_text=True)
    assert re.findall(r">(Post \d\d)</a></h2>", second) == ["Post 01", "Post 00"]
    assert client.get("/blog?page=3").status_code == 404
    assert client.get("/blog?page=x").status_code == 404
    by_category = client.get("/blog/category/guides").get_data(as_text=True)
    assert re.findall(r">(Post \d\d)</a></h2>", by_category) == [
        f"Post {n:02d}" for n in (11, 9, 7, 5, 3, 1)
    ]
    assert client.get("/blog/category/nothing-here").status_code == 404
    assert "Unpublished draft" not in first + second


# --- categories (UC-ADM-10) -----------------------------------------------------------------


def test_categories_create_rename_and_delete(admin_client, database):
    assert admin_client.post("/admin/categories", data={"name": "Product news"}).status_code == 302
    with database.system_session() as s:
        category = s.scalar(select(ArticleCategory))
        category_id = category.id
        assert category.slug == "product-news"
    dup = admin_client.post("/admin/categories", data={"name": "PRODUCT NEWS"})
    assert dup.status_code == 409 and "already exists" in dup.get_data(as_text=True)
    bad_slug = admin_client.post("/admin/categories", data={"name": "Other", "slug": "Bad Slug"})
    assert bad_slug.status_code == 422
    assert _count(database, ArticleCategory) == 1

    renamed = admin_client.post(f"/admin/categories/{category_id}", data={"name": "Releases"})
    assert renamed.status_code == 302
    with database.system_session() as s:
        category = s.get(ArticleCategory, category_id)
        assert (category.name, category.slug) == ("Releases", "product-news")  # address kept

    article_id = _id_of(_article(admin_client, title="In it", category_id=str(category_id)))
    refused = admin_client.post(f"/admin/categories/{category_id}/delete")
    assert refused.status_code == 409
    assert "Move its articles to another category first." in refused.get_data(as_text=True)
    assert _count(database, ArticleCategory) == 1

    admin_client.post(f"/admin/articles/{article_id}", data={"title": "In it", "category_id": ""})
    assert admin_client.post(f"/admin/categories/{category_id}/delete").status_code == 302
    assert _count(database, ArticleCategory) == 0
    assert admin_client.post(f"/admin/categories/{category_id}/delete").status_code == 404


# --- images (UC-ADM-13) ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ACCEPTED))
def test_upload_each_kind_and_serve_it(admin_client, client, settings, kind):
    resp = _upload(admin_client, image_bytes(kind), filename="photo.bin")  # the name plays no part
    assert resp.status_code == 302
    [stored] = list((settings.data_dir / "images").iterdir())
    assert re.fullmatch(r"[0-9a-f]{32}\.(jpg|png|gif|webp)", stored.name)
    listing = admin_client.get("/admin/images").get_data(as_text=True)
    assert f"/images/{stored.name}" in listing and "Copy URL" in listing
    served = client.get(f"/images/{stored.name}")
    assert served.status_code == 200 and served.mimetype == ACCEPTED[kind]
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.data == stored.read_bytes()


def test_json_upload_answers_the_url(admin_client):
    resp = _upload(
        admin_client, image_bytes("PNG", (20, 10)), headers={"Accept": "application/json"}
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["url"] == f"/images/{body['name']}" and resp.headers["Location"] == body["url"]
    assert (body["contentType"], body["width"], body["height"]) == ("image/png", 20, 10)


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (image_bytes("BMP"), 400, "Only JPG, PNG, GIF and WebP images are accepted."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 400, "Only JPG, PNG, GIF and WebP"),
        (png_bomb(9000, 9000), 400, "too large to process: 9000 x 9000"),
        (b"\x89PNG" + b"\x00" * 4096, 400, "Only JPG, PNG, GIF and WebP"),
    ],
    ids=["bmp", "svg", "bomb", "fake-png"],
)
def test_refused_uploads_store_nothing(admin_client, settings, raw, status, message):
    resp = _upload(admin_client, raw, filename="innocent.png")
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)
    assert not (settings.data_dir / "images").exists()
    json_resp = _upload(admin_client, raw, headers={"Accept": "application/json"})
    assert json_resp.status_code == status and json_resp.get_json()["field"] == "image"


def test_an_image_over_the_limit_is_413(app, admin_client, settings):
    limit = settings.image_max_bytes
    big = image_bytes("PNG") + b"\x00" * limit  # trailing bytes: over the limit
    resp = _upload(admin_client, big)
    assert resp.status_code == 413
    assert "The image is larger than 10 MB." in resp.get_data(as_text=True)
    assert not (settings.data_dir / "images").exists()


def test_image_names_cannot_reach_other_files(admin_client, client, settings):
    (settings.data_dir).mkdir(parents=True, exist_ok=True)
    for path in (
        "/images/..%2fsecret_key",
        "/images/%2e%2e%2fsecret_key",
        "/images/secret_key",
        "/images/..",
        "/images/" + "0" * 32 + ".png",
        "/images/../secret_key",
    ):
        assert client.get(path).status_code == 404, path
        assert admin_client.post(
            path.replace("/images/", "/admin/images/", 1) + "/delete"
        ).status_code in (404, 405), path
    assert (settings.data_dir / "secret_key").exists()


def test_an_image_in_use_cannot_be_deleted(admin_client, settings, database):
    _upload(admin_client, image_bytes("JPEG"))
    _upload(admin_client, image_bytes("GIF"))
    cover, inline = sorted((settings.data_dir / "images").iterdir(), key=lambda p: p.suffix)[::-1]
    _article(admin_client, title="With a cover", cover_image=f"/images/{cover.name}")
    _article(admin_client, title="With a picture", body=f"Look: ![x](/images/{inline.name})")
    _article(admin_client, title="Also the cover", body=f"![again](/images/{cover.name})")
    refused = admin_client.post(f"/admin/images/{cover.name}/delete")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "“Also the cover”, “With a cover”" in text
    assert cover.exists()
    json_refused = admin_client.post(
        f"/admin/images/{inline.name}/delete", headers={"Accept": "application/json"}
    )
    assert (
        json_refused.status_code == 409 and "“With a picture”" in json_refused.get_json()["message"]
    )

    with database.system_session() as s:
        for article in s.scalars(select(Article)):
            article.cover_image_url = None
            article.body = ""
    assert admin_client.post(f"/admin/images/{cover.name}/delete").status_code == 302
    assert not cover.exists()
    assert admin_client.post(f"/admin/images/{cover.name}/delete").status_code == 404


# --- sitemap (UC-ADM-11) --------------------------------------------------------------------


def test_sitemap_follows_the_articles(admin_client, client, settings, database):
    empty = _sitemap_paths(client)
    assert set(empty) == {"/blog", "/auth/login", "/auth/register"}
    admin_client.post("/admin/categories", data={"name": "Guides"})
    with database.system_session() as s:
        guides = s.scalar(select(ArticleCategory.id))
    article_id = _id_of(_article(admin_client, title="Mapped", category_id=str(guides)))
    assert "/blog/mapped" not in _sitemap_paths(client)  # a draft is not listed
    admin_client.post(f"/admin/articles/{article_id}/publish")
    paths = _sitemap_paths(client)
    assert "/blog/mapped" in paths and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", paths["/blog/mapped"]
    )
    assert "/blog/category/guides" in paths and paths["/blog"] == paths["/blog/mapped"]
    for path in paths:  # every listed page answers
        assert client.get(path).status_code == 200, path

    admin_client.post(f"/admin/articles/{article_id}", data={"title": "Mapped", "slug": "moved"})
    paths = _sitemap_paths(client)
    assert "/blog/moved" in paths and "/blog/mapped" not in paths
    admin_client.post(f"/admin/articles/{article_id}/archive")
    assert "/blog/moved" not in _sitemap_paths(client)
    assert (settings.data_dir / "site" / "sitemap.xml").exists()


def test_sitemap_admin_page_shows_and_regenerates(admin_client, client, settings, database):
    page = admin_client.get("/admin/sitemap").get_data(as_text=True)
    assert (
        "3 URLs" in page
        and "&lt;urlset" in page
        and "Sitemap: http://localhost/sitemap.xml" in page
    )
    # an article changed behind the app's back appears once regenerated
    with database.system_session() as s:
        s.add(Article(title="Imported", slug="imported", body="", status="published"))
    assert "/blog/imported" not in _sitemap_paths(client)
    assert admin_client.post("/admin/sitemap").status_code == 302
    assert "/blog/imported" in _sitemap_paths(client)
    assert "4 URLs" in admin_client.get("/admin/sitemap").get_data(as_text=True)


def test_robots_txt_points_to_the_sitemap(client):
    resp = client.get("/robots.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    lines = resp.get_data(as_text=True).splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines and "Disallow: /api/" in lines and "User-agent: *" in lines


def test_content_admin_pages_are_for_platform_admins_only(login, make_user, admin_client):
    user = login(make_user())
    for url in (
        "/admin/articles",
        "/admin/articles/new",
        "/admin/categories",
        "/admin/images",
        "/admin/sitemap",
    ):
        assert admin_client.get(url).status_code == 200, url
        assert user.get(url).status_code == 403, url
    assert _upload(user, image_bytes("PNG")).status_code == 403


def test_a_slug_taken_meanwhile_is_a_conflict_not_a_database_error(database):
    """Two admins saving the same slug at once: the second one's flush meets the unique
    constraint after its check passed, and gets the same 409 as a taken slug."""
    from dra.content.articles import UNIQUE
    from dra.content.categories import UNIQUE as CATEGORY_UNIQUE
    from dra.content.slugs import flush_or_conflict
    from dra.errors import Conflict

    with database.system_session() as s:
        s.add(Article(title="First", slug="same", body=""))
        s.add(ArticleCategory(name="News", slug="news"))
    for row, unique, field in (
        (Article(title="Second", slug="same", body=""), UNIQUE, "slug"),
        (ArticleCategory(name="News", slug="other"), CATEGORY_UNIQUE, "name"),
        (ArticleCategory(name="Other", slug="news"), CATEGORY_UNIQUE, "slug"),
    ):
        with database.SystemSession() as s:
            s.add(row)
            with pytest.raises(Conflict) as refused:
                flush_or_conflict(s, unique)
            assert refused.value.field == field and refused.value.status == 409
            s.rollback()
