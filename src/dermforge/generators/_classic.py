"""The ``classic`` backend: offline, deterministic, non-generative variations of a seed.

Each image re-synthesises the mask's editable region (alpha 0) with biharmonic inpainting
plus texture from the seed itself (see ``_inpaint``), then optionally applies
label-preserving geometric and photometric jitter. Everything random is seeded from the
request id and the image index, so the same request gives byte-identical PNGs. With jitter
off, every pixel outside the editable region equals the crop's. It costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import JsonValue

from .._clock import now_or_source_date
from ..errors import InputError
from ..schemas import GenerationRequest
from ._protocol import (
    GeneratedImage,
    GenerationError,
    GenerationResult,
    RequestInputs,
    SeedInputs,
    require_prepared,
)

__all__ = ["CLASSIC_MODEL", "ClassicBackend"]

CLASSIC_MODEL = "skimage-biharmonic-v1"


class ClassicBackend:
    """Biharmonic inpainting + texture re-synthesis + optional jitter, on the CPU."""

    name = "classic"
    paid = False

    def __init__(self, *, jitter: bool = True, work_size: int = 192, detail_gain: float = 1.0,
                 feather_px: float = 6.0) -> None:
        if not 16 <= work_size <= 1024:
            raise InputError(f"work_size must be 16..1024 pixels, got {work_size!r}",
                             fix="use the default 192, or a larger value for finer fills")
        if detail_gain < 0 or feather_px < 0:
            raise InputError(f"detail_gain and feather_px must be >= 0, got {detail_gain!r} "
                             f"and {feather_px!r}", fix="use the defaults 1.0 and 6.0")
        self.jitter, self.work_size = jitter, work_size
        self.detail_gain, self.feather_px = detail_gain, feather_px

    def __repr__(self) -> str:
        return f"ClassicBackend(jitter={self.jitter}, work_size={self.work_size})"

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        return [self.request_for(seed, n) for seed in seeds]

    def request_for(self, inputs: SeedInputs, n: int) -> GenerationRequest:
        crop, mask, prompt = require_prepared(inputs)
        side = crop.output_size
        return GenerationRequest.create(
            source_id=inputs.source_id, backend=self.name, model=CLASSIC_MODEL,
            operation="edit", prompt=prompt.text, image_sha256=crop.sha256,
            mask_sha256=mask.sha256, size=f"{side}x{side}", n=n, quality=None,
            parameters={"jitter": self.jitter, "work_size": self.work_size,
                        "detail_gain": self.detail_gain, "feather_px": self.feather_px},
        )

    def price_per_image(self, request: GenerationRequest) -> float | None:
        return 0.0

    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        return await asyncio.to_thread(render, request, inputs)

    async def aclose(self) -> None:
        return None


def _bad_parameter(key: str, expected: str, value: object) -> GenerationError:
    return GenerationError("bad_request", f"request parameter {key!r} must be {expected}, "
                           f"got {value!r}", permanent=True)


def _number(request: GenerationRequest, key: str) -> float:
    value = request.parameters.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_parameter(key, "a number", value)
    return float(value)


def _flag(request: GenerationRequest, key: str) -> bool:
    value = request.parameters.get(key)
    if not isinstance(value, bool):
        raise _bad_parameter(key, "true or false", value)
    return value


def render(request: GenerationRequest, inputs: RequestInputs) -> GenerationResult:
    """All ``request.n`` images of a classic request (synchronous; CPU-bound)."""
    from ._inpaint import (  # scikit-image and scipy load on first use, not on import
        apply_jitter,
        decode_mask,
        decode_rgb,
        encode_png,
        prepare,
        rng_for,
        synthesize,
    )

    if inputs.mask is None:
        raise GenerationError("bad_request", "the classic backend needs a mask",
                              permanent=True)
    try:
        rgb, editable = decode_rgb(inputs.image), decode_mask(inputs.mask)
        prepared = prepare(rgb, editable, work_size=int(_number(request, "work_size")),
                           feather_px=_number(request, "feather_px"))
    except (OSError, ValueError) as exc:
        raise GenerationError("bad_request", f"cannot use the crop/mask of request "
                              f"{request.request_id[:12]}: {exc}", permanent=True) from None
    jitter, gain = _flag(request, "jitter"), _number(request, "detail_gain")
    images = []
    for index in range(request.n):
        rng = rng_for(request.request_id, index)
        out, synth_params = synthesize(prepared, rng, detail_gain=gain)
        meta: dict[str, JsonValue] = {"synthesis": synth_params, "jitter": None}
        if jitter:
            out, jitter_params = apply_jitter(out, rng)
            meta["jitter"] = jitter_params
        height, width = out.shape[:2]
        images.append(GeneratedImage(data=encode_png(out), format="png", width=width,
                                     height=height, metadata=meta))
    editable_fraction = round(float(editable.mean()), 6)
    return GenerationResult(images=images, created=now_or_source_date(), cost_usd=0.0,
                            metadata={"editable_fraction": editable_fraction,
                                      "algorithm": "skimage.restoration.inpaint_biharmonic"})
