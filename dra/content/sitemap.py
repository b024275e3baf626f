"""``sitemap.xml`` and ``robots.txt`` of the public site (UC-ADM-11).

The sitemap lists the public pages (the blog, each category with published articles,
sign-in and registration) and every published article with its last change. It is
written to ``<data folder>/site/sitemap.xml`` whenever an article or a category changes
(and on request from the admin page), and served from there; robots.txt points to it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.models import Article, ArticleCategory
from dra.models.content import ArticleStatus

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the sitemap protocol's limit for one file
BLOG_PATH = "/blog"
PUBLIC_PAGES = (BLOG_PATH, "/auth/login", "/auth/register")
ROBOTS_DISALLOW = ("/admin/", "/api/", "/account/", "/projects/", "/dashboards/", "/public/")
"""Never worth crawling: signed-in pages, the API, and shared dashboard links (each one
a secret handed to someone)."""


def article_path(slug: str) -> str:
    return f"{BLOG_PATH}/{slug}"


def category_path(slug: str) -> str:
    return f"{BLOG_PATH}/category/{slug}"


@dataclass(frozen=True)
class SitemapFile:
    path: Path
    xml: bytes
    generated_at: datetime
    urls: int


def sitemap_entries(session: Session) -> list[tuple[str, datetime | None]]:
    """(path, last change) of every public page and published article."""
    published = Article.status == ArticleStatus.PUBLISHED
    latest = session.scalar(select(func.max(Article.updated_at)).where(published))
    entries: list[tuple[str, datetime | None]] = [
        (path, latest if path == BLOG_PATH else None) for path in PUBLIC_PAGES
    ]
    categories = session.execute(
        select(ArticleCategory.slug, func.max(Article.updated_at))
        .join(Article, Article.category_id == ArticleCategory.id)
        .where(published)
        .group_by(ArticleCategory.slug)
        .order_by(ArticleCategory.slug)
    ).all()
    entries += [(category_path(slug), changed) for slug, changed in categories]
    room = MAX_URLS - len(entries)
    articles = session.execute(
        select(Article.slug, Article.updated_at)
        .where(published)
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(room)
    ).all()
    entries += [(article_path(slug), changed) for slug, changed in articles]
    return entries


def build_sitemap(session: Session, base_url: str) -> bytes:
    """The sitemap's XML (UTF-8, absolute URLs under ``base_url``)."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}urlset")
    base = base_url.rstrip("/")
    for path, changed in sitemap_entries(session):
        url = ET.SubElement(root, f"{{{NAMESPACE}}}url")
        ET.SubElement(url, f"{{{NAMESPACE}}}loc").text = base + path
        if changed is not None:
            stamp = changed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            ET.SubElement(url, f"{{{NAMESPACE}}}lastmod").text = stamp
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def sitemap_path(data_dir: Path) -> Path:
    return data_dir / "site" / "sitemap.xml"


def write_sitemap(session: Session, data_dir: Path, base_url: str) -> SitemapFile:
    """Build the sitemap and replace the stored one (atomically)."""
    xml = build_sitemap(session, base_url)
    path = sitemap_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".sitemap-{secrets.token_hex(6)}.part")
    temp.write_bytes(xml)
    os.replace(temp, path)
    return _file(path, xml)


def read_sitemap(data_dir: Path) -> SitemapFile | None:
    """The stored sitemap, or None when none was written yet."""
    path = sitemap_path(data_dir)
    try:
        xml = path.read_bytes()
    except FileNotFoundError:
        return None
    return _file(path, xml)


def current_sitemap(session: Session, data_dir: Path, base_url: str) -> SitemapFile:
    """The stored sitemap, written first when there is none yet."""
    return read_sitemap(data_dir) or write_sitemap(session, data_dir, base_url)


def _file(path: Path, xml: bytes) -> SitemapFile:
    return SitemapFile(
        path=path,
        xml=xml,
        generated_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
        urls=xml.count(b"<loc>"),
    )


def robots_txt(base_url: str) -> str:
    """Crawlers may read the public site, not the app; the sitemap's address."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /"]
    return "\n".join([*lines, "", f"Sitemap: {base_url.rstrip('/')}/sitemap.xml", ""])
