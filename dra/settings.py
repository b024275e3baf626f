"""The one settings module: every setting comes from an environment variable.

Settings are read when the web app or the Dagster definitions are built
(``load_settings()``), never at import time.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from dra.ads.settings import AdsSettings, AdsSettingsError, load_ads_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_BUILD_TIMEOUT_SECONDS = 300
"""How long a data model's build may run its query (DRA_MODEL_BUILD_TIMEOUT_SECONDS)."""
AI_PROVIDERS = ("gemini", "openai")
"""DRA_AI_PROVIDER: Google Gemini, or an OpenAI-compatible server (Ollama, llama.cpp, vLLM)."""


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything that changes between a laptop, CI and production."""

    env: str
    data_dir: Path
    database_url: str | None
    secret_key: str
    encryption_keys: tuple[str, ...]
    web_host: str = "127.0.0.1"
    web_port: int = 5000
    dagster_port: int = 3000
    dagster_home: Path = field(default_factory=lambda: PROJECT_ROOT / "data" / "dagster")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "DRA Platform <no-reply@localhost>"
    gemini_api_key: str | None = None
    gemini_base_url: str | None = None
    ai_provider: str = "gemini"
    gemini_model: str = "gemini-2.0-flash"
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    openai_model: str | None = None
    ai_timeout_seconds: int = 60
    ai_max_retries: int = 2
    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    public_base_url: str = "http://127.0.0.1:5000"
    statement_timeout_ms: int = 15000
    model_build_timeout_seconds: int = DEFAULT_MODEL_BUILD_TIMEOUT_SECONDS
    upload_max_bytes: int = 500 * 1024 * 1024
    image_max_bytes: int = 10 * 1024 * 1024  # an article image (UC-ADM-13); above: 413
    restore_max_bytes: int = 20 * 1024**3  # a restored dump may inflate to this
    restore_max_ratio: int = 100  # refuse archive members compressed more than this
    daily_ingest_cron: str = "0 3 * * *"
    backup_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "data" / "backups")
    rate_limit_storage_uri: str = "memory://"
    trusted_proxies: int = 0
    force_https: bool = False
    demo_admin_email: str = "admin@demo.local"
    demo_admin_password: str = "demo-admin-pass-2026"  # noqa: S105 - the documented demo login
    ads: AdsSettings = field(default_factory=AdsSettings)
    """Advertising sources: OAuth clients, API URLs, history and lookback (dra.ads.settings)."""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"


def _proxy_hops(env: Mapping[str, str]) -> int:
    """DRA_TRUSTED_PROXIES: how many reverse proxies in front of the web app set
    X-Forwarded-For / X-Forwarded-Proto (0: none, the headers are ignored)."""
    hops = _int(env, "DRA_TRUSTED_PROXIES", 0)
    if not 0 <= hops <= 5:
        raise SettingsError(
            f"DRA_TRUSTED_PROXIES must be a number of proxies from 0 to 5, not {hops}"
        )
    return hops


def _ai_provider(env: Mapping[str, str]) -> str:
    value = (env.get("DRA_AI_PROVIDER") or "gemini").strip().lower()
    if value not in AI_PROVIDERS:
        raise SettingsError(f"DRA_AI_PROVIDER must be gemini or openai, not {value!r}")
    return value


def _retries(env: Mapping[str, str]) -> int:
    value = _int(env, "DRA_AI_MAX_RETRIES", 2)
    if not 0 <= value <= 10:
        raise SettingsError(f"DRA_AI_MAX_RETRIES must be from 0 to 10, not {value}")
    return value


def _local_secret(path: Path, make: callable) -> str:
    """Read a secret kept in the ignored data folder, creating it on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; raise SettingsError naming the variable."""
    env = os.environ if env is None else env
    mode = env.get("DRA_ENV", "development").strip().lower()
    if mode not in {"development", "test", "production"}:
        raise SettingsError(f"DRA_ENV must be development, test or production, not {mode!r}")
    data_dir = Path(env.get("DRA_DATA_DIR") or PROJECT_ROOT / "data").resolve()

    secret_key = env.get("DRA_SECRET_KEY", "")
    keys_raw = env.get("DRA_ENCRYPTION_KEYS", "")
    if mode == "production":
        if not secret_key:
            raise SettingsError("DRA_SECRET_KEY must be set in production (DRA_ENV=production)")
        if not keys_raw:
            raise SettingsError(
                "DRA_ENCRYPTION_KEYS must be set in production (DRA_ENV=production)"
            )
    if not secret_key:
        secret_key = _local_secret(data_dir / "secret_key", lambda: secrets.token_urlsafe(48))
    if not keys_raw:
        keys_raw = _local_secret(
            data_dir / "encryption_key", lambda: Fernet.generate_key().decode()
        )
    keys = tuple(k.strip() for k in keys_raw.split(",") if k.strip())
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SettingsError(
                f"DRA_ENCRYPTION_KEYS entry {index + 1} is not a valid Fernet key"
            ) from None

    database_url = env.get("DRA_DATABASE_URL") or None
    if database_url is not None:
        from dra.db import normalise_url  # local import: keeps settings free of SQLAlchemy

        database_url = normalise_url(database_url, variable="DRA_DATABASE_URL")

    web_port = _int(env, "DRA_WEB_PORT", 5000)
    try:
        ads = load_ads_settings(env)
    except AdsSettingsError as exc:
        raise SettingsError(str(exc)) from None
    web_host = env.get("DRA_WEB_HOST", "127.0.0.1")
    return Settings(
        env=mode,
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret_key,
        encryption_keys=keys,
        web_host=web_host,
        web_port=web_port,
        dagster_port=_int(env, "DRA_DAGSTER_PORT", 3000),
        dagster_home=Path(env.get("DAGSTER_HOME") or data_dir / "dagster").resolve(),
        smtp_host=env.get("DRA_SMTP_HOST") or None,
        smtp_port=_int(env, "DRA_SMTP_PORT", 587),
        smtp_user=env.get("DRA_SMTP_USER") or None,
        smtp_password=env.get("DRA_SMTP_PASSWORD") or None,
        smtp_starttls=_bool(env, "DRA_SMTP_STARTTLS", True),
        mail_from=env.get("DRA_MAIL_FROM", "DRA Platform <no-reply@localhost>"),
        gemini_api_key=env.get("DRA_GEMINI_API_KEY") or None,
        gemini_base_url=env.get("DRA_GEMINI_BASE_URL") or None,
        ai_provider=_ai_provider(env),
        gemini_model=env.get("DRA_GEMINI_MODEL") or "gemini-2.0-flash",
        openai_base_url=env.get("DRA_OPENAI_BASE_URL") or None,
        openai_api_key=env.get("DRA_OPENAI_API_KEY") or None,
        openai_model=env.get("DRA_OPENAI_MODEL") or None,
        ai_timeout_seconds=_positive(env, "DRA_AI_TIMEOUT_SECONDS", 60),
        ai_max_retries=_retries(env),
        google_client_id=env.get("DRA_GOOGLE_CLIENT_ID") or None,
        google_client_secret=env.get("DRA_GOOGLE_CLIENT_SECRET") or None,
        google_discovery_url=env.get(
            "DRA_GOOGLE_DISCOVERY_URL",
            "https://accounts.google.com/.well-known/openid-configuration",
        ),
        public_base_url=env.get("DRA_PUBLIC_BASE_URL", f"http://{web_host}:{web_port}"),
        statement_timeout_ms=_int(env, "DRA_STATEMENT_TIMEOUT_MS", 15000),
        model_build_timeout_seconds=_positive(
            env, "DRA_MODEL_BUILD_TIMEOUT_SECONDS", DEFAULT_MODEL_BUILD_TIMEOUT_SECONDS
        ),
        upload_max_bytes=_int(env, "DRA_UPLOAD_MAX_BYTES", 500 * 1024 * 1024),
        image_max_bytes=_positive(env, "DRA_IMAGE_MAX_BYTES", 10 * 1024 * 1024),
        restore_max_bytes=_positive(env, "DRA_RESTORE_MAX_BYTES", 20 * 1024**3),
        restore_max_ratio=_positive(env, "DRA_RESTORE_MAX_RATIO", 100),
        daily_ingest_cron=env.get("DRA_DAILY_INGEST_CRON", "0 3 * * *"),
        backup_dir=Path(env.get("DRA_BACKUP_DIR") or data_dir / "backups").resolve(),
        rate_limit_storage_uri=env.get("DRA_RATE_LIMIT_STORAGE_URI", "memory://"),
        trusted_proxies=_proxy_hops(env),
        force_https=_bool(env, "DRA_FORCE_HTTPS", mode == "production"),
        demo_admin_email=env.get("DRA_DEMO_ADMIN_EMAIL", "admin@demo.local"),
        demo_admin_password=env.get("DRA_DEMO_ADMIN_PASSWORD", "demo-admin-pass-2026"),
        ads=ads,
    )
