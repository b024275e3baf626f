"""Reconnecting an advertising source marked "reconnect needed": the OAuth flow runs
again (fake provider, fake Graph API) and the same source gets the new token; no source
is created, and a login that cannot read the source's account changes nothing."""

# ruff: noqa: F811 - fixtures imported from tests/integration/test_ads_connect.py
from __future__ import annotations

from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select

from dra.ads.platforms import AdAccount, OAuthToken, platform
from dra.ingestion.service import RECONNECT
from dra.models import DataSource, PipelineRequest
from dra.security.crypto import Vault
from dra.sources.service import create_ad_source
from tests.integration.test_ads_connect import (  # noqa: F401 - fixtures
    meta,
    meta_env,
    meta_oauth,
    project,
    settings,
)


def _revoked_source(database, settings, project, old_token: str) -> int:
    with database.system_session() as s:
        source = create_ad_source(
            s,
            database,
            project_id=project["id"],
            user_id=project["owner"].id,
            name="Meta FR",
            platform=platform("meta_ads", settings.ads),
            token=OAuthToken(old_token),
            account=AdAccount("111", "Shop FR", "EUR", "Europe/Paris"),
            settings=settings,
        )
        source.status, source.last_error = "failed", "Meta Ads: the token was revoked."
        source.settings = {**source.settings, RECONNECT: True}
        s.query(PipelineRequest).delete()
        return source.id


def _through_provider(client, path: str) -> str:
    """POST ``path`` (a CSRF-free test client), follow the provider; the callback's path."""
    resp = client.post(path)
    assert resp.status_code == 302
    answer = requests.get(resp.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def _token(settings, source: DataSource) -> str:
    return Vault(settings.encryption_keys).decrypt_json(source.connection_encrypted)["token"][
        "access_token"
    ]


def test_reconnect_updates_the_same_source(app, login, database, settings, project, meta):
    meta.add_account("111", "Shop FR")
    source_id = _revoked_source(database, settings, project, "dead-token")
    client = login(project["owner"])
    page = client.get(f"/projects/{project['id']}/sources/{source_id}")
    assert b"Reconnect" in page.data

    path = f"/projects/{project['id']}/sources/connect/reconnect/{source_id}"
    done = client.get(_through_provider(client, path))
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/projects/{project['id']}/sources/{source_id}")
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(DataSource)) == 1
        source = s.get(DataSource, source_id)
        assert _token(app.config["DRA_SETTINGS"], source) not in ("dead-token", "")
        assert RECONNECT not in source.settings and source.settings["account"]["id"] == "111"
        assert (source.status, source.last_error) == ("pending", None)
        request = s.scalar(select(PipelineRequest))
        assert (request.kind, request.target_id) == ("ingest_source", source_id)
    page = client.get(f"/projects/{project['id']}/sources/{source_id}")
    assert b"Reconnect" not in page.data


def test_a_login_without_the_account_changes_nothing(app, login, database, settings, project, meta):
    meta.add_account("222", "Brand DE")  # the new login reads another account only
    source_id = _revoked_source(database, settings, project, "dead-token")
    client = login(project["owner"])
    path = f"/projects/{project['id']}/sources/connect/reconnect/{source_id}"
    resp = client.get(_through_provider(client, path))
    assert resp.status_code == 400
    assert b"cannot read the source" in resp.data and b"111" in resp.data
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert _token(app.config["DRA_SETTINGS"], source) == "dead-token"
        assert source.settings[RECONNECT] is True and source.status == "failed"
        assert s.scalar(select(PipelineRequest)) is None


def test_a_viewer_cannot_reconnect_and_other_sources_are_404(login, database, settings, project):
    source_id = _revoked_source(database, settings, project, "dead-token")
    base = f"/projects/{project['id']}/sources/connect/reconnect"
    assert login(project["viewer"]).post(f"{base}/{source_id}").status_code == 403
    with database.system_session() as s:
        csv = DataSource(project_id=project["id"], name="CSV", type="csv")
        s.add(csv)
        s.flush()
        csv_id = csv.id
    owner = login(project["owner"])
    assert owner.post(f"{base}/{csv_id}").status_code == 404
    assert owner.post(f"{base}/999999").status_code == 404
