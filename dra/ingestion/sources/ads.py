"""Advertising and analytics sources (``dra.ads``): incremental by date, upserted.

The first load reads ``DRA_ADS_HISTORY_DAYS`` days up to today (in the account's time
zone); each later load reads from the day after the last one loaded, and at least the
platform's lookback window (late conversions change recent days), and upserts on the
table's unique key: a day read again replaces its rows, it is never counted twice. An
expired access token is renewed first (and stored again, encrypted); a revoked one
raises ``TokenRevoked``, which ``dra.ingestion.service`` turns into "reconnect needed".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from dra.ads import oauth
from dra.ads.platforms import (
    PLATFORM_KEYS,
    AdAccount,
    AdTable,
    OAuthToken,
    Platform,
    PlatformError,
    TokenRevoked,
    platform,
    scrub,
)
from dra.ingestion.connectors import decode_cursor, encode_cursor
from dra.ingestion.csv_files import Column
from dra.ingestion.loader import LoadResult, upsert_rows
from dra.ingestion.registry import SourceSnapshot, TableState, register
from dra.ingestion.sources.files import target_table
from dra.security.crypto import Vault


def account_today(account: AdAccount, now: datetime | None = None) -> date:
    """Today in the account's time zone (UTC when it has none or an unknown one)."""
    now = now or datetime.now(UTC)
    try:
        zone = ZoneInfo(account.time_zone) if account.time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()


def load_window(
    state: TableState | None, today: date, history_days: int, lookback_days: int
) -> tuple[date, date]:
    """(first, last) day to read: the history on a first load; else from the day after
    the last day loaded, reaching back at least ``lookback_days`` before today."""
    last_loaded = decode_cursor(state.cursor_value) if state and state.cursor_value else None
    if not isinstance(last_loaded, date):
        return today - timedelta(days=history_days - 1), today
    return min(last_loaded + timedelta(days=1), today - timedelta(days=lookback_days)), today


def _value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str)
    return value


def table_rows(
    table: AdTable, account: AdAccount, rows: Iterable[Mapping[str, Any]]
) -> Iterator[tuple[Any, ...]]:
    """The platform's rows as tuples in stored column order, the account's facts first."""
    head = (account.id, account.currency, account.time_zone)
    names = [c.name for c in table.columns]
    for row in rows:
        yield head + tuple(_value(row.get(n)) for n in names)


def _usable_token(
    conn: psycopg.Connection, source: SourceSnapshot, plat: Platform, log: Callable[[str], None]
) -> OAuthToken:
    token = OAuthToken.from_dict(source.connection["token"])
    token, renewed = oauth.fresh_token(plat, token)
    if renewed:
        vault = Vault(source.app_settings.encryption_keys)
        details = {**source.connection, "token": token.as_dict()}
        conn.execute(
            "update app.data_sources set connection_encrypted = %s where id = %s",
            (vault.encrypt_json(details), source.id),
        )
        log(f"{source.name}: the access token was renewed")
    return token


@register(*PLATFORM_KEYS)
def load_ad_source(
    conn: psycopg.Connection, source: SourceSnapshot, schema: str, log: Callable[[str], None]
) -> list[tuple[str, LoadResult]]:
    ads = source.app_settings.ads
    plat = platform(source.type, ads)
    account = AdAccount.from_dict(source.settings["account"])
    secrets: tuple[str, ...] = ()
    try:
        token = _usable_token(conn, source, plat, log)
        secrets = token.secrets
        today = account_today(account)
        used = {s.raw_table for s in source.tables_state.values()}
        loaded: list[tuple[str, LoadResult]] = []
        for table in plat.tables:
            start, end = load_window(
                source.tables_state.get(table.name), today, ads.history_days, plat.lookback_days
            )
            raw_table, reserved = target_table(source, table.name, used)
            columns = [Column(c.name, c.name, c.pg_type) for c in table.all_columns]
            result = upsert_rows(
                conn,
                schema,
                raw_table,
                columns,
                table.unique_key,
                table_rows(table, account, plat.fetch_table(token, account, table, start, end)),
                reserved=reserved,
            )
            used.add(result.table)
            log(
                f"{source.name}: {table.name} {start}..{end}: {result.rows} rows written "
                f"(now {result.total_rows}) in {schema}.{result.table}"
            )
            loaded.append(
                (
                    table.name,
                    LoadResult(
                        result.schema,
                        result.table,
                        result.rows,
                        result.columns,
                        previous_rows=result.previous_rows,
                        cursor_column=table.date_column,
                        cursor_value=encode_cursor(end),
                    ),
                )
            )
        return loaded
    except (TokenRevoked, PlatformError):
        raise
    except Exception as exc:  # the SDKs' own errors may quote a URL holding the token
        raise PlatformError(
            f"{plat.label}: {scrub(exc, secrets)[:500] or exc.__class__.__name__}"
        ) from None
