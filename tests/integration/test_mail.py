"""Outgoing mail through a real SMTP server (aiosmtpd on a free local port)."""

from dataclasses import replace

import pytest

from dra.mail import MailConfig, configure, deliver_pending, render_email, send_email, send_mail
from tests.support.smtp import SmtpServer, link_in, outbox

# The test server accepts AUTH without TLS on purpose (no certificates here).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(autouse=True)
def _no_process_smtp_afterwards():
    """An app built here sets this process's SMTP settings; later tests expect none."""
    yield
    configure(None)


@pytest.fixture
def smtp():
    server = SmtpServer(user="mailer", password="s3cret-pass").start()
    yield server
    server.stop()


def _config(smtp, **kw):
    return MailConfig(
        host=smtp.host,
        port=smtp.port,
        user="mailer",
        password="s3cret-pass",
        starttls=False,
        sender="DRA <no-reply@dra.test>",
        **kw,
    )


def test_registration_mail_arrives_over_smtp(settings, smtp, database):
    from webapp import create_app

    configured = replace(
        settings,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_user="mailer",
        smtp_password="s3cret-pass",
        smtp_starttls=False,
        mail_from="DRA Platform <no-reply@dra.test>",
    )
    app = create_app(
        configured,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        },
    )
    client = app.test_client()
    resp = client.post(
        "/auth/register",
        data={
            "first_name": "Ola",
            "last_name": "N",
            "email": "ola@example.com",
            "password": "Sunny-river-42",
            "confirm_password": "Sunny-river-42",
        },
    )
    assert resp.status_code == 200
    [received] = smtp.wait_for(1)
    assert received.rcpt_tos == ["ola@example.com"]
    assert received.message["From"] == "DRA Platform <no-reply@dra.test>"
    assert received.message["Subject"] == "Confirm your email address"
    text, html = received.body("plain"), received.body("html")
    assert "Hello Ola" in text and "<a href=" in html
    verify = link_in(text, "/auth/verify/")
    assert verify.split("/")[-1] in html
    [row] = outbox(database)
    assert row.sent_at is not None and row.attempts == 1 and row.error is None
    assert client.get(verify).status_code == 302  # the link that arrived works
    app.extensions["dra_database"].dispose()


def test_unreachable_server_is_recorded_and_retried(smtp, database):
    down = MailConfig(host="127.0.0.1", port=1, starttls=False, timeout=2)
    with database.system_session() as s:
        row = send_mail(
            s, to="a@example.com", subject="Hi", body="Plain body", category="account", config=down
        )
        assert row.sent_at is None and row.attempts == 1 and "ConnectionRefused" in row.error
    with database.system_session() as s:
        assert deliver_pending(s, _config(smtp)).sent == 1
    [received] = smtp.wait_for(1)
    assert received.body("plain").strip() == "Plain body"
    assert (
        received.message.get_body(preferencelist=("html",)) is None or received.body("html") == ""
    )
    [row] = outbox(database)
    assert row.sent_at is not None and row.error is None and row.attempts == 2


def test_wrong_smtp_password_is_an_error_not_a_crash(smtp, database):
    wrong = replace(_config(smtp), password="nope", timeout=3)
    with database.system_session() as s:
        row = send_mail(
            s, to="a@example.com", subject="Hi", body="x", category="account", config=wrong
        )
        assert row.sent_at is None and row.error.startswith("SMTP")
    assert smtp.messages == []


def test_opted_out_users_get_no_optional_mail(smtp, database, make_user):
    from dra.accounts.preferences import unsubscribe

    user = make_user()
    with database.system_session() as s:
        unsubscribe(s, user.id)
        assert (
            send_mail(
                s,
                to=user.email,
                subject="News",
                body="x",
                category="marketing",
                user_id=user.id,
                config=_config(smtp),
            )
            is None
        )
        assert (
            send_email(
                s,
                _config(smtp),
                to=user.email,
                template="reset_password",
                category="password_reset",
                user_id=user.id,
                name="A",
                reset_url="http://localhost/r",
                hours=1,
            )
            is not None
        )
    assert [m.message["Subject"] for m in smtp.wait_for(1)] == ["Reset your password"]


def test_html_bodies_escape_what_they_are_given():
    mail = render_email(
        "verify_email", name="<script>x</script>", verify_url="http://l/v?a=1&b=2", hours=24
    )
    assert "<script>x</script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "&amp;b=2" in mail.html and "<script>x</script>" in mail.text  # text is not HTML


def test_retries_skip_old_and_exhausted_messages(smtp, database):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from dra.models import EmailOutbox

    down = MailConfig(host="127.0.0.1", port=1, starttls=False, timeout=2)
    with database.system_session() as s:
        for subject in ("fresh", "old", "tired"):
            send_mail(
                s, to="a@example.com", subject=subject, body="x", category="account", config=down
            )
        s.execute(
            update(EmailOutbox)
            .where(EmailOutbox.subject == "old")
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
        s.execute(update(EmailOutbox).where(EmailOutbox.subject == "tired").values(attempts=5))
    with database.system_session() as s:
        outcome = deliver_pending(s, _config(smtp))
    assert (outcome.tried, outcome.sent, outcome.waiting) == (1, 1, 0)
    [received] = smtp.wait_for(1)
    assert received.message["Subject"] == "fresh"


def test_the_outbox_job_sends_what_waits(smtp, database, settings, monkeypatch):
    import dagster as dg

    from assets.mail import email_outbox_job
    from orchestration.resources import PlatformResource

    def run_job() -> bool:
        resources = {
            "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
        }
        job = dg.Definitions(jobs=[email_outbox_job], resources=resources).resolve_job_def(
            "email_outbox_job"
        )
        return job.execute_in_process().success

    down = MailConfig(host="127.0.0.1", port=1, starttls=False, timeout=2)
    with database.system_session() as s:
        send_mail(s, to="b@example.com", subject="Later", body="x", category="account", config=down)
    monkeypatch.delenv("DRA_SMTP_HOST", raising=False)
    assert run_job()  # no SMTP server configured: the message waits
    assert [r.sent_at for r in outbox(database)] == [None]
    for name, value in {
        "DRA_SMTP_HOST": smtp.host,
        "DRA_SMTP_PORT": str(smtp.port),
        "DRA_SMTP_STARTTLS": "false",
        "DRA_SMTP_USER": "mailer",
        "DRA_SMTP_PASSWORD": "s3cret-pass",
    }.items():
        monkeypatch.setenv(name, value)
    assert run_job()
    [received] = smtp.wait_for(1)
    assert received.message["Subject"] == "Later"
    assert outbox(database)[0].sent_at is not None
