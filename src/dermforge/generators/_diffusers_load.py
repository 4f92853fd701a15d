"""Loading a diffusers inpainting pipeline and running it (imports torch and diffusers).

Kept apart from ``_diffusers`` so that planning, the registry and ``--help`` never import
torch; only a process that renders does.
"""

from __future__ import annotations

import io
from importlib.metadata import version
from typing import Any

import numpy as np
from pydantic import JsonValue

from ..errors import InputError, MissingExtraError
from ..schemas import GenerationRequest
from ._diffusers import pick_device, seed_for, to_diffusers_mask
from ._protocol import RequestInputs
from ._weights import WeightsIdentity

__all__ = ["inpaint", "load_pipeline"]


def _import_diffusers() -> Any:
    try:
        import diffusers
        import transformers  # noqa: F401  (the text encoders)
    except ImportError as exc:
        raise MissingExtraError(exc.name or "diffusers", "diffusers") from None
    return diffusers


def load_pipeline(weights: WeightsIdentity, *, lora: str | None, scheduler: str | None,
                  device: str, dtype: str) -> tuple[Any, dict[str, JsonValue]]:
    """(pipeline on its device, what provenance says about the load)."""
    diffusers = _import_diffusers()
    target, torch_dtype = pick_device(device, dtype)
    local = weights.source == "folder"
    try:
        pipe = diffusers.AutoPipelineForInpainting.from_pretrained(
            weights.location, revision=weights.revision, dtype=torch_dtype,
            local_files_only=local)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load the diffusers pipeline {weights.location!r}: "
                         f"{str(exc)[:300]}",
                         fix="point --model at a diffusers inpainting pipeline (a folder "
                             "with model_index.json, or a Hub id)") from None
    if scheduler is not None:
        cls = getattr(diffusers, scheduler, None) or getattr(diffusers, f"{scheduler}Scheduler",
                                                             None)
        if cls is None or not hasattr(cls, "from_config"):
            raise InputError(f"unknown diffusers scheduler {scheduler!r}",
                             fix="use a class name such as DDIMScheduler, "
                                 "EulerDiscreteScheduler or DPMSolverMultistepScheduler")
        pipe.scheduler = cls.from_config(pipe.scheduler.config)
    if lora is not None:
        pipe.load_lora_weights(lora)
    pipe = pipe.to(target)
    pipe.set_progress_bar_config(disable=True)
    return pipe, {
        "pipeline": type(pipe).__name__, "scheduler": type(pipe.scheduler).__name__,
        "device": target.split(":")[0], "dtype": str(torch_dtype).removeprefix("torch."),
        "diffusers_version": version("diffusers"), "torch_version": version("torch"),
    }


def _encode_png(rgb: np.ndarray[Any, Any]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def inpaint(pipe: Any, request: GenerationRequest, inputs: RequestInputs, *, size: int,
            ) -> tuple[list[tuple[int, bytes]], float]:
    """[(seed, PNG bytes)] for each index of the request, and the editable fraction."""
    import torch
    from PIL import Image

    assert inputs.mask is not None  # checked by the caller
    with Image.open(io.BytesIO(inputs.image)) as opened:
        crop = opened.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    mask = to_diffusers_mask(inputs.mask, size)
    keep = np.asarray(mask) == 0
    original = np.asarray(crop, dtype=np.uint8)
    params = request.parameters
    negative = params.get("negative_prompt")
    out = []
    for index in range(request.n):
        seed = seed_for(request.request_id, index)
        generator = torch.Generator("cpu").manual_seed(seed)
        with torch.inference_mode():
            result = pipe(prompt=request.prompt, negative_prompt=negative, image=crop,
                          mask_image=mask, height=size, width=size,
                          num_inference_steps=int(str(params["steps"])),
                          guidance_scale=float(str(params["guidance"])), generator=generator,
                          output_type="np")
        rgb = np.clip(np.rint(result.images[0] * 255.0), 0, 255).astype(np.uint8)
        if params.get("keep_unmasked"):
            rgb[keep] = original[keep]
        out.append((seed, _encode_png(rgb)))
    return out, round(float((~keep).mean()), 6)
