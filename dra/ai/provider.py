"""The one place that builds the language-model client, for either provider.

``build_provider(settings)`` returns a :class:`Provider` with one method::

    generate(system: str, history: list[Turn], schema: dict) -> ProviderAnswer

``system`` is the system prompt, ``history`` the conversation (oldest first, ending with
the user's turn), ``schema`` the JSON Schema the answer must follow (structured output,
temperature 0). The answer carries the text, the parsed JSON (None when it is not JSON),
the tokens counted in and out, and the model's name.

- ``gemini`` (``DRA_AI_PROVIDER``, the default): ``google-genai`` with
  ``DRA_GEMINI_API_KEY``, ``DRA_GEMINI_MODEL``, optionally ``DRA_GEMINI_BASE_URL`` (any
  Gemini-compatible endpoint; ``/v1beta`` is appended as the SDK does).
- ``openai``: the ``openai`` client against ``DRA_OPENAI_BASE_URL`` (Ollama, llama.cpp,
  vLLM... ``http://host:11434/v1``), ``DRA_OPENAI_MODEL``, ``DRA_OPENAI_API_KEY`` when the
  server wants one; ``response_format`` is a JSON schema.

Both time out after ``DRA_AI_TIMEOUT_SECONDS`` per request and retry ``DRA_AI_MAX_RETRIES``
times (exponential backoff) on 408/429/5xx answers, timeouts and refused connections.
Whatever still fails (an HTTP error, a timeout, no connection) becomes one
:class:`AIProviderError`: 502 "AI service temporarily unavailable. Please try again."

``configuration_problem(settings)`` says, when the assistant cannot be used, why and how to
enable it (None when it is configured).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from dra.ai.errors import AINotConfigured, AIProviderError
from dra.settings import Settings

RETRY_STATUS_CODES = (408, 429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Turn:
    """One message of the conversation sent to the model."""

    role: Literal["user", "assistant"]
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "text": self.text}


@dataclass(frozen=True)
class ProviderAnswer:
    text: str
    parsed: dict[str, Any] | None
    """The answer as JSON, or None when it is not a JSON object."""
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tokensIn": self.tokens_in,
            "tokensOut": self.tokens_out,
        }


class Provider(Protocol):
    name: str
    model: str

    def generate(
        self, system: str, history: list[Turn], schema: dict[str, Any]
    ) -> ProviderAnswer: ...


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_json_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object in ``text`` (a Markdown fence around it is tolerated), or None."""
    if not text:
        return None
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Timeouts and connection failures of the HTTP clients the SDKs use (httpx2, httpx)."""
    found: list[type[BaseException]] = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(__import__(module).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


@dataclass
class GeminiProvider:
    """Google Gemini through ``google-genai``."""

    api_key: str
    model: str = "gemini-2.0-flash"
    base_url: str | None = None
    timeout_seconds: float = 60
    max_retries: int = 2
    retry_delay: float = 1.0
    """First backoff delay in seconds (then doubled, with up to 1 s of jitter)."""
    name: str = field(default="gemini", init=False)

    def __post_init__(self) -> None:
        from google import genai
        from google.genai import types

        jitter = 1.0 if self.retry_delay >= 1 else 0.0
        self._types = types
        self._client = genai.Client(
            api_key=self.api_key,
            http_options=types.HttpOptions(
                base_url=self.base_url,
                api_version="v1beta",
                timeout=int(self.timeout_seconds * 1000),
                retry_options=types.HttpRetryOptions(
                    attempts=self.max_retries + 1,
                    initial_delay=self.retry_delay,
                    max_delay=max(self.retry_delay, 10.0),
                    jitter=jitter,
                    http_status_codes=list(RETRY_STATUS_CODES),
                ),
            ),
        )

    def generate(self, system: str, history: list[Turn], schema: dict[str, Any]) -> ProviderAnswer:
        from google.genai import errors

        types = self._types
        contents = [
            types.Content(
                role="model" if t.role == "assistant" else "user",
                parts=[types.Part(text=t.text)],
            )
            for t in history
        ]
        config = types.GenerateContentConfig(
            system_instruction=system,
            temperature=0,
            response_mime_type="application/json",
            response_json_schema=schema,
        )
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=contents, config=config
            )
            text = response.text or ""
        except errors.APIError as exc:
            raise AIProviderError(detail=f"Gemini answered {exc.code}: {exc.message}") from exc
        except (*_transport_errors(), OSError) as exc:
            raise AIProviderError(detail=_describe(exc)) from exc
        except ValueError as exc:  # an answer the SDK could not read (no candidates...)
            raise AIProviderError(detail=_describe(exc)) from exc
        usage = response.usage_metadata
        parsed = response.parsed if isinstance(response.parsed, dict) else None
        return ProviderAnswer(
            text=text,
            parsed=parsed if parsed is not None else parse_json_object(text),
            tokens_in=int(getattr(usage, "prompt_token_count", 0) or 0),
            tokens_out=int(getattr(usage, "candidates_token_count", 0) or 0),
            model=getattr(response, "model_version", None) or self.model,
        )


@dataclass
class OpenAICompatibleProvider:
    """Any server speaking OpenAI's chat completions (Ollama, llama.cpp, vLLM...)."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = 60
    max_retries: int = 2
    name: str = field(default="openai", init=False)

    def __post_init__(self) -> None:
        import openai

        self._client = openai.OpenAI(
            base_url=self.base_url,
            # local servers ignore the key, the client insists on one
            api_key=self.api_key or "not-needed",
            timeout=float(self.timeout_seconds),
            max_retries=self.max_retries,
        )

    def generate(self, system: str, history: list[Turn], schema: dict[str, Any]) -> ProviderAnswer:
        import openai

        messages: list[dict[str, str]] = [{"role": "system", "content": system}]
        messages += [{"role": t.role, "content": t.text} for t in history]
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=0,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "schema": schema},
                },  # type: ignore[arg-type]
            )
        except openai.APIStatusError as exc:
            raise AIProviderError(
                detail=f"The model server answered {exc.status_code}: {str(exc)[:300]}"
            ) from exc
        except (openai.APIError, *_transport_errors(), OSError) as exc:
            raise AIProviderError(detail=_describe(exc)) from exc
        choices = response.choices or []
        text = (choices[0].message.content or "") if choices else ""
        usage = response.usage
        return ProviderAnswer(
            text=text,
            parsed=parse_json_object(text),
            tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
            model=response.model or self.model,
        )


