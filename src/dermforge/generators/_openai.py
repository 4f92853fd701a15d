"""The ``openai`` backend: masked edits with the official SDK (``client.images.edit``).

The key and base URL come from the environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) or
the options; the key is never written anywhere: every message taken from the SDK or the
server is redacted before it reaches an error, a record or a log line. The SDK retries
408/409/429/5xx and dropped connections itself (``max_retries``, honouring Retry-After);
what it gives up on becomes a :class:`GenerationError` the runner retries or records.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from ..errors import InputError
from ..schemas import GenerationRequest
from ._pricing import cost_from_usage, image_price
from ._protocol import (
    GeneratedImage,
    GenerationError,
    GenerationResult,
    RequestInputs,
    SeedInputs,
    require_prepared,
)

if TYPE_CHECKING:  # the SDK is imported when a backend is made (it takes ~0.5 s to import)
    import httpx2
    import openai

__all__ = ["DEFAULT_MODEL", "RETIRED_MODELS", "OpenAIBackend", "check_model"]

DEFAULT_MODEL = "gpt-image-2"

#: model → date OpenAI removed it from the API
RETIRED_MODELS: dict[str, str] = {
    "dall-e-2": "2026-05-12",
    "dall-e-3": "2026-05-12",
    "gpt-image-1": "2026-10-23",
}

_KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-*.]{4,}")


def check_model(model: str) -> None:
    """Raise InputError for a model OpenAI has removed, before anything is sent."""
    retired = RETIRED_MODELS.get(model)
    if retired is not None:
        raise InputError(
            f"model {model!r} was removed from the OpenAI API on {retired}; "
            "masked edits need a GPT image model",
            fix=f"use gpt-image-2 (--model {DEFAULT_MODEL}); to record images made with "
                f"{model} elsewhere, adopt them with --backend import",
        )


class _Redactor:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def __call__(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "[redacted]")
        return _KEY_PATTERN.sub("sk-[redacted]", text)


class OpenAIBackend:
    """Masked edits with OpenAI's GPT image models (default ``gpt-image-2``)."""

    name = "openai"
    paid = True

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        size: str = "1024x1024",
        quality: str | None = "medium",
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 300.0,
        max_retries: int = 2,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        check_model(model)
        secret = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        if not secret:
            raise InputError("no OpenAI API key: OPENAI_API_KEY is not set",
                             fix="export OPENAI_API_KEY=... (the key is read from the "
                                 "environment only and never stored)")
        self.model, self.size, self.quality = model, size, quality
        self._secret = secret
        self._redact = _Redactor(secret)
        self._base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._http_client = http_client
        self._client: openai.AsyncOpenAI | None = None

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIBackend(model={self.model!r}, size={self.size!r}, quality={self.quality!r})"

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        return [self.request_for(seed, n) for seed in seeds]

    def request_for(self, inputs: SeedInputs, n: int) -> GenerationRequest:
        crop, mask, prompt = require_prepared(inputs)
        return GenerationRequest.create(
            source_id=inputs.source_id, backend=self.name, model=self.model, operation="edit",
            prompt=prompt.text, image_sha256=crop.sha256,
            mask_sha256=mask.sha256, size=self.size, n=n, quality=self.quality,
            parameters={"output_format": "png"},
        )

    def price_per_image(self, request: GenerationRequest) -> float | None:
        price = image_price(request.model, request.size, request.quality)
        return None if price is None else price.usd_per_image

    def _get_client(self) -> openai.AsyncOpenAI:
        import httpx2
        import openai

        if self._client is None:
            timeout = httpx2.Timeout(self._timeout_s, connect=min(self._timeout_s, 10.0))
            self._client = openai.AsyncOpenAI(
                api_key=self._secret, base_url=self._base_url, timeout=timeout,
                max_retries=self._max_retries, http_client=self._http_client)
        return self._client

    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        import openai

        check_model(request.model)
        if inputs.mask is None:
            raise GenerationError("bad_request", "the openai backend edits with a mask, and "
                                  f"request {request.request_id[:12]} has none", permanent=True)
        quality: Any = request.quality if request.quality is not None else openai.omit
        try:
            response = await self._get_client().images.edit(
                image=("crop.png", inputs.image, "image/png"),
                mask=("mask.png", inputs.mask, "image/png"),
                prompt=request.prompt, model=request.model, n=request.n, size=request.size,
                quality=quality,
                output_format="png",
            )
        except openai.APIError as exc:
            raise self._translate(exc) from None
        return self._result(request, response)

    def _result(self, request: GenerationRequest, response: Any) -> GenerationResult:
        received = datetime.now(UTC)
        images = [self._decode(i, item) for i, item in enumerate(response.data or [])]
        if not images:
            raise GenerationError("invalid_response", "the response holds no images",
                                  permanent=False)
        usage = response.usage.model_dump(mode="json") if response.usage is not None else None
        cost = cost_from_usage(request.model, usage)
        source = "usage"
        if cost is None:
            per_image = self.price_per_image(request)
            cost = None if per_image is None else per_image * len(images)
            source = "unknown" if per_image is None else "price_table"
        metadata: dict[str, JsonValue] = {
            "size": response.size or request.size,
            "quality": response.quality or request.quality,
            "output_format": response.output_format or "png",
            "usage": usage,
            "response_created": response.created,
            "cost_source": source,
        }
        return GenerationResult(images=images, created=received, cost_usd=cost,
                                metadata=metadata)

    def _decode(self, index: int, item: Any) -> GeneratedImage:
        if not item.b64_json:
            raise GenerationError("invalid_response", f"image {index} of the response has no "
                                  "b64_json (GPT image models return base64)", permanent=False)
        try:
            data = base64.b64decode(item.b64_json, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise GenerationError("invalid_response", f"image {index} is not valid base64: "
                                  f"{exc}", permanent=False) from None
        extra: dict[str, JsonValue] = {}
        if item.revised_prompt:
            extra["revised_prompt"] = self._redact(item.revised_prompt)
        return GeneratedImage.from_bytes(data, extra)

    def _translate(self, exc: openai.APIError) -> GenerationError:
        """Map an SDK error to a GenerationError whose text cannot hold the key."""
        import openai

        message = self._redact(_message_of(exc))
        if isinstance(exc, openai.APITimeoutError):
            return GenerationError("timeout", f"no response in time: {message}", permanent=False)
        if isinstance(exc, openai.APIConnectionError):
            return GenerationError("connection", f"connection failed: {message}",
                                   permanent=False)
        status = getattr(exc, "status_code", None)
        code = getattr(exc, "code", None)
        retry_after = _retry_after(exc)
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError) or (
                code == "insufficient_quota"):
            return _fatal(status, message)
        if code == "moderation_blocked":
            return GenerationError("moderation_blocked", f"blocked by the safety system: "
                                   f"{message}", permanent=True, status_code=status)
        if isinstance(exc, openai.RateLimitError):
            return GenerationError("rate_limit_exhausted", f"rate limited: {message}",
                                   permanent=False, status_code=status,
                                   retry_after_s=retry_after)
        if status is not None and 400 <= status < 500 and status not in (408, 409):
            return GenerationError("bad_request", f"rejected ({status}): {message}",
                                   permanent=True, status_code=status)
        return GenerationError("server_error", f"server error ({status}): {message}",
                               permanent=False, status_code=status, retry_after_s=retry_after)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _fatal(status: int | None, message: str) -> GenerationError:
    return GenerationError(
        "auth", f"OpenAI refused the credentials ({status}): {message}", permanent=True,
        status_code=status, fatal=True,
        fix="check OPENAI_API_KEY (and the project's quota and model access), then re-run; "
            "nothing already generated is lost")


def _message_of(exc: openai.APIError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return exc.message if isinstance(exc.message, str) else type(exc).__name__


def _retry_after(exc: openai.APIError) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = response.headers.get(header)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None
