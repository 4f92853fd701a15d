"""Inpainting masks: RGBA PNGs of the crop's size whose alpha-0 pixels are regenerated.

This is the OpenAI image-edit convention (transparent = edit). Only the alpha channel carries
information (binary: 0 or 255); the colour channels are plain white, so the file stays small
and a viewer shows the regenerated region as its transparency checkerboard. The contact sheet
shows the mask over the crop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw
from pydantic import JsonValue

from .._images import decode_image
from ..errors import InputError
from ._params import EllipseMask, FileMask, FullMask, MaskSpec, PolygonMask
from ._png import encode_png

__all__ = ["MASK_FORMATS", "RenderedMask", "render_mask", "shape_region"]

#: formats a mask file may have (both keep an exact alpha channel)
MASK_FORMATS = ("PNG", "WEBP")


@dataclass(frozen=True)
class RenderedMask:
    png: bytes
    method: Literal["ellipse", "polygon", "file", "full"]
    editable: Literal["inside", "outside"]
    editable_fraction: float
    params: dict[str, JsonValue]


def _drawn(size: int, spec: EllipseMask | PolygonMask) -> np.ndarray:
    canvas = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(canvas)
    if isinstance(spec, EllipseMask):
        pen.ellipse([(spec.cx - spec.rx) * size, (spec.cy - spec.ry) * size,
                     (spec.cx + spec.rx) * size, (spec.cy + spec.ry) * size], fill=255)
    else:
        pen.polygon([(x * size, y * size) for x, y in spec.points], fill=255)
    return np.asarray(canvas) > 0


def _file_region(spec: FileMask, size: int, base_dir: Path, where: str) -> tuple[np.ndarray, str]:
    path = Path(spec.path) if Path(spec.path).is_absolute() else base_dir / spec.path
    named = f"{where}: field 'mask.path': mask file {str(path)!r}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{named} does not exist",
                         fix="correct mask.path (relative to the file that names it)") from None
    except OSError as exc:
        raise InputError(f"{named} cannot be read ({exc.strerror or exc})",
                         fix="make the file readable, or correct mask.path") from None
    decoded = decode_image(data, named, formats=MASK_FORMATS)  # ImageError names the file
    if not decoded.has_alpha:
        raise InputError(
            f"{named} has mode {decoded.stored_mode} without transparency, not RGBA",
            fix="save the mask as an RGBA PNG whose transparent (alpha 0) pixels mark the shape")
    if (decoded.width, decoded.height) != (size, size):
        raise InputError(
            f"{named} is {decoded.width}x{decoded.height}, but the crop is {size}x{size}",
            fix=f"draw the mask on the {size}x{size} crop (prepare.crop.output_size)")
    region = np.asarray(decoded.image.getchannel("A")) == 0
    if not region.any():
        raise InputError(
            f"{named} is fully opaque (no pixel has alpha 0), so nothing would be regenerated",
            fix="erase (make transparent) the region to regenerate")
    return region, hashlib.sha256(data).hexdigest()


def shape_region(
    spec: MaskSpec, size: int, base_dir: Path, where: str
) -> tuple[np.ndarray, dict[str, JsonValue]]:
    """(boolean size×size array, True inside the shape; extra recorded parameters)."""
    if isinstance(spec, FullMask):
        return np.ones((size, size), dtype=bool), {}
    if isinstance(spec, FileMask):
        region, digest = _file_region(spec, size, base_dir, where)
        return region, {"file_sha256": digest}
    return _drawn(size, spec), {}


def render_mask(spec: MaskSpec, crop: Image.Image, base_dir: Path, where: str) -> RenderedMask:
    """The RGBA mask of ``crop`` for ``spec``; raises naming ``where`` when nothing is editable."""
    size = crop.width
    region, extra = shape_region(spec, size, base_dir, where)
    editable = region if spec.editable == "inside" else ~region
    fraction = float(editable.mean())
    if fraction == 0.0:
        raise InputError(
            f"{where}: field 'mask': the {spec.method} mask with editable: {spec.editable} "
            "leaves no pixel to regenerate",
            fix="resize the shape, or switch mask.editable between inside and outside")
    alpha = Image.fromarray(np.where(editable, 0, 255).astype(np.uint8))
    rgba = Image.new("RGB", crop.size, (255, 255, 255))
    rgba.putalpha(alpha)
    recorded: dict[str, JsonValue] = {
        key: value for key, value in spec.model_dump(mode="json").items()
        if key not in ("method", "editable")
    }
    recorded.update(extra)
    return RenderedMask(png=encode_png(rgba), method=spec.method, editable=spec.editable,
                        editable_fraction=round(fraction, 6), params=recorded)
