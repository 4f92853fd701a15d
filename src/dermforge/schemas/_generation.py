"""Records of generation: the request, each candidate image, and failed requests."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import AwareDatetime, Field, JsonValue, NonNegativeInt, PositiveInt, model_validator

from ._base import Fitzpatrick, NonEmptyStr, Record, Sha256, SourceId, sha256_of_canonical

__all__ = ["Candidate", "FailureKind", "GenerationFailure", "GenerationRequest", "candidate_id"]

#: the request fields a text-to-image request (no seed photograph) has instead of a seed;
#: left out of ``request_id`` when null, so the ids of seeded requests are unchanged
_TEXT_TO_IMAGE_FIELDS = ("condition", "fitzpatrick")


class GenerationRequest(Record):
    """One call to a generator. ``request_id`` is the sha256 of its canonical inputs."""

    request_id: Sha256
    #: null for ``text-to-image``: an image made from its prompt alone, with no seed photograph
    source_id: SourceId | None
    backend: NonEmptyStr
    model: NonEmptyStr
    operation: Literal["edit", "import", "text-to-image"]
    prompt: NonEmptyStr
    #: the input image (the seed's crop); null for ``text-to-image``
    image_sha256: Sha256 | None
    mask_sha256: Sha256 | None
    size: NonEmptyStr
    n: int = Field(ge=1, le=10)
    quality: str | None = None
    parameters: dict[str, JsonValue] = Field(default_factory=dict)
    #: ``text-to-image`` only (else null): the condition and the Fitzpatrick skin type the
    #: image is meant to show, which a seeded request takes from its seed
    condition: NonEmptyStr | None = None
    fitzpatrick: Fitzpatrick | None = None

    @classmethod
    def create(cls, **inputs: Any) -> GenerationRequest:
        """Build a request from its inputs, computing ``request_id``."""
        probe = cls.model_validate({**inputs, "request_id": "0" * 64}, strict=False)
        return probe.model_copy(update={"request_id": probe.computed_id()})

    def computed_id(self) -> str:
        fields = self.model_dump(mode="json", exclude={"request_id"})
        for name in _TEXT_TO_IMAGE_FIELDS:
            if fields[name] is None:
                del fields[name]
        return sha256_of_canonical(fields)

    @property
    def text_to_image(self) -> bool:
        """True for a request with no seed photograph (``operation: text-to-image``)."""
        return self.operation == "text-to-image"

    @model_validator(mode="after")
    def _seed_or_text_to_image(self) -> Self:
        stated = self.condition is not None and self.fitzpatrick is not None
        if self.text_to_image:
            if self.source_id is not None or self.image_sha256 is not None or (
                    self.mask_sha256 is not None):
                raise ValueError("a text-to-image request has no seed: source_id, "
                                 "image_sha256 and mask_sha256 are null")
            if not stated:
                raise ValueError("a text-to-image request states condition and fitzpatrick")
        elif self.source_id is None or self.image_sha256 is None:
            raise ValueError(f"an {self.operation!r} request names its seed (source_id) and "
                             "input image (image_sha256); only text-to-image has none")
        elif self.condition is not None or self.fitzpatrick is not None:
            raise ValueError("condition and fitzpatrick are stated only by text-to-image "
                             "requests (a seeded request takes them from its seed)")
        return self

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
    #: null for an image of a ``text-to-image`` request (no seed photograph)
    source_id: SourceId | None
    backend: NonEmptyStr
    model: NonEmptyStr
    sha256: Sha256
    width: PositiveInt
    height: PositiveInt
    format: Literal["png", "jpeg", "webp"]
    created: AwareDatetime
    cost_usd: float | None = Field(default=None, ge=0.0)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def seed_or_request(self) -> str:
        """The seed the image derives from, or for a text-to-image image (no seed) its own
        request's key ``text-to-image:<request_id>``: what the curation counts "per seed"."""
        return self.source_id or f"text-to-image:{self.request_id}"

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
    source_id: SourceId | None
    backend: NonEmptyStr
    model: NonEmptyStr
    kind: FailureKind
    message: str
    status_code: int | None = None
    attempts: PositiveInt
    permanent: bool
    at: AwareDatetime
