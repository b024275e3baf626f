"""Sign-in, sessions, API tokens and Google sign-in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """App-wide parts of authentication (called by ``create_app``):

    * Google sign-in client, when configured;
    * SMTP settings for mail sent from this process (``dra.mail.send_mail``);
    * CSRF is checked on every state-changing request except those that carry an
      ``Authorization: Bearer`` token: a browser cannot attach that header to a
      cross-site request, and such requests ignore the session cookie.
    """
    from dra.mail import MailConfig, configure
    from webapp.auth.google import init_oauth
    from webapp.auth.loader import bearer_token
    from webapp.extensions import csrf

    init_oauth(app)
    configure(MailConfig.from_settings(app.config["DRA_SETTINGS"]))

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below instead

    @app.before_request
    def _csrf_unless_bearer():
        if not app.config.get("WTF_CSRF_ENABLED", True) or bearer_token() is not None:
            return
        csrf.protect(apply_exemptions=True)
