"""Square crops: where the square goes (auto / center / manual) and cutting it out.

``auto`` uses frequency-tuned saliency (Achanta et al. 2009) in CIELAB: each pixel's colour
distance from the image's mean colour after a light blur, weighted by a broad prior towards the
image centre (atlas photographs frame the lesion). The square is centred on the weighted
centroid of the salient pixels and clamped inside the image. When the saliency is flat (no
region stands out by more than ``flat_threshold`` ΔE) the centre is used and recorded as
``center``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image
from pydantic import JsonValue

from ..errors import InputError
from ..schemas import CropBox
from ._params import CropParams

__all__ = ["AutoPlacement", "auto_box", "box_around", "center_box", "check_box", "crop_square",
           "saliency_center"]

_ANALYSIS_SIDE = 256
_BLUR_SIGMA = 2.0
_CENTRE_PRIOR_SIGMA = 0.35  # in fractions of the image diagonal-ish scale (per axis)


@dataclass(frozen=True)
class AutoPlacement:
    box: CropBox
    method: Literal["auto", "center"]  # center also when auto found the saliency flat
    details: dict[str, JsonValue]


def _side(width: int, height: int, side_fraction: float) -> int:
    return max(1, min(width, height, round(min(width, height) * side_fraction)))


def box_around(cx: float, cy: float, width: int, height: int, side_fraction: float) -> CropBox:
    """The square of the configured side centred on (cx, cy), shifted to lie inside the image."""
    side = _side(width, height, side_fraction)
    left = min(max(round(cx - side / 2), 0), width - side)
    top = min(max(round(cy - side / 2), 0), height - side)
    return CropBox(left=left, top=top, side=side)


def center_box(width: int, height: int, side_fraction: float) -> CropBox:
    return box_around(width / 2, height / 2, width, height, side_fraction)


def saliency_center(image: Image.Image, flat_threshold: float) -> tuple[float, float, float]:
    """(cx, cy, spread) in source pixels; cx, cy are NaN when the spread is below threshold."""
    from skimage.color import rgb2lab  # imported here: keeps `dermforge --help` fast
    from skimage.filters import gaussian

    small = image.convert("RGB")
    small.thumbnail((_ANALYSIS_SIDE, _ANALYSIS_SIDE), Image.Resampling.BILINEAR)
    rgb = np.asarray(small, dtype=np.float64) / 255.0
    lab = gaussian(rgb2lab(rgb), sigma=_BLUR_SIGMA, channel_axis=-1)  # type: ignore[no-untyped-call]
    distance = np.linalg.norm(lab - lab.reshape(-1, 3).mean(axis=0), axis=-1)
    median = float(np.median(distance))
    spread = float(np.percentile(distance, 99)) - median
    if spread < flat_threshold:
        return float("nan"), float("nan"), spread
    rows, cols = distance.shape
    y = (np.arange(rows) + 0.5) / rows - 0.5
    x = (np.arange(cols) + 0.5) / cols - 0.5
    prior = np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * _CENTRE_PRIOR_SIGMA**2))
    weight = np.clip(distance - median, 0.0, None) ** 2 * prior
    total = float(weight.sum())
    if total <= 0.0:
        return float("nan"), float("nan"), spread
    cy = float((weight.sum(axis=1) * (np.arange(rows) + 0.5)).sum() / total)
    cx = float((weight.sum(axis=0) * (np.arange(cols) + 0.5)).sum() / total)
    return cx * image.width / cols, cy * image.height / rows, spread


def auto_box(image: Image.Image, params: CropParams) -> AutoPlacement:
    width, height = image.size
    if params.method == "center":
        return AutoPlacement(center_box(width, height, params.side_fraction), "center",
                             {"requested": "center"})
    cx, cy, spread = saliency_center(image, params.flat_threshold)
    details: dict[str, JsonValue] = {
        "requested": "auto", "saliency_spread": round(spread, 2),
        "flat_threshold": params.flat_threshold,
    }
    if np.isnan(cx):
        details["fallback"] = "flat saliency: centred"
        return AutoPlacement(center_box(width, height, params.side_fraction), "center", details)
    details["saliency_center"] = [round(cx, 1), round(cy, 1)]
    return AutoPlacement(box_around(cx, cy, width, height, params.side_fraction), "auto",
                         details)


def check_box(box: CropBox, width: int, height: int, where: str) -> None:
    """Raise naming ``where`` and the field when the box leaves the image."""
    if box.left + box.side > width:
        raise InputError(
            f"{where}: field 'box.left'/'box.side': the square spans x = {box.left}.."
            f"{box.left + box.side}, beyond the image width {width}",
            fix=f"keep box.left + box.side <= {width}")
    if box.top + box.side > height:
        raise InputError(
            f"{where}: field 'box.top'/'box.side': the square spans y = {box.top}.."
            f"{box.top + box.side}, beyond the image height {height}",
            fix=f"keep box.top + box.side <= {height}")


def crop_square(image: Image.Image, box: CropBox, output_size: int) -> Image.Image:
    """The box cut out of ``image`` as RGB, resized (Lanczos) to output_size²."""
    square = image.convert("RGB").crop((box.left, box.top, box.left + box.side,
                                        box.top + box.side))
    if box.side != output_size:
        square = square.resize((output_size, output_size), Image.Resampling.LANCZOS)
    return square
