"""When the dbt manifest the Dagster assets read must be parsed again."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from assets.dbt import manifest_is_stale


def test_a_manifest_older_than_the_project_files_is_stale(tmp_path):
    manifest = tmp_path / "manifest.json"
    project = SimpleNamespace(manifest_path=manifest)
    assert manifest_is_stale(project)  # none yet
    manifest.write_text("{}")
    os.utime(manifest, (0, 0))  # written before any model
    assert manifest_is_stale(project)
    later = time.time() + 3600
    os.utime(manifest, (later, later))  # written after every file of dbt_project/
    assert not manifest_is_stale(project)
