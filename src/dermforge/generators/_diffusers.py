"""The ``diffusers`` backend: masked inpainting with open weights (``dermforge[diffusers]``).

The pipeline (``AutoPipelineForInpainting``: Stable Diffusion inpainting and its kin) is
loaded once per backend instance, on its first request — so once per Ray worker — from a
local folder or a Hub id, with an optional LoRA. Device and dtype are chosen when loading:
CUDA in bf16 (fp16 where bf16 is unsupported), else the CPU in fp32.

Mask polarity: dermforge's masks follow OpenAI's convention (alpha 0 = regenerate);
diffusers repaints where its single-channel mask is white. :func:`to_diffusers_mask` turns
one into the other explicitly. The crop and the mask are resized to ``resolution`` (a
multiple of 8) and, with ``keep_unmasked``, every pixel outside the editable region is the
crop's again after decoding (the VAE round trip changes them otherwise).

Each candidate has its own seed, ``seed_for(request_id, index)``, fed to a CPU
``torch.Generator`` (the same noise on every device) and recorded with the weights'
identity, licence, scheduler, steps, guidance, device and dtype.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Sequence
from typing import Any

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
from ._weights import WeightsIdentity, file_tree_sha256, identify_weights

__all__ = ["DiffusersBackend", "seed_for", "to_diffusers_mask"]


def seed_for(request_id: str, index: int) -> int:
    """The torch seed of one candidate: from the request id and the index only (63 bits)."""
    digest = hashlib.sha256(f"{request_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)


def to_diffusers_mask(mask_png: bytes, size: int) -> Any:
    """dermforge's RGBA mask (alpha 0 = regenerate) as diffusers' mask: an ``L`` image,
    255 (white) = repaint, 0 = keep, resized to ``size`` with nearest neighbours."""
    from PIL import Image

    from ._inpaint import decode_mask

    editable = decode_mask(mask_png)
    image = Image.fromarray((editable * 255).astype("uint8"), "L")
    return image.resize((size, size), Image.Resampling.NEAREST)


def pick_device(device: str, dtype: str) -> tuple[str, Any]:
    """(device, torch dtype): ``auto`` = CUDA bf16 (fp16 without bf16), else CPU fp32."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        if device.startswith("cuda"):
            dtype = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            dtype = "fp32"
    dtypes = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    if dtype not in dtypes:
        raise InputError(f"dtype must be auto, fp32, fp16 or bf16, got {dtype!r}",
                         fix="leave it at auto")
    return device, dtypes[dtype]


class DiffusersBackend:
    """Masked inpainting with an open-weights diffusers pipeline (local or Hub)."""

    name = "diffusers"
    paid = False

    def __init__(self, *, model: str | None = None, revision: str | None = None,
                 lora: str | None = None, weights_license: str | None = None,
                 steps: int = 30, guidance: float = 7.5, resolution: int = 512,
                 scheduler: str | None = None, negative_prompt: str | None = None,
                 keep_unmasked: bool = True, device: str = "auto", dtype: str = "auto",
                 ) -> None:
        if not model:
            raise InputError("--backend diffusers needs --model PATH_OR_ID",
                             fix="pass a diffusers inpainting pipeline folder or a Hub id, "
                                 "e.g. --model stabilityai/stable-diffusion-2-inpainting")
        if resolution % 8 or not 16 <= resolution <= 2048:
            raise InputError(f"resolution must be a multiple of 8 in 16..2048, got "
                             f"{resolution!r}", fix="use 512 (SD 1.x/2.x) or 1024 (SDXL)")
        if not 1 <= steps <= 1000 or guidance < 0:
            raise InputError(f"steps must be 1..1000 and guidance >= 0, got {steps!r} and "
                             f"{guidance!r}", fix="use the defaults 30 and 7.5")
        self.weights: WeightsIdentity = identify_weights(model, revision=revision,
                                                         license=weights_license)
        self.lora_sha256 = self._lora_digest(lora)
        self.lora = lora
        self.steps, self.guidance, self.resolution = steps, guidance, resolution
        self.scheduler, self.negative_prompt = scheduler, negative_prompt
        self.keep_unmasked, self.device, self.dtype = keep_unmasked, device, dtype
        self._pipe: Any = None
        self._loaded: dict[str, JsonValue] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _lora_digest(lora: str | None) -> str | None:
        from pathlib import Path

        if lora is None:
            return None
        path = Path(lora).expanduser()
        digest = file_tree_sha256(path) if path.exists() else None
        if digest is None:
            raise InputError(f"--lora {lora!r} is no LoRA weights file or folder",
                             fix="pass a .safetensors file (or a folder holding one)")
        return digest

    def __repr__(self) -> str:
        return f"DiffusersBackend(model={self.weights.model!r}, steps={self.steps})"

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        return [self.request_for(seed, n) for seed in seeds]

    def request_for(self, inputs: SeedInputs, n: int) -> GenerationRequest:
        crop, mask, prompt = require_prepared(inputs)
        side = self.resolution
        return GenerationRequest.create(
            source_id=inputs.source_id, backend=self.name, model=self.weights.model,
            operation="edit", prompt=prompt.text, image_sha256=crop.sha256,
            mask_sha256=mask.sha256, size=f"{side}x{side}", n=n, quality=None,
            parameters={
                "weights": self.weights.as_json(),
                "lora_sha256": self.lora_sha256, "steps": self.steps,
                "guidance": self.guidance, "scheduler": self.scheduler,
                "negative_prompt": self.negative_prompt,
                "keep_unmasked": self.keep_unmasked,
                "seeds": "sha256(request_id:index)[:8] & (2**63-1), torch.Generator('cpu')"})

    def price_per_image(self, request: GenerationRequest) -> float | None:
        return 0.0

    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        return await asyncio.to_thread(self.render, request, inputs)

    async def aclose(self) -> None:
        self._pipe = None

    # --- the pipeline ---------------------------------------------------------------------
    def _load(self) -> Any:
        """The pipeline, loaded on first use (under the lock: one load per instance)."""
        if self._pipe is not None:
            return self._pipe
        from ._diffusers_load import load_pipeline

        self._pipe, self._loaded = load_pipeline(
            self.weights, lora=self.lora, scheduler=self.scheduler, device=self.device,
            dtype=self.dtype)
        return self._pipe

    def render(self, request: GenerationRequest, inputs: RequestInputs) -> GenerationResult:
        """All ``request.n`` images of a request (synchronous; one request at a time)."""
        if inputs.mask is None:
            raise GenerationError("bad_request", "the diffusers backend inpaints with a mask, "
                                  f"and request {request.request_id[:12]} has none",
                                  permanent=True)
        if request.parameters.get("weights") != self.weights.as_json():
            raise GenerationError("bad_request", f"request {request.request_id[:12]} was "
                                  "planned for other weights than this backend loads",
                                  permanent=True, fix="re-plan with the same --model")
        from ._diffusers_load import inpaint

        with self._lock:
            pipe = self._load()
            try:
                images, fraction = inpaint(pipe, request, inputs, size=self.resolution)
            except (OSError, ValueError) as exc:
                raise GenerationError("bad_request", f"cannot inpaint request "
                                      f"{request.request_id[:12]}: {exc}",
                                      permanent=True) from None
        out = [GeneratedImage(data=data, format="png", width=self.resolution,
                              height=self.resolution, metadata={"seed": seed})
               for seed, data in images]
        return GenerationResult(images=out, created=now_or_source_date(), cost_usd=0.0,
                                metadata={**self._loaded, "editable_fraction": fraction,
                                          "weights_license": self.weights.license,
                                          "weights": self.weights.as_json()})
