"""When the dbt manifest the Dagster assets read must be parsed again."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from dra.attribution.dbt_env import DBT_PROJECT_DIR
from orchestration.resources import manifest_is_stale


def test_a_manifest_older_than_the_project_files_is_stale(tmp_path):
    manifest = tmp_path / "manifest.json"
    project = SimpleNamespace(manifest_path=manifest, project_dir=DBT_PROJECT_DIR)
    assert manifest_is_stale(project)  # none yet
    manifest.write_text("{}")
    os.utime(manifest, (0, 0))  # written before any model
    assert manifest_is_stale(project)
    later = time.time() + 3600
    os.utime(manifest, (later, later))  # written after every file of dbt_project/
    assert not manifest_is_stale(project)


def test_a_fresh_manifest_is_not_parsed_again_under_dagster_dev(monkeypatch):
    """``dagster dev`` marks its code server and every run it starts as dev: none of them
    runs ``dbt parse`` again while the manifest is newer than the project's files."""
    from orchestration.resources import dbt_project, prepare_manifest

    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    dbt_project.cache_clear()
    project = dbt_project()  # parses only when this checkout's manifest is stale
    written = project.manifest_path.stat().st_mtime_ns
    dbt_project.cache_clear()
    assert not prepare_manifest(dbt_project())
    assert project.manifest_path.stat().st_mtime_ns == written


def test_a_missing_manifest_is_parsed_from_any_working_folder(tmp_path, monkeypatch):
    """A fresh checkout has no manifest: it is parsed into the project's target folder
    whatever folder the process runs in (dbt reads a relative target from the project)."""
    from orchestration.resources import dbt_project, prepare_manifest

    project = dbt_project()
    project.manifest_path.unlink()
    monkeypatch.chdir(tmp_path)
    assert prepare_manifest(project)
    assert project.manifest_path.exists()
    assert not list(project.manifest_path.parent.glob("parse-*"))


def test_a_project_elsewhere_is_judged_by_its_own_files(tmp_path):
    """A copy of the project (another checkout): parsed once into its own target folder,
    then fresh; an edit of one of its models makes it stale again."""
    import shutil

    from dagster_dbt import DbtProject

    from orchestration.resources import prepare_manifest

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    project = DbtProject(project_dir=copy, profiles_dir=copy)
    assert prepare_manifest(project)
    assert project.manifest_path.parent == copy / "target"
    assert not prepare_manifest(project)
    model = next((copy / "models").rglob("*.sql"))
    later = time.time() + 3600
    os.utime(model, (later, later))
    assert manifest_is_stale(project)
