"""One error type: every domain error is a DraError, raised with one constructor shape."""

from __future__ import annotations

import pytest

from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.admin.errors import AdminError
from dra.attribution.keys import WriteKeyError
from dra.attribution.reports import ReportError
from dra.attribution.tracking import TrackingError
from dra.billing.limits import Limit, LimitExceeded
from dra.dashboards.service import DashboardError
from dra.errors import Conflict, DraError, Forbidden, Invalid
from dra.errors import NotFound as BaseNotFound
from dra.ingestion.connectors import InvalidDetails
from dra.ingestion.csv_files import FileFormatError
from dra.ingestion.service import SourceGone
from dra.modeling.errors import ModelingError
from dra.operations.archive import InvalidBackup
from dra.operations.backups import BackupError
from dra.operations.db_access import AccessError
from dra.operations.locking import OperationBusy
from dra.operations.pgtools import ToolError
from dra.operations.restore import RestoreError
from dra.operations.schedules import ScheduleError, validate
from dra.projects.errors import ProjectError
from dra.quality.reports import QualityError
from dra.security.json_input import JSONInputError
from dra.settings import SettingsError
from dra.sources.service import SourceError
from dra.sources.uploads import UploadRejected

DOMAIN_ERRORS = [
    AccountError,
    ValidationFailed,
    NotFound,
    AdminError,
    WriteKeyError,
    ReportError,
    TrackingError,
    LimitExceeded,
    DashboardError,
    InvalidDetails,
    FileFormatError,
    SourceGone,
    ModelingError,
    InvalidBackup,
    BackupError,
    AccessError,
    OperationBusy,
    ToolError,
    RestoreError,
    ScheduleError,
    ProjectError,
    QualityError,
    JSONInputError,
    SourceError,
    UploadRejected,
]


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: c.__name__)
def test_every_domain_error_is_a_dra_error_with_one_constructor(cls):
    assert issubclass(cls, DraError)
    exc = cls("Give it a name.", status=422, field="name")
    assert (exc.message, exc.status, exc.field, str(exc)) == (
        "Give it a name.",
        422,
        "name",
        "Give it a name.",
    )


def test_class_defaults_give_the_status():
    assert BaseNotFound().status == 404 and NotFound().message == "Not found."
    assert Conflict("x").status == 409 and OperationBusy("busy").status == 409
    assert Forbidden("x").status == 403 and Invalid("x").status == 422
    assert ValidationFailed(errors={"a": "A is bad."}).status == 422
    assert AccountError("x").status == 400 and BackupError("x").status == 500


def test_several_fields_keep_their_messages_and_the_first_names_the_error():
    exc = ValidationFailed(errors={"email": "Enter an email.", "password": "Too short."})
    assert exc.field == "email" and exc.message == "Enter an email. Too short."
    assert exc.errors == {"email": "Enter an email.", "password": "Too short."}
    assert AdminError("No.").errors == {"form": "No."}


def test_the_json_body_names_message_field_and_fields():
    body = TrackingError("Missing required fields: a, b.", errors={"a": "m", "b": "m"}).as_dict()
    assert body["error"] == body["message"] == "Missing required fields: a, b."
    assert body["fields"] == ["a", "b"] and body["field"] == "a" and body["status"] == 400
    assert body["title"] == "Bad request"
    assert ModelingError("Bad.", status=409).as_dict()["title"] == "Conflict"


def test_limit_exceeded_says_the_plan_and_answers_403():
    exc = LimitExceeded.of(Limit.PROJECTS, 3, "Free")
    assert exc.status == 403 and exc.maximum == 3 and exc.tier == "Free"
    assert exc.message == "Your Free plan allows 3 projects. Upgrade your plan to add more."


def test_schedule_errors_name_the_field_in_the_one_shape():
    with pytest.raises(ScheduleError) as caught:
        validate("n", "not cron", 3)
    assert caught.value.field == "cron" and caught.value.status == 422
    assert "not a valid cron expression" in str(caught.value)


def test_process_level_errors_stay_apart():
    assert not issubclass(SettingsError, DraError)


def test_one_line_names_are_cleaned_one_way():
    from dra.dashboards.service import _name
    from dra.errors import one_line_text
    from dra.modeling.service import _clean_name

    missing, too_long = Invalid("Name it.", field="name"), DraError("Too long.", field="name")
    assert one_line_text("  Monthly \n revenue ", missing=missing, too_long=too_long, limit=20) == (
        "Monthly revenue"
    )
    for bad in (None, 3, "  \t"):
        with pytest.raises(Invalid) as err:
            one_line_text(bad, missing=missing, too_long=too_long, limit=20)
        assert err.value is missing
    with pytest.raises(DraError) as err:
        one_line_text("x" * 21, missing=missing, too_long=too_long, limit=20)
    assert err.value is too_long
    # the dashboards' and the data models' names, each with its own words
    for clean, noun in ((_name, "the dashboard"), (_clean_name, "the data model")):
        assert clean(" A  b ") == "A b"
        with pytest.raises(ModelingError) as err:
            clean(" ")
        assert (err.value.message, err.value.status, err.value.field) == (
            f"Give {noun} a name.",
            422,
            "name",
        )
        with pytest.raises(ModelingError) as err:
            clean("x" * 201)
        assert (err.value.message, err.value.status) == (
            "Names are limited to 200 characters.",
            400,
        )
