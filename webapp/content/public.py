"""The public site: the blog (``/blog``, ``/blog/category/<slug>``, ``/blog/<slug>``),
article images (``/images/<name>``), ``/sitemap.xml`` and ``/robots.txt``. No sign-in;
platform admins also see drafts at their address (marked, and not indexed)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, send_file
from flask_login import current_user

from dra.content import articles, images, sitemap
from dra.content.markdown import render_markdown
from dra.models.content import ArticleStatus
from webapp.database import app_settings, db_session

bp = Blueprint("blog", __name__)

ONE_YEAR = 365 * 24 * 3600


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 0  # 0: the 404 of a bad page


def _list(category_slug: str | None):
    page = articles.public_page(db_session(), _page_number(), category_slug)
    return render_template(
        "content/blog_list.html",
        page=page,
        categories=articles.public_categories(db_session()),
        base_url=app_settings().public_base_url.rstrip("/"),
    )


@bp.get("/blog")
def blog():
    return _list(None)


@bp.get("/blog/category/<slug>")
def blog_category(slug: str):
    return _list(slug)


@bp.get("/blog/<slug>")
def article(slug: str):
    admin = bool(getattr(current_user, "is_platform_admin", False))
    found = articles.article_by_slug(db_session(), slug, include_unpublished=admin)
    return render_template(
        "content/blog_article.html",
        article=found,
        body=render_markdown(found.body),
        description=articles.description(found),
        published=found.status == ArticleStatus.PUBLISHED,
        base_url=app_settings().public_base_url.rstrip("/"),
    )


@bp.get("/images/<name>")
def image(name: str):
    """A stored image: its own content type, cached for a year (names never change)."""
    path = images.image_path(app_settings().data_dir, name)
    response = send_file(
        path, mimetype=images.CONTENT_TYPES[path.suffix[1:]], conditional=True, max_age=ONE_YEAR
    )
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@bp.get("/sitemap.xml")
def sitemap_xml():
    settings = app_settings()
    current = sitemap.current_sitemap(db_session(), settings.data_dir, settings.public_base_url)
    return Response(current.xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    return Response(sitemap.robots_txt(app_settings().public_base_url), mimetype="text/plain")
