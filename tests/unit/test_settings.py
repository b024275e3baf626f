import pytest
from cryptography.fernet import Fernet

from dra.db import DatabaseConfigError
from dra.settings import SettingsError, load_settings


def test_local_mode_generates_and_keeps_secrets(tmp_path):
    env = {"DRA_DATA_DIR": str(tmp_path)}
    first = load_settings(env)
    second = load_settings(env)
    assert first.secret_key == second.secret_key and len(first.secret_key) > 40
    assert first.encryption_keys == second.encryption_keys
    Fernet(first.encryption_keys[0])
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("missing", ["DRA_SECRET_KEY", "DRA_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_secrets(tmp_path, missing):
    env = {
        "DRA_ENV": "production",
        "DRA_DATA_DIR": str(tmp_path),
        "DRA_SECRET_KEY": "x" * 50,
        "DRA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    del env[missing]
    with pytest.raises(SettingsError, match=missing):
        load_settings(env)
    assert not (tmp_path / "secret_key").exists()


def test_malformed_database_url_names_the_variable(tmp_path):
    with pytest.raises(DatabaseConfigError, match="DRA_DATABASE_URL"):
        load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_DATABASE_URL": "not a url"})
    with pytest.raises(DatabaseConfigError, match="PostgreSQL"):
        load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_DATABASE_URL": "mysql://h/db"})


def test_database_url_uses_psycopg3(tmp_path):
    s = load_settings(
        {
            "DRA_DATA_DIR": str(tmp_path),
            "DRA_DATABASE_URL": "postgresql://u:p@db.example.com:5433/dra",
        }
    )
    assert s.database_url == "postgresql+psycopg://u:p@db.example.com:5433/dra"
    assert not s.embedded_database


def test_bad_numbers_and_keys_are_named(tmp_path):
    with pytest.raises(SettingsError, match="DRA_WEB_PORT"):
        load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_WEB_PORT": "eighty"})
    with pytest.raises(SettingsError, match="DRA_ENCRYPTION_KEYS entry 1"):
        load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_ENCRYPTION_KEYS": "short"})
    with pytest.raises(SettingsError, match="DRA_ENV"):
        load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_ENV": "staging"})


def test_model_build_timeout_has_a_default_and_must_be_positive(tmp_path):
    assert load_settings({"DRA_DATA_DIR": str(tmp_path)}).model_build_timeout_seconds == 300
    env = {"DRA_DATA_DIR": str(tmp_path), "DRA_MODEL_BUILD_TIMEOUT_SECONDS": "42"}
    assert load_settings(env).model_build_timeout_seconds == 42
    for bad in ("0", "-5", "ten"):
        with pytest.raises(SettingsError, match="DRA_MODEL_BUILD_TIMEOUT_SECONDS"):
            load_settings({**env, "DRA_MODEL_BUILD_TIMEOUT_SECONDS": bad})


def test_trusted_proxies_and_https_settings(tmp_path):
    local = load_settings({"DRA_DATA_DIR": str(tmp_path)})
    assert local.trusted_proxies == 0 and local.force_https is False
    production = {
        "DRA_ENV": "production",
        "DRA_DATA_DIR": str(tmp_path),
        "DRA_SECRET_KEY": "x" * 50,
        "DRA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    assert load_settings(production).force_https is True
    assert load_settings({**production, "DRA_FORCE_HTTPS": "false"}).force_https is False
    behind = load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_TRUSTED_PROXIES": "2"})
    assert behind.trusted_proxies == 2
    for bad in ("-1", "9", "one"):
        with pytest.raises(SettingsError, match="DRA_TRUSTED_PROXIES"):
            load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_TRUSTED_PROXIES": bad})


def test_ai_provider_settings_defaults_and_checks(tmp_path):
    base = {"DRA_DATA_DIR": str(tmp_path)}
    s = load_settings(base)
    assert s.ai_provider == "gemini" and s.gemini_model == "gemini-2.0-flash"
    assert s.ai_timeout_seconds == 60 and s.ai_max_retries == 2
    assert s.openai_base_url is None and s.openai_model is None
    local = load_settings(
        {
            **base,
            "DRA_AI_PROVIDER": "OpenAI",
            "DRA_OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
            "DRA_OPENAI_MODEL": "qwen2.5-coder",
            "DRA_AI_TIMEOUT_SECONDS": "5",
            "DRA_AI_MAX_RETRIES": "0",
        }
    )
    assert local.ai_provider == "openai" and local.openai_model == "qwen2.5-coder"
    assert local.ai_timeout_seconds == 5 and local.ai_max_retries == 0
    with pytest.raises(SettingsError, match="DRA_AI_PROVIDER"):
        load_settings({**base, "DRA_AI_PROVIDER": "claude"})
    with pytest.raises(SettingsError, match="DRA_AI_TIMEOUT_SECONDS"):
        load_settings({**base, "DRA_AI_TIMEOUT_SECONDS": "0"})
    with pytest.raises(SettingsError, match="DRA_AI_MAX_RETRIES"):
        load_settings({**base, "DRA_AI_MAX_RETRIES": "-1"})
