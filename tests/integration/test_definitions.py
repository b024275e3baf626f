import subprocess
import sys

from dra.settings import PROJECT_ROOT


def test_dagster_definitions_validate(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_definitions_hold_the_expected_pieces():
    from orchestration.definitions import defs

    assert defs.resolve_job_def("daily_ingest")
    assert defs.get_schedule_def("daily_ingest_schedule").cron_schedule == "0 3 * * *"
    assert defs.get_sensor_def("pipeline_request_sensor")
    assert defs.get_sensor_def("pipeline_run_failed")
    # platform housekeeping and models built on models
    assert defs.get_schedule_def("email_outbox_schedule").job_name == "email_outbox_job"
    assert defs.get_schedule_def("account_deletion_schedule").job_name == "account_deletion_job"
    assert defs.get_schedule_def("ai_session_expiry_schedule").job_name == "ai_session_expiry_job"
    assert defs.get_sensor_def("model_refresh_after_ingest_sensor")
    assert defs.get_sensor_def("model_refresh_after_model_sensor")


def test_every_request_kind_has_its_job_run_in_one_process():
    """JOB_FOR_KIND (the web app's side) and the Definitions agree, kind by kind."""
    from dra.pipeline_requests import JOB_FOR_KIND
    from orchestration.definitions import REQUEST_TARGETS, defs
    from orchestration.requests import request_executor

    sensor = defs.get_sensor_def("pipeline_request_sensor")
    launched = {target.job_name for target in sensor.targets}
    for kind, route in JOB_FOR_KIND.items():
        job = defs.resolve_job_def(route.name)
        assert (job.partitions_def is not None) == route.partitioned, kind
        if route.partitioned:  # the sensor adds the partitions its requests name
            assert REQUEST_TARGETS[route.name].partitions_def == job.partitions_def, kind
        assert route.name in launched, f"the request sensor cannot launch {route.name}"
        # one process for the whole run, which writes its request's status itself
        assert job.executor_def is request_executor, route.name
    assert launched == {route.name for route in JOB_FOR_KIND.values()}


def _modules_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; what it prints as JSON."""
    import json

    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_DISABLE_TELEMETRY": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_resources_and_the_request_helper_import_no_assets_or_sensors():
    found = _modules_after(
        "import json, sys\n"
        "import orchestration.resources, orchestration.requests, orchestration.schedules\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('assets', 'sensors'))))"
    )
    assert found == []


def test_nothing_reads_the_environment_at_import_only_when_definitions_are_built():
    reads = _modules_after(
        "import json, os\n"
        "seen = []\n"
        "get = os._Environ.__getitem__\n"
        "def spy(self, key):\n"
        "    seen.append(key)\n"
        "    return get(self, key)\n"
        "os._Environ.__getitem__ = spy\n"
        "import orchestration.definitions\n"
        "import assets.accounts, assets.attribution, assets.backups, assets.data_models\n"
        "import assets.dbt, assets.ingestion, assets.mail, assets.quality, sensors.requests\n"
        "at_import = [k for k in seen if k.startswith('DRA_')]\n"
        "orchestration.definitions.defs\n"
        "print(json.dumps([at_import, [k for k in seen if k.startswith('DRA_')]]))"
    )
    at_import, after_build = reads
    assert at_import == []
    assert "DRA_DAILY_INGEST_CRON" in after_build  # read, when the definitions are built


def test_the_dbt_assets_are_built_once():
    from assets.dbt import build_dbt_assets
    from orchestration.definitions import defs

    assert build_dbt_assets() is build_dbt_assets()
    dbt = [a for a in defs.assets if getattr(a, "node_def", None) and a.op.name == "dbt_models"]
    assert dbt == [build_dbt_assets()]
