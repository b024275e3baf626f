"""Advertising and analytics sources (UC-DS-07..11) under
``/api/v1/projects/<id>/advertising``: read only.

Any member lists the platforms (with whether the platform admin configured their OAuth
app) and the project's advertising sources with their ingestion state; a source's
ingestion status and refresh are the data sources' routes (``/sources/<id>/status``,
``/sources/<id>/refresh``). Connecting an account stays a browser flow: the provider's
consent screen needs the person (``connect_url``, the page that starts the OAuth flow,
for owners and admins), so it has no API operation.
"""

from __future__ import annotations

from flask import url_for
from pydantic import Field

from dra.ads.platforms import is_ad_source
from dra.permissions import Permission
from dra.sources import service
from webapp.ads.views import platform_choices
from webapp.api import Model, api_blueprint, listing, operation, out
from webapp.api.sources import SourceOut
from webapp.database import db_session

bp = api_blueprint("advertising", "/projects/<int:project_id>/advertising")
TAGS = ["advertising"]


class PlatformOut(Model):
    key: str = Field(description="the data source type of its sources")
    label: str
    provider: str = Field(description="who signs the person in (Google, LinkedIn, Meta)")
    configured: bool = Field(description="the platform's OAuth app is set up")
    connect_url: str = Field(description="the page that connects an account (in a browser)")


class PlatformsOut(Model):
    platforms: list[PlatformOut]


@bp.get("/platforms")
@operation(Permission.DATA_SOURCE_VIEW, resp={200: PlatformsOut}, tags=TAGS)
def platform_list(project_id: int, access):
    """The platforms an account can be connected from."""
    found = [
        {
            **choice,
            "connect_url": url_for(
                "ads.connect", project_id=project_id, platform_key=choice["key"]
            ),
        }
        for choice in platform_choices()
    ]
    return out(PlatformsOut, {"platforms": found})


@bp.get("/sources")
@listing(Permission.DATA_SOURCE_VIEW, SourceOut, tags=TAGS)
def source_list(project_id: int, access):
    """The project's advertising sources by name, with their ingestion state."""
    return [s for s in service.list_sources(db_session(), project_id) if is_ad_source(s.type)]
