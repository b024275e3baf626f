"""A local fake of the Google Ads API that the real ``google-ads`` client reaches over gRPC
with TLS (the client never talks plain text): ``endpoint="localhost:PORT"``.

The certificate is self-signed, made at start with ``cryptography`` (SAN localhost and
127.0.0.1), and written to a file; gRPC trusts it through
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``, which gRPC reads once, when a process makes its
first TLS channel: ``use_fake_roots()`` points it at one file per process before that and
every fake of the process serves a certificate signed by the same key.

Served: ``CustomerService/ListAccessibleCustomers``, ``GoogleAdsService/SearchStream``
for the GAQL queries the platform sends (``customer_client`` under a manager account,
``campaign`` and ``ad_group`` performance ``WHERE segments.date BETWEEN 'a' AND 'b'``),
rows in batches of ``batch_size`` (the stream's pages). ``script.throttle(n)`` answers
RESOURCE_EXHAUSTED with a GoogleAdsFailure (QuotaError) in the trailing metadata, as the
API does; a revoked access token gets UNAUTHENTICATED.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.fake_ads import DailyNumbers, Script, days_between

VERSION = "v26"
_CERT_LOCK = threading.Lock()
_CERT: tuple[bytes, bytes, str] | None = None


def use_fake_roots() -> str:
    """Make (once per process) the fake's key and certificate, point gRPC's default roots
    at the certificate, and return its path. Call before the first TLS channel."""
    global _CERT
    with _CERT_LOCK:
        if _CERT is None:
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
            now = dt.datetime.now(dt.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=2))
                .add_extension(
                    x509.SubjectAlternativeName(
                        [
                            x509.DNSName("localhost"),
                            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                        ]
                    ),
                    critical=False,
                )
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256())
            )
            cert_pem = cert.public_bytes(serialization.Encoding.PEM)
            key_pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            folder = Path(tempfile.mkdtemp(prefix="fake-google-ads-"))
            path = folder / "roots.pem"
            path.write_bytes(cert_pem)
            _CERT = (key_pem, cert_pem, str(path))
        os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = _CERT[2]
        return _CERT[2]


@dataclass
class AdsCustomer:
    id: str
    name: str
    currency: str = "EUR"
    time_zone: str = "Europe/Berlin"
    manager: bool = False
    clients: list[str] = field(default_factory=list)
    """Ids of the accounts this manager account manages."""


@dataclass
class FakeGoogleAds:
    customers: list[AdsCustomer] = field(
        default_factory=lambda: [
            AdsCustomer("1112223333", "Agency MCC", manager=True, clients=["4445556666"]),
            AdsCustomer(
                "4445556666", "Coffee shop ads", currency="USD", time_zone="America/Chicago"
            ),
        ]
    )
    accessible: list[str] = field(default_factory=lambda: ["1112223333"])
    """The customers the token's user has direct access to (ListAccessibleCustomers)."""
    campaigns: int = 3
    ad_groups_per_campaign: int = 2
    numbers: DailyNumbers = field(default_factory=DailyNumbers)
    script: Script = field(default_factory=Script)
    batch_size: int = 10000
    developer_token: str = "dev-token"
    test_only_token: str = "test-only-dev-token"
    """A developer token approved for test accounts only: refused on these (real) ones."""
    searches: list[dict[str, Any]] = field(default_factory=list)
    """customer_id, query and login-customer-id of every SearchStream call, in order."""
    serve_seconds: float = 0.0
    """Time the fake spent building and encoding rows (for the benchmark)."""

    # --- data ------------------------------------------------------------------------
    def campaign_rows(self, start: date, end: date) -> list[dict[str, Any]]:
        return list(self.iter_campaign_rows(start, end))

    def ad_group_rows(self, start: date, end: date) -> list[dict[str, Any]]:
        return list(self.iter_ad_group_rows(start, end))

    def iter_campaign_rows(self, start: date, end: date) -> Iterator[dict[str, Any]]:
        return (
            self._metrics(
                day,
                c,
                {
                    "campaign_id": 100 + c,
                    "campaign_name": f"Campaign {c}",
                    "channel_type": 2 if c % 2 == 0 else 3,  # SEARCH, DISPLAY
                },
            )
            for day in days_between(start, end)
            if self.numbers.active(day)
            for c in range(self.campaigns)
        )

    def iter_ad_group_rows(self, start: date, end: date) -> Iterator[dict[str, Any]]:
        for day in days_between(start, end):
            if not self.numbers.active(day):
                continue
            for c in range(self.campaigns):
                for g in range(self.ad_groups_per_campaign):
                    entity = 1000 + c * self.ad_groups_per_campaign + g
                    yield self._metrics(
                        day,
                        entity,
                        {
                            "campaign_id": 100 + c,
                            "campaign_name": f"Campaign {c}",
                            "ad_group_id": 5000 + entity,
                            "ad_group_name": f"Ad group {c}.{g}",
                        },
                    )

    def _metrics(self, day: date, entity: int, keys: dict[str, Any]) -> dict[str, Any]:
        v = self.numbers.value
        clicks = v(day, entity, 1)
        return {
            "date": day,
            **keys,
            "impressions": v(day, entity, 0) * 40,
            "clicks": clicks,
            "cost_micros": clicks * 350_000,
            "conversions": v(day, entity, 2) % 5 + 0.5,
            "conversions_value": (v(day, entity, 2) % 5) * 12.5,
        }

    # --- server ------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"localhost:{self.port}"

    def __enter__(self) -> FakeGoogleAds:
        use_fake_roots()
        import grpc
        from google.ads.googleads.v26.services.types import customer_service as cs
        from google.ads.googleads.v26.services.types import google_ads_service as gas

        assert _CERT is not None
        key_pem, cert_pem, _ = _CERT
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    f"google.ads.googleads.{VERSION}.services.GoogleAdsService",
                    {
                        "SearchStream": grpc.unary_stream_rpc_method_handler(
                            self._search_stream,
                            request_deserializer=gas.SearchGoogleAdsStreamRequest.deserialize,
                            response_serializer=_serialize,
                        )
                    },
                ),
                grpc.method_handlers_generic_handler(
                    f"google.ads.googleads.{VERSION}.services.CustomerService",
                    {
                        "ListAccessibleCustomers": grpc.unary_unary_rpc_method_handler(
                            self._list_accessible,
                            request_deserializer=cs.ListAccessibleCustomersRequest.deserialize,
                            response_serializer=cs.ListAccessibleCustomersResponse.serialize,
                        )
                    },
                ),
            )
        )
        creds = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        self.port = self._server.add_secure_port("localhost:0", creds)
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None).wait(5)

    # --- handlers ----------------------------------------------------------------------
    def _check(self, context: Any, *, data: bool) -> None:
        import grpc

        metadata = dict(context.invocation_metadata())
        if self.script.token_refused(metadata.get("authorization")):
            context.abort_with_status(
                _status(grpc.StatusCode.UNAUTHENTICATED, "authentication_error", 2, "")
            )
        if data and metadata.get("developer-token") == self.test_only_token:
            context.abort_with_status(
                _status(
                    grpc.StatusCode.PERMISSION_DENIED,
                    "authorization_error",
                    10,  # AuthorizationErrorEnum.DEVELOPER_TOKEN_NOT_APPROVED
                    "The developer token is only approved for use with test accounts.",
                )
            )
        if metadata.get("developer-token") not in (self.developer_token, self.test_only_token):
            context.abort_with_status(
                _status(
                    grpc.StatusCode.PERMISSION_DENIED,
                    "authorization_error",
                    4,  # AuthorizationErrorEnum.DEVELOPER_TOKEN_PROHIBITED
                    "The developer token is not valid.",
                )
            )
        if data and self.script.take_throttle():
            context.abort_with_status(
                _status(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    "quota_error",
                    2,  # QuotaErrorEnum.RESOURCE_EXHAUSTED
                    "Too many requests. Retry in 1 seconds.",
                )
            )

    def _list_accessible(self, request: Any, context: Any) -> Any:
        from google.ads.googleads.v26.services.types import customer_service as cs

        self._check(context, data=False)
        return cs.ListAccessibleCustomersResponse(
            resource_names=[f"customers/{cid}" for cid in self.accessible]
        )

    def _search_stream(self, request: Any, context: Any) -> Any:
        from google.ads.googleads.v26.services.types import google_ads_service as gas

        metadata = dict(context.invocation_metadata())
        self.searches.append(
            {
                "customer_id": request.customer_id,
                "query": request.query,
                "login_customer_id": metadata.get("login-customer-id"),
            }
        )
        self._check(context, data=True)
        resource = re.search(r"\bFROM\s+(\w+)", request.query, re.IGNORECASE)
        kind = resource.group(1).lower() if resource else ""
        if kind == "customer_client":
            rows: Iterator[Any] = iter(
                gas.GoogleAdsRow.pb(r) for r in self._customer_client_rows(request.customer_id)
            )
        elif kind in ("campaign", "ad_group"):
            span = re.search(
                r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'",
                request.query,
                re.IGNORECASE,
            )
            if span is None:
                self._invalid(context, "The fake needs a segments.date BETWEEN range.")
            start, end = (date.fromisoformat(span.group(i)) for i in (1, 2))
            data = self.iter_campaign_rows if kind == "campaign" else self.iter_ad_group_rows
            rows = (_ads_row(r) for r in data(start, end))
        else:
            self._invalid(context, f"The fake does not serve FROM {kind}.")
        # Batch by batch, never the whole answer in memory (the benchmark streams 365,000
        # rows), as raw protobuf messages (proto-plus wrappers would slow the fake down).
        response = gas.SearchGoogleAdsStreamResponse.pb()
        first = True
        while True:
            began = time.perf_counter()
            batch = list(islice(rows, self.batch_size))
            message = response(results=batch, request_id="fake")
            self.serve_seconds += time.perf_counter() - began
            if batch or first:
                yield message
            first = False
            if len(batch) < self.batch_size:
                return

    def _customer_client_rows(self, customer_id: str) -> list[Any]:
        """The customer itself (level 0) and, for a manager, its clients (level 1)."""
        from google.ads.googleads.v26.resources.types.customer_client import CustomerClient
        from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow

        by_id = {c.id: c for c in self.customers}
        me = by_id.get(customer_id)
        if me is None:
            return []
        out = []
        for level, cid in [(0, customer_id)] + [(1, c) for c in me.clients]:
            c = by_id[cid]
            out.append(
                GoogleAdsRow(
                    customer_client=CustomerClient(
                        resource_name=f"customers/{customer_id}/customerClients/{cid}",
                        client_customer=f"customers/{cid}",
                        id=int(cid),
                        descriptive_name=c.name,
                        currency_code=c.currency,
                        time_zone=c.time_zone,
                        manager=c.manager,
                        level=level,
                        status=2,  # CustomerStatusEnum.ENABLED
                    )
                )
            )
        return out

    def _invalid(self, context: Any, message: str) -> None:
        import grpc

        context.abort_with_status(
            _status(grpc.StatusCode.INVALID_ARGUMENT, "query_error", 1, message)
        )


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()


