"""Resources, chosen by environment in one place (``build_resources``)."""

from __future__ import annotations

import os
from functools import cached_property

import dagster as dg

from assets.dbt import build_dbt_resource
from dra.db import Database
from dra.settings import Settings, load_settings


class PlatformResource(dg.ConfigurableResource):
    """The platform's database and settings, for assets and sensors."""

    database_url: str
    data_dir: str

    @cached_property
    def settings(self) -> Settings:
        return load_settings(
            {
                **os.environ,
                "DRA_DATABASE_URL": self.database_url,
                "DRA_DATA_DIR": self.data_dir,
            }
        )

    @cached_property
    def database(self) -> Database:
        return Database(self.settings.database_url)


def build_resources() -> dict[str, object]:
    """Resources for the current environment; values are read when runs start, not at import."""
    return {
        "platform": PlatformResource(
            database_url=dg.EnvVar("DRA_DATABASE_URL"),
            data_dir=dg.EnvVar("DRA_DATA_DIR"),
        ),
        "dbt": build_dbt_resource(),
    }
