"""The public site and its content: the admin pages (``admin``: articles, categories,
images, sitemap under ``/admin``) and the public pages (``public``: ``/blog``,
``/images/<name>``, ``/sitemap.xml``, ``/robots.txt``). The rules live in ``dra.content``."""

from __future__ import annotations

from dra.content import sitemap
from webapp.database import app_settings, commit, db_session


def regenerate_sitemap() -> sitemap.SitemapFile:
    """Commit the request's change, then write the sitemap from what is now stored."""
    commit()
    settings = app_settings()
    return sitemap.write_sitemap(db_session(), settings.data_dir, settings.public_base_url)
