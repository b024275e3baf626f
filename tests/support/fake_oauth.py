"""A generic OAuth 2 provider for tests (Google, LinkedIn, Meta all look like this).

A real HTTP server on a random localhost port (werkzeug in a thread):

- ``GET /authorize``: checks client id, ``response_type=code``, the redirect URI and a
  PKCE S256 challenge, then redirects back with ``code`` and ``state`` (or with
  ``error=access_denied`` when ``deny`` is set, like a person clicking "Cancel");
- ``POST /token``: ``authorization_code`` (client secret by form or Basic, redirect URI
  and ``code_verifier`` checked against the challenge) and ``refresh_token`` grants;
  a revoked refresh token answers 400 ``invalid_grant``.

API fakes ask :meth:`FakeOAuthProvider.valid` whether an access token is current.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from typing import Any

from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

CLIENT_ID = "ads-test-client"
CLIENT_SECRET = "ads-test-secret"  # noqa: S105 - a test credential


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FakeOAuthProvider:
    def __init__(self, *, issue_refresh_tokens: bool = True, expires_in: int = 3600) -> None:
        self.issue_refresh_tokens = issue_refresh_tokens
        self.expires_in = expires_in
        self.deny = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.revoked: set[str] = set()
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    def env(self, prefix: str) -> dict[str, str]:
        """Settings pointing a provider (``DRA_META``, ``DRA_LINKEDIN``, ``DRA_GOOGLE``) here."""
        return {
            f"{prefix}_CLIENT_ID": CLIENT_ID,
            f"{prefix}_CLIENT_SECRET": CLIENT_SECRET,
            f"{prefix}_AUTHORIZE_URL": self.authorize_url,
            f"{prefix}_TOKEN_URL": self.token_url,
        }

    def start(self) -> FakeOAuthProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def valid(self, access_token: str | None) -> bool:
        return bool(access_token) and access_token in self.access_tokens

    def issue(self) -> dict[str, Any]:
        """A fresh token pair, as the token endpoint would answer."""
        access = "at-" + secrets.token_urlsafe(12)
        self.access_tokens.add(access)
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if self.issue_refresh_tokens:
            refresh = "rt-" + secrets.token_urlsafe(12)
            self.refresh_tokens.add(refresh)
            answer["refresh_token"] = refresh
        return answer

    def revoke_all(self) -> None:
        """The person removed the app's access: every token stops working."""
        self.revoked |= self.refresh_tokens
        self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def _build_app(self) -> Flask:
        app = Flask("fake_oauth")

        @app.get("/authorize")
        def authorize():
            args = request.args.to_dict()
            self.authorize_requests.append(args)
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                return jsonify(error="invalid_request"), 400
            if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
                return jsonify(error="invalid_request", error_description="PKCE required"), 400
            sep = "&" if "?" in args["redirect_uri"] else "?"
            if self.deny:
                return redirect(
                    f"{args['redirect_uri']}{sep}error=access_denied&state={args['state']}"
                )
            code = secrets.token_urlsafe(12)
            self.codes[code] = {
                "redirect_uri": args["redirect_uri"],
                "challenge": args["code_challenge"],
                "scope": args.get("scope", ""),
            }
            return redirect(f"{args['redirect_uri']}{sep}code={code}&state={args['state']}")

        @app.post("/token")
        def token():
            form = request.form.to_dict()
            self.token_requests.append(form)
            auth = request.authorization
            client_id = auth.username if auth else form.get("client_id")
            secret = auth.password if auth else form.get("client_secret")
            if client_id != CLIENT_ID or secret != CLIENT_SECRET:
                return jsonify(error="invalid_client"), 401
            grant = form.get("grant_type")
            if grant == "authorization_code":
                pending = self.codes.pop(form.get("code", ""), None)
                if (
                    pending is None
                    or pending["redirect_uri"] != form.get("redirect_uri")
                    or s256(form.get("code_verifier", "")) != pending["challenge"]
                ):
                    return jsonify(error="invalid_grant"), 400
                return jsonify(self.issue())
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self.refresh_tokens or refresh in self.revoked:
                    return jsonify(
                        error="invalid_grant", error_description="Token has been revoked."
                    ), 400
                answer = self.issue()
                answer.pop("refresh_token", None)
                return jsonify(answer)
            return jsonify(error="unsupported_grant_type"), 400

        return app
