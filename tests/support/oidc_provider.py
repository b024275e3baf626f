"""A small OpenID Connect provider standing in for Google in tests.

A real HTTP server on a random localhost port (werkzeug ``make_server`` in a thread)
with discovery, authorize, token and JWKS endpoints; ID tokens are signed RS256 with a
key generated at start (joserfc, the JOSE library authlib itself uses; ``authlib.jose`` is
deprecated). Set ``provider.identity`` before a sign-in to choose who the
"Google user" is (sub, email, email_verified, given_name, family_name).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "test-client.apps.example"
CLIENT_SECRET = "test-client-secret"  # noqa: S105 - a test credential


class OidcProvider:
    def __init__(self) -> None:
        self.kid = secrets.token_hex(4)
        self.key = RSAKey.generate_key(2048, parameters={"kid": self.kid})
        self.identity: dict[str, Any] = {
            "sub": "g-1",
            "email": "someone@gmail.test",
            "email_verified": True,
            "given_name": "Some",
            "family_name": "One",
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def start(self) -> OidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": grant["nonce"],
            **grant["identity"],
        }
        return jwt.encode({"alg": "RS256", "kid": self.kid}, claims, self.key)

    def _build_app(self) -> Flask:
        app = Flask("oidc_provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.base_url,
                authorization_endpoint=f"{self.base_url}/authorize",
                token_endpoint=f"{self.base_url}/token",
                jwks_uri=f"{self.base_url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            )

        @app.get("/authorize")
        def authorize():
            args = request.args
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                abort(400)
            if "openid" not in args.get("scope", "").split():
                abort(400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": args.get("nonce"),
                "redirect_uri": args["redirect_uri"],
                "identity": dict(self.identity),
            }
            sep = "&" if "?" in args["redirect_uri"] else "?"
            return redirect(f"{args['redirect_uri']}{sep}code={code}&state={args['state']}")

        @app.post("/token")
        def token():
            self.token_requests += 1
            auth = request.authorization
            client_id = auth.username if auth else request.form.get("client_id")
            secret = auth.password if auth else request.form.get("client_secret")
            if client_id != CLIENT_ID or secret != CLIENT_SECRET:
                return jsonify(error="invalid_client"), 401
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri"):
                return jsonify(error="invalid_grant"), 400
            return jsonify(
                access_token=secrets.token_urlsafe(16),
                token_type="Bearer",
                expires_in=3600,
                scope="openid email profile",
                id_token=self._id_token(grant),
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[self.key.as_dict(private=False)])

        return app