def configuration_problem(settings: Settings) -> str | None:
    """Why the assistant cannot be used, and how to enable it; None when it can."""
    if settings.ai_provider == "openai":
        missing = [
            name
            for name, value in (
                ("DRA_OPENAI_BASE_URL", settings.openai_base_url),
                ("DRA_OPENAI_MODEL", settings.openai_model),
            )
            if not value
        ]
        if missing:
            return (
                "The AI assistant is not configured: set "
                + " and ".join(missing)
                + " to the address and model of your OpenAI-compatible server "
                "(for example Ollama at http://127.0.0.1:11434/v1)."
            )
        return None
    if not settings.gemini_api_key:
        return (
            "The AI assistant is not configured: set DRA_GEMINI_API_KEY (a Google AI Studio "
            "key), or DRA_AI_PROVIDER=openai with DRA_OPENAI_BASE_URL and DRA_OPENAI_MODEL "
            "for a model server inside your network."
        )
    return None


def is_configured(settings: Settings) -> bool:
    return configuration_problem(settings) is None


def build_provider(settings: Settings, *, retry_delay: float = 1.0) -> Provider:
    """The configured provider; AINotConfigured (503, saying how) when there is none."""
    problem = configuration_problem(settings)
    if problem is not None:
        raise AINotConfigured(problem)
    if settings.ai_provider == "openai":
        return OpenAICompatibleProvider(
            base_url=settings.openai_base_url or "",
            model=settings.openai_model or "",
            api_key=settings.openai_api_key,
            timeout_seconds=settings.ai_timeout_seconds,
            max_retries=settings.ai_max_retries,
        )
    return GeminiProvider(
        api_key=settings.gemini_api_key or "",
        model=settings.gemini_model,
        base_url=settings.gemini_base_url,
        timeout_seconds=settings.ai_timeout_seconds,
        max_retries=settings.ai_max_retries,
        retry_delay=retry_delay,
    )
