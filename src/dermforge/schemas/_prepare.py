"""Records of seed preparation: square crop, inpainting mask, and prompt."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, NonNegativeInt, PositiveInt

from ._base import NonEmptyStr, Record, Sha256, SourceId

__all__ = ["Crop", "CropBox", "Mask", "Prompt", "PromptSlots"]


class CropBox(Record):
    """A square in source pixels."""

    left: NonNegativeInt
    top: NonNegativeInt
    side: PositiveInt


class Crop(Record):
    source_id: SourceId
    source_sha256: Sha256
    box: CropBox
    method: Literal["manual", "auto", "center"]
    output_size: PositiveInt = Field(description="side of the stored square PNG, in pixels")
    sha256: Sha256 = Field(description="sha256 of the crop PNG")
    params: dict[str, JsonValue] = Field(default_factory=dict)


class Mask(Record):
    """RGBA PNG of the crop's size; alpha 0 marks the region to regenerate (OpenAI convention)."""

    source_id: SourceId
    crop_sha256: Sha256
    method: Literal["ellipse", "polygon", "file", "full"]
    editable: Literal["inside", "outside"] = Field(
        description="inside: regenerate the shape (e.g. the lesion); outside: regenerate around it"
    )
    params: dict[str, JsonValue] = Field(default_factory=dict)
    size: PositiveInt
    editable_fraction: float = Field(gt=0.0, le=1.0)
    sha256: Sha256


class PromptSlots(Record):
    condition_phrase: NonEmptyStr
    body_part: NonEmptyStr
    skin_type_description: NonEmptyStr
    noun: NonEmptyStr


class Prompt(Record):
    source_id: SourceId
    template_version: NonEmptyStr
    template: NonEmptyStr
    slots: PromptSlots
    text: NonEmptyStr
    revision: NonNegativeInt = 0