def _ads_row(row: dict[str, Any]) -> Any:
    """A raw protobuf GoogleAdsRow for one row of the fake's data."""
    fields: dict[str, Any] = {
        "segments": {"date": row["date"].isoformat()},
        "campaign": {
            "id": row["campaign_id"],
            "name": row["campaign_name"],
            "advertising_channel_type": row.get("channel_type", 0),
        },
        "metrics": {
            "impressions": row["impressions"],
            "clicks": row["clicks"],
            "cost_micros": row["cost_micros"],
            "conversions": row["conversions"],
            "conversions_value": row["conversions_value"],
        },
    }
    if "ad_group_id" in row:
        fields["ad_group"] = {"id": row["ad_group_id"], "name": row["ad_group_name"]}
    return _row_message()(**fields)


@functools.cache
def _row_message() -> Any:
    from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow

    return GoogleAdsRow.pb()


def _status(code: Any, error_field: str, error_value: int, message: str) -> Any:
    """A gRPC status whose trailing metadata carries a GoogleAdsFailure, as the API sends."""
    import grpc
    from google.ads.googleads.v26.errors.types.errors import (
        ErrorCode,
        GoogleAdsError,
        GoogleAdsFailure,
    )

    failure = GoogleAdsFailure(
        errors=[
            GoogleAdsError(
                error_code=ErrorCode(**{error_field: error_value}), message=message or code.name
            )
        ],
        request_id="fake",
    )

    class _Status(grpc.Status):
        pass

    status = _Status()
    status.code = code
    status.details = message or code.name
    status.trailing_metadata = (
        (
            f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin",
            GoogleAdsFailure.serialize(failure),
        ),
        ("request-id", "fake"),
    )
    return status
