"""The `prepare` section of params.yaml: crop and mask defaults, and the annotations file.

Mask shapes are in fractions of the crop's side (0 = left/top edge, 1 = right/bottom edge),
so one spec fits every output size. ``editable`` says which side of the shape is regenerated:
``inside`` the shape (e.g. the lesion) or ``outside`` it (the background around the lesion).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .._params import Params

__all__ = [
    "CropParams",
    "EllipseMask",
    "FileMask",
    "FullMask",
    "MaskSpec",
    "PolygonMask",
    "PrepareParams",
]

Editable = Literal["inside", "outside"]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class EllipseMask(Params):
    method: Literal["ellipse"] = "ellipse"
    editable: Editable = "inside"
    cx: Fraction = 0.5
    cy: Fraction = 0.5
    rx: Annotated[float, Field(gt=0.0, le=1.0)] = 0.4
    ry: Annotated[float, Field(gt=0.0, le=1.0)] = 0.4


class PolygonMask(Params):
    method: Literal["polygon"] = "polygon"
    editable: Editable = "inside"
    points: tuple[tuple[Fraction, Fraction], ...] = Field(
        min_length=3, description="(x, y) corners in fractions of the crop side")


class FileMask(Params):
    """A user-drawn RGBA PNG of the crop's output size; its alpha-0 pixels are the shape."""

    method: Literal["file"] = "file"
    editable: Editable = "inside"
    path: str = Field(min_length=1, description="relative to the file that names it")


class FullMask(Params):
    """Regenerate the whole crop (a variation of the seed guided by the prompt)."""

    method: Literal["full"] = "full"
    editable: Literal["inside"] = "inside"


MaskSpec = Annotated[EllipseMask | PolygonMask | FileMask | FullMask,
                     Field(discriminator="method")]


class CropParams(Params):
    method: Literal["auto", "center"] = Field(
        default="auto",
        description="auto: centre the square on the most salient colour region (CIELAB); "
        "center: the centre of the image. Seeds with a box in the annotations are 'manual'.",
    )
    output_size: int = Field(default=1024, ge=64, le=4096,
                             description="side of the stored crop PNG (1024: the edit API's)")
    side_fraction: float = Field(default=1.0, gt=0.0, le=1.0,
                                 description="square side as a fraction of the image's "
                                 "shorter side (1.0: the largest square that fits)")
    flat_threshold: float = Field(default=6.0, ge=0.0,
                                  description="saliency spread (CIELAB ΔE, 99th percentile "
                                  "minus median) below which auto falls back to center")


class PrepareParams(Params):
    crop: CropParams = Field(default_factory=CropParams)
    mask: MaskSpec = Field(
        default_factory=lambda: EllipseMask(editable="outside"),
        description="default mask of every seed (the paper isolates the lesion and the skin "
        "around it from background artifacts: keep an ellipse, regenerate the rest)",
    )
    annotations: str | None = Field(
        default=None, description="YAML or CSV file of per-seed boxes, masks, body parts and "
        "nouns; relative to the params file")
