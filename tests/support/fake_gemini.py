"""A local fake of the Gemini API (``POST /v1beta/models/<model>:generateContent``) that
the real ``google-genai`` client reaches through ``HttpOptions(base_url=fake.url)``."""

from __future__ import annotations

from typing import Any

from tests.support.fake_llm import FakeModelServer


class FakeGemini(FakeModelServer):
    def success_body(self, text: str) -> dict[str, Any]:
        return {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": {
                "promptTokenCount": self.tokens_in,
                "candidatesTokenCount": self.tokens_out,
                "totalTokenCount": self.tokens_in + self.tokens_out,
            },
            "modelVersion": self.model,
        }

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        return {"error": {"code": status, "message": message, "status": names.get(status, "")}}

    def user_texts(self, index: int) -> list[str]:
        body = self.requests[index].body
        return [
            part.get("text", "")
            for content in body.get("contents", [])
            if content.get("role") == "user"
            for part in content.get("parts", [])
        ]

    def system_text(self, index: int) -> str:
        parts = self.requests[index].body.get("systemInstruction", {}).get("parts", [])
        return "".join(p.get("text", "") for p in parts)
