"""What an imported image's own file says about how it was made (its generator's metadata).

The ``import`` backend reads it from the file (Stable Diffusion WebUI's ``parameters`` text,
ComfyUI's ``prompt`` / ``workflow`` graphs, a C2PA manifest) and records it verbatim beside
the fields it parsed; releases carry it in the ``generator_metadata`` column.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue

from ._base import NonEmptyStr, Record

__all__ = ["C2paSummary", "ComfyUIGraph", "GeneratorMetadata", "WebUIParameters"]


class WebUIParameters(Record):
    """Stable Diffusion WebUI (AUTOMATIC1111, Forge) ``parameters`` text, parsed.

    ``settings`` holds every ``Key: value`` of the settings line, in order and unquoted
    (unknown keys included); the typed fields repeat the common ones."""

    text: str = Field(description="the `parameters` text exactly as the file holds it")
    prompt: str
    negative_prompt: str
    settings: dict[str, str] = Field(description="every key/value of the settings line")
    steps: int | None = None
    sampler: str | None = None
    cfg_scale: float | None = None
    seed: int | None = None
    size: str | None = None
    model: str | None = None
    model_hash: str | None = None
    loras: str | None = Field(default=None, description="the `Lora hashes` value, verbatim")
    denoising_strength: float | None = Field(
        default=None, description="set for img2img / inpainting; absent for text-to-image")


class ComfyUIGraph(Record):
    """ComfyUI's ``prompt`` (API graph) and ``workflow`` (editor graph) JSON, with what the
    standard nodes (KSampler, CheckpointLoaderSimple, CLIPTextEncode) state."""

    prompt: dict[str, JsonValue] | None = Field(description="the `prompt` chunk (API graph)")
    workflow: dict[str, JsonValue] | None = Field(description="the `workflow` chunk")
    positive: str | None = None
    negative: str | None = None
    sampler: str | None = None
    scheduler: str | None = None
    steps: int | None = None
    cfg: float | None = None
    seed: int | None = None
    denoise: float | None = None
    model: str | None = None
    image_input: bool = Field(default=False, description="the graph loads or encodes an "
                              "input image (img2img / inpainting)")


class C2paSummary(Record):
    """The active C2PA manifest of the file as made (read with c2pa-python; trust of the
    signer's certificate is not checked, its binding to the bytes is)."""

    claim_generator: str | None
    title: str | None
    validation_state: NonEmptyStr
    failures: tuple[str, ...] = ()
    actions: tuple[dict[str, JsonValue], ...] = ()
    digital_source_type: str | None = Field(
        default=None, description="the IPTC digital source type of its first action stating "
        "one (a NewsCodes URI)")
    signer: dict[str, JsonValue] = Field(default_factory=dict)


class GeneratorMetadata(Record):
    """Everything the imported file itself recorded about its making."""

    read_from: tuple[Literal["png:parameters", "exif:UserComment", "png:prompt",
                             "png:workflow", "c2pa"], ...] = Field(
        description="where in the file each part was found")
    webui: WebUIParameters | None = None
    comfyui: ComfyUIGraph | None = None
    c2pa: C2paSummary | None = None
    warnings: tuple[str, ...] = Field(
        default=(), description="what the import noticed but did not refuse (e.g. the file "
        "says text-to-image while its row names a seed)")
