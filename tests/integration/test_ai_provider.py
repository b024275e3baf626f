"""The provider module with the real client libraries against local fake servers."""

from __future__ import annotations

import socket
import time

import pytest

from dra.ai.errors import PROVIDER_UNAVAILABLE, AINotConfigured, AIProviderError
from dra.ai.provider import (
    GeminiProvider,
    OpenAICompatibleProvider,
    Turn,
    build_provider,
    configuration_problem,
)
from dra.settings import load_settings
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_openai import FakeOpenAI

SCHEMA = {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}
HISTORY = [Turn("user", "revenue by country")]


@pytest.fixture
def gemini():
    with FakeGemini(model="gemini-2.0-flash") as fake:
        yield fake


@pytest.fixture
def local_server():
    with FakeOpenAI(model="qwen2.5-coder") as fake:
        yield fake


def gemini_provider(fake, **kw):
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout_seconds", 5)
    return GeminiProvider(api_key="test-key", base_url=fake.url, retry_delay=0.01, **kw)


def openai_provider(fake, **kw):
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout_seconds", 5)
    return OpenAICompatibleProvider(base_url=fake.url + "/v1", model="qwen2.5-coder", **kw)


def test_gemini_sends_schema_system_prompt_and_history_and_counts_tokens(gemini):
    gemini.answer({"sql": "select 1"})
    answer = gemini_provider(gemini).generate(
        "You are a data modeler.", [*HISTORY, Turn("assistant", "{}"), Turn("user", "more")], SCHEMA
    )
    assert answer.parsed == {"sql": "select 1"}
    assert (answer.tokens_in, answer.tokens_out, answer.model) == (120, 45, "gemini-2.0-flash")
    sent = gemini.requests[0]
    assert sent.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "test-key"
    config = sent.body["generationConfig"]
    assert config["temperature"] == 0
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == SCHEMA
    assert gemini.system_text(0) == "You are a data modeler."
    assert [c["role"] for c in sent.body["contents"]] == ["user", "model", "user"]


def test_gemini_retries_a_503_then_succeeds(gemini):
    gemini.error(503).answer({"sql": "select 2"})
    answer = gemini_provider(gemini, max_retries=2).generate("s", HISTORY, SCHEMA)
    assert answer.parsed == {"sql": "select 2"}
    assert len(gemini.requests) == 2


def test_gemini_errors_after_its_retries_become_502(gemini):
    gemini.error(503).error(503)
    with pytest.raises(AIProviderError) as caught:
        gemini_provider(gemini, max_retries=1).generate("s", HISTORY, SCHEMA)
    assert caught.value.status == 502 and caught.value.message == PROVIDER_UNAVAILABLE
    assert "503" in caught.value.detail
    assert len(gemini.requests) == 2


def test_gemini_client_error_is_not_retried(gemini):
    gemini.error(400, "bad request")
    with pytest.raises(AIProviderError):
        gemini_provider(gemini, max_retries=3).generate("s", HISTORY, SCHEMA)
    assert len(gemini.requests) == 1


def test_gemini_timeout_becomes_502_within_the_timeout(gemini):
    gemini.slow(3)
    started = time.perf_counter()
    with pytest.raises(AIProviderError) as caught:
        gemini_provider(gemini, timeout_seconds=0.5).generate("s", HISTORY, SCHEMA)
    assert time.perf_counter() - started < 2.5
    assert "Timeout" in caught.value.detail


def test_unreachable_server_becomes_502():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    provider = GeminiProvider(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(AIProviderError) as caught:
        provider.generate("s", HISTORY, SCHEMA)
    assert "Connect" in caught.value.detail


def test_openai_compatible_server_gets_a_json_schema_and_the_conversation(local_server):
    local_server.answer({"sql": "select 3"})
    answer = openai_provider(local_server).generate("system text", HISTORY, SCHEMA)
    assert answer.parsed == {"sql": "select 3"}
    assert (answer.tokens_in, answer.tokens_out, answer.model) == (120, 45, "qwen2.5-coder")
    sent = local_server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["temperature"] == 0
    assert sent.body["response_format"]["type"] == "json_schema"
    assert sent.body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert sent.body["messages"] == [
        {"role": "system", "content": "system text"},
        {"role": "user", "content": "revenue by country"},
    ]


def test_openai_compatible_server_503_retried_then_timeout_is_502(local_server):
    local_server.error(503).answer({"sql": "select 4"})
    assert openai_provider(local_server, max_retries=1).generate("s", HISTORY, SCHEMA).parsed
    assert len(local_server.requests) == 2
    local_server.slow(3)
    with pytest.raises(AIProviderError) as caught:
        openai_provider(local_server, timeout_seconds=0.5).generate("s", HISTORY, SCHEMA)
    assert caught.value.status == 502


def test_fenced_or_broken_json_is_read_or_left_unparsed(gemini):
    gemini.text('```json\n{"sql": "select 5"}\n```').text("Sure! Here is your model: SELECT")
    provider = gemini_provider(gemini)
    assert provider.generate("s", HISTORY, SCHEMA).parsed == {"sql": "select 5"}
    broken = provider.generate("s", HISTORY, SCHEMA)
    assert broken.parsed is None and broken.text.startswith("Sure!")


def test_not_configured_says_how_to_enable_it(tmp_path):
    settings = load_settings({"DRA_DATA_DIR": str(tmp_path)})
    assert "DRA_GEMINI_API_KEY" in configuration_problem(settings)
    with pytest.raises(AINotConfigured) as caught:
        build_provider(settings)
    assert caught.value.status == 503
    local = load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_AI_PROVIDER": "openai"})
    assert "DRA_OPENAI_BASE_URL" in configuration_problem(local)
    ready = load_settings(
        {
            "DRA_DATA_DIR": str(tmp_path),
            "DRA_AI_PROVIDER": "openai",
            "DRA_OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
            "DRA_OPENAI_MODEL": "m",
        }
    )
    assert configuration_problem(ready) is None
    assert build_provider(ready).name == "openai"
