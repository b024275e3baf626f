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
    assert defs.get_sensor_def("model_refresh_after_ingest_sensor")
    assert defs.get_sensor_def("model_refresh_after_model_sensor")
