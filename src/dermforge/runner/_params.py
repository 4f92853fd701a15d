"""The ``generate`` section of params.yaml, and the backend options it implies."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .._params import Params

__all__ = ["GenerateParams", "backend_options"]


class GenerateParams(Params):
    """Defaults of `dermforge generate`; every command-line option overrides its key."""

    backend: str = "classic"
    executor: str = Field("local", description="local (this process) | ray (a Ray cluster)")
    ray_address: str | None = Field(None, description="ray: the head's HOST:PORT (None: "
                                    "an already connected or a new local instance)")
    ray_workers: int | None = Field(None, ge=1, description="ray: actors (None: one per GPU "
                                    "when GPUs are used, else one per CPU)")
    ray_num_gpus: float | None = Field(None, ge=0, description="ray: GPUs per actor (None: 1 "
                                       "for diffusers on a cluster with GPUs, else 0)")
    ray_num_cpus: float = Field(1.0, gt=0, description="ray: CPUs per actor")
    n: int = Field(8, ge=1, le=10, description="images per seed (one request each)")
    model: str | None = Field(None, description="openai: default gpt-image-2; diffusers: a "
                              "pipeline folder or Hub id (required)")
    size: str | None = Field(None, description="openai: default 1024x1024")
    quality: str | None = Field(None, description="openai: low/medium/high/auto")
    concurrency: int = Field(4, ge=1, le=64)
    images_per_minute: float | None = Field(None, gt=0, description="most images per minute "
                                            "(None: no limit)")
    budget_usd: float | None = Field(None, ge=0)
    max_usd_per_image: float | None = Field(None, gt=0)
    attempts: int = Field(3, ge=1, le=20, description="runner-level tries per request")
    max_retries: int = Field(2, ge=0, le=10, description="openai SDK retries per try")
    timeout_s: float = Field(300.0, gt=0, description="openai: per HTTP request")
    jitter: bool = Field(True, description="classic: geometric/photometric jitter")
    work_size: int = Field(192, ge=16, le=1024, description="classic: inpainting resolution")
    revision: str | None = Field(None, description="diffusers: Hub revision (None: main)")
    lora: str | None = Field(None, description="diffusers: LoRA weights file or folder")
    weights_license: str | None = Field(None, description="diffusers: licence of the weights "
                                        "where the model card states none (or to override)")
    steps: int = Field(30, ge=1, le=1000, description="diffusers: denoising steps")
    guidance: float = Field(7.5, ge=0, description="diffusers: classifier-free guidance scale")
    resolution: int = Field(512, ge=16, le=2048, description="diffusers: square working and "
                            "output size (a multiple of 8)")
    scheduler: str | None = Field(None, description="diffusers: scheduler class (None: the "
                                  "pipeline's own)")
    negative_prompt: str | None = Field(None, description="diffusers: negative prompt")
    max_failed: int = Field(0, ge=0, description="requests of the plan that may have failed "
                            "permanently (e.g. refused by moderation) before `generate` exits "
                            "1; 0: any such failure fails the command")


def backend_options(params: GenerateParams) -> dict[str, Any]:
    """Keyword options for ``create_backend(params.backend, ...)`` (import adds ``source``)."""
    if params.backend == "openai":
        options: dict[str, Any] = {"timeout_s": params.timeout_s,
                                   "max_retries": params.max_retries}
        for key in ("model", "size", "quality"):
            if getattr(params, key) is not None:
                options[key] = getattr(params, key)
        return options
    if params.backend == "classic":
        return {"jitter": params.jitter, "work_size": params.work_size}
    if params.backend == "diffusers":
        keys = ("model", "revision", "lora", "weights_license", "steps", "guidance",
                "resolution", "scheduler", "negative_prompt")
        return {key: getattr(params, key) for key in keys}
    return {}
