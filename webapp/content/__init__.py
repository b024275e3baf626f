"""The public site and its content: the admin pages (``admin``: articles, categories,
images, sitemap under ``/admin``) and the public pages (``public``: ``/blog``,
``/images/<name>``, ``/sitemap.xml``, ``/robots.txt``). The rules live in ``dra.content``."""

from __future__ import annotations

from flask import current_app

from dra.content import sitemap
from dra.settings import Settings
from webapp.database import commit, db_session


def site_settings() -> Settings:
    return current_app.config["DRA_SETTINGS"]


def regenerate_sitemap() -> sitemap.SitemapFile:
    """Commit the request's change, then write the sitemap from what is now stored."""
    commit()
    settings = site_settings()
    return sitemap.write_sitemap(db_session(), settings.data_dir, settings.public_base_url)
