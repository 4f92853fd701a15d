"""The one generator protocol: a backend turns a GenerationRequest into images plus metadata.

A backend never touches the workspace's manifests: the runner plans the requests (with the
backend's :meth:`Backend.request_for`), loads the input bytes, calls :meth:`Backend.generate`
and records what comes back. Errors are :class:`GenerationError` with a ``kind`` from the
``GenerationFailure`` record and ``permanent`` saying whether retrying can help.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import JsonValue

from .._images import decode_image
from ..errors import ImageError, MissingInputError, ServiceError
from ..schemas import Crop, GenerationRequest, Mask, Prompt, Seed, SourceImage
from ..schemas._generation import FailureKind

__all__ = [
    "Backend",
    "FailureKind",
    "GeneratedImage",
    "GenerationError",
    "GenerationResult",
    "RequestInputs",
    "SeedInputs",
    "image_format_and_size",
    "require_prepared",
]


ImageFormat = Literal["png", "jpeg", "webp"]
_PIL_FORMATS: dict[str, ImageFormat] = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


class GenerationError(ServiceError):
    """A request failed. ``permanent``: retrying the same request cannot succeed.

    ``fatal``: every other request would fail the same way (bad key, no quota): the runner
    stops starting requests, records nothing for this one, and reports the error.
    """

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        permanent: bool,
        status_code: int | None = None,
        retry_after_s: float | None = None,
        fatal: bool = False,
        fix: str | None = None,
    ) -> None:
        self.kind: FailureKind = kind
        self.permanent = permanent
        self.fatal = fatal
        self.status_code = status_code
        self.retry_after_s = retry_after_s
        super().__init__(message, fix=fix)


@dataclass(frozen=True)
class SeedInputs:
    """Everything recorded about one seed that a request can be built from.

    ``crop``, ``mask`` and ``prompt`` are None where the prepare stage has not made them yet;
    backends that need them raise :class:`~dermforge.errors.MissingInputError`.
    """

    seed: Seed
    source: SourceImage | None
    crop: Crop | None
    mask: Mask | None
    prompt: Prompt | None

    @property
    def source_id(self) -> str:
        return self.seed.source_id


@dataclass(frozen=True)
class RequestInputs:
    """The bytes a request refers to (``image_sha256``/``mask_sha256``), read from the store."""

    image: bytes
    mask: bytes | None


@dataclass(frozen=True)
class GeneratedImage:
    """One image of a response: encoded bytes plus per-image metadata."""

    data: bytes
    format: ImageFormat
    width: int
    height: int
    metadata: dict[str, JsonValue] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, data: bytes, metadata: dict[str, JsonValue] | None = None,
                   ) -> GeneratedImage:
        """Read format and size from the encoded bytes (raises GenerationError if unreadable)."""
        fmt, width, height = image_format_and_size(data)
        return cls(data=data, format=fmt, width=width, height=height, metadata=metadata or {})


@dataclass(frozen=True)
class GenerationResult:
    """What a backend returns for one request.

    ``cost_usd`` is the cost of the whole request (None = unknown); ``created`` is when the
    response arrived (timezone-aware); ``metadata`` applies to every image of the request.
    """

    images: Sequence[GeneratedImage]
    created: datetime
    cost_usd: float | None
    metadata: dict[str, JsonValue] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """A generator backend. Create one with :func:`dermforge.generators.create_backend`."""

    name: str
    #: True when a call costs money or needs a network service (openai); False offline
    paid: bool

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        """The requests this backend makes for these seeds (deterministic ``request_id``s).

        ``n`` is the number of images asked per request (an import plans one per file).
        """
        ...

    def price_per_image(self, request: GenerationRequest) -> float | None:
        """Price estimate in USD per image for budgeting; None when unknown."""
        ...

    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        """Make the request's images; raise :class:`GenerationError` on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...


def require_prepared(inputs: SeedInputs) -> tuple[Crop, Mask, Prompt]:
    """The seed's crop, mask and prompt, or MissingInputError naming what is missing."""
    crop, mask, prompt = inputs.crop, inputs.mask, inputs.prompt
    if crop is None or mask is None or prompt is None:
        missing = [name for name, value in (("crop", crop), ("mask", mask), ("prompt", prompt))
                   if value is None]
        raise MissingInputError(
            f"seed {inputs.source_id} has no {' / '.join(missing)} record",
            fix="run the prepare stage (crop, mask, prompt) for every seed first")
    return crop, mask, prompt


def image_format_and_size(data: bytes) -> tuple[ImageFormat, int, int]:
    """(format, width, height) of encoded image bytes, decoded in full by the one decoder
    (:func:`dermforge._images.decode_image`); width and height are the upright ones.

    A refused image is a :class:`GenerationError` ``invalid_response``: permanent for what
    another try cannot change (format, mode, size, animation), transient for bytes that are
    cut off or no image (a broken transfer)."""
    try:
        decoded = decode_image(data, "the generated image", formats=tuple(_PIL_FORMATS))
    except ImageError as exc:
        raise GenerationError("invalid_response", exc.message,
                              permanent=exc.kind not in ("truncated", "not_image"),
                              fix=exc.fix) from None
    return _PIL_FORMATS[decoded.format], decoded.width, decoded.height
