"""A local fake of an OpenAI-compatible server (``POST /v1/chat/completions``, as Ollama,
llama.cpp and vLLM serve it) that the real ``openai`` client reaches through base_url."""

from __future__ import annotations

from typing import Any

from tests.support.fake_llm import FakeModelServer


class FakeOpenAI(FakeModelServer):
    def success_body(self, text: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1767225600,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": self.tokens_in,
                "completion_tokens": self.tokens_out,
                "total_tokens": self.tokens_in + self.tokens_out,
            },
        }

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": "server_error", "code": status}}

    def user_texts(self, index: int) -> list[str]:
        return [
            m.get("content", "")
            for m in self.requests[index].body.get("messages", [])
            if m.get("role") == "user"
        ]

    def system_text(self, index: int) -> str:
        return "".join(
            m.get("content", "")
            for m in self.requests[index].body.get("messages", [])
            if m.get("role") == "system"
        )
