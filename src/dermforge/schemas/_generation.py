"""Records of generation: the request, each candidate image, and failed requests."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import AwareDatetime, Field, JsonValue, NonNegativeInt, PositiveInt, model_validator

from ._base import NonEmptyStr, Record, Sha256, SourceId, sha256_of_canonical

__all__ = ["Candidate", "FailureKind", "GenerationFailure", "GenerationRequest", "candidate_id"]


class GenerationRequest(Record):
    """One call to a generator. ``request_id`` is the sha256 of its canonical inputs."""

    request_id: Sha256
    source_id: SourceId
    backend: NonEmptyStr
    model: NonEmptyStr
    operation: Literal["edit", "import"]
    prompt: NonEmptyStr
    image_sha256: Sha256
    mask_sha256: Sha256 | None
    size: NonEmptyStr
    n: int = Field(ge=1, le=10)
    quality: str | None = None
    parameters: dict[str, JsonValue] = Field(default_factory=dict)

    @classmethod
    def create(cls, **inputs: Any) -> GenerationRequest:
        """Build a request from its inputs, computing ``request_id``."""
        probe = cls.model_validate({**inputs, "request_id": "0" * 64}, strict=False)
        return probe.model_copy(update={"request_id": probe.computed_id()})

    def computed_id(self) -> str:
        return sha256_of_canonical(self.model_dump(mode="json", exclude={"request_id"}))

    @model_validator(mode="after")
    def _id_matches_inputs(self) -> Self:
        if self.request_id != "0" * 64 and self.request_id != self.computed_id():
            raise ValueError(
                f"request_id {self.request_id!r} is not the sha256 of the request's inputs "
                f"({self.computed_id()!r}); build requests with GenerationRequest.create()"
            )
        return self


def candidate_id(request_id: str, index: int) -> str:
    """Deterministic unique key of the ``index``-th image of a request."""
    return f"{request_id[:24]}-{index:02d}"


class Candidate(Record):
    """One generated (or imported) image, stored in the blob store under ``sha256``."""

    candidate_id: NonEmptyStr
    request_id: Sha256
    index: NonNegativeInt
    source_id: SourceId
    backend: NonEmptyStr
    model: NonEmptyStr
    sha256: Sha256
    width: PositiveInt
    height: PositiveInt
    format: Literal["png", "jpeg", "webp"]
    created: AwareDatetime
    cost_usd: float | None = Field(default=None, ge=0.0)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _id_matches(self) -> Self:
        expected = candidate_id(self.request_id, self.index)
        if self.candidate_id != expected:
            raise ValueError(f"candidate_id {self.candidate_id!r} should be {expected!r}")
        return self


FailureKind = Literal[
    "moderation_blocked",
    "bad_request",
    "auth",
    "rate_limit_exhausted",
    "timeout",
    "connection",
    "server_error",
    "invalid_response",
    "unreadable_file",
]


class GenerationFailure(Record):
    """A request that failed; ``permanent`` failures are not retried by later runs."""

    request_id: Sha256
    source_id: SourceId
    backend: NonEmptyStr
    model: NonEmptyStr
    kind: FailureKind
    message: str
    status_code: int | None = None
    attempts: PositiveInt
    permanent: bool
    at: AwareDatetime
