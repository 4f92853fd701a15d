"""Classical re-synthesis of a masked region, and label-preserving jitter (pure functions).

The editable region (mask alpha 0) is filled by scikit-image's biharmonic inpainting, solved
at a reduced working resolution (the solve grows with the number of masked pixels) and
upsampled; skin texture is added back from a randomly shifted and turned copy of the
image's own high-frequency detail, so each index of a request is a different variation.
Pixels outside the editable region are copied, never recomputed.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageEnhance, ImageFilter
from scipy.ndimage import distance_transform_edt
from skimage.restoration import inpaint_biharmonic

__all__ = [
    "Prepared",
    "apply_jitter",
    "decode_mask",
    "decode_rgb",
    "encode_png",
    "prepare",
    "rng_for",
    "synthesize",
]

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
Bool = npt.NDArray[np.bool_]


def rng_for(request_id: str, index: int) -> np.random.Generator:
    """The RNG of one image: seeded from the request id and the index only."""
    digest = hashlib.sha256(f"{request_id}:{index}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def decode_rgb(data: bytes) -> U8:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def decode_mask(data: bytes) -> Bool:
    """True where the mask's alpha is 0 (the region to regenerate)."""
    with Image.open(io.BytesIO(data)) as image:
        if image.mode != "RGBA":
            raise ValueError(f"the mask must be an RGBA PNG (alpha 0 = edit), got mode "
                             f"{image.mode!r}")
        alpha = np.asarray(image.getchannel("A"), dtype=np.uint8)
    editable: Bool = alpha == 0
    return editable


def encode_png(rgb: U8) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@dataclass(frozen=True)
class Prepared:
    """What every index of a request shares: the image, the region, its smooth fill."""

    rgb: U8
    editable: Bool
    ys: npt.NDArray[np.intp]  # coordinates of the editable pixels
    xs: npt.NDArray[np.intp]
    fill: F32  # smooth fill at the editable pixels, (k, 3)
    original: F32  # the crop at the editable pixels, (k, 3)
    weight: F32  # (k, 1): 0 at the region's rim → 1 a few pixels inside (feathering)
    detail: F32  # high-frequency detail of the whole image, (H, W, 3)


def _resize_float(channel: F32, size: tuple[int, int]) -> F32:
    return np.asarray(Image.fromarray(channel, "F").resize(size, Image.Resampling.BICUBIC),
                      dtype=np.float32)


def _smooth_fill(rgb: U8, editable: Bool, work_size: int) -> F32:
    height, width = editable.shape
    scale = min(1.0, work_size / max(height, width))
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(rgb).resize(small_size, Image.Resampling.BOX),
                       dtype=np.float64) / 255.0
    # a working pixel is unknown if any full-resolution pixel under it is editable
    coverage = np.asarray(Image.fromarray(editable.astype(np.float32), "F")
                          .resize(small_size, Image.Resampling.BOX))
    small_mask = coverage > 1e-6
    if small_mask.all():  # nothing known: a flat fill of the image's mean colour
        return np.broadcast_to(rgb.reshape(-1, 3).mean(0), (*editable.shape, 3)).astype(
            np.float32)
    filled = inpaint_biharmonic(small, small_mask, channel_axis=-1).astype(np.float32) * 255
    return np.stack([_resize_float(filled[..., c], (width, height)) for c in range(3)], -1)


def prepare(rgb: U8, editable: Bool, *, work_size: int, feather_px: float) -> Prepared:
    if rgb.shape[:2] != editable.shape:
        raise ValueError(f"mask is {editable.shape[1]}x{editable.shape[0]} but the image is "
                         f"{rgb.shape[1]}x{rgb.shape[0]}")
    fill = _smooth_fill(rgb, editable, work_size)
    radius = max(1.0, max(rgb.shape[:2]) / max(work_size, 1))
    blurred = np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius)),
                         dtype=np.float32)
    detail = rgb.astype(np.float32) - blurred
    inside = np.asarray(distance_transform_edt(editable), dtype=np.float32)
    ys, xs = np.nonzero(editable)
    weight = np.clip(inside[ys, xs] / max(feather_px, 1e-6), 0.0, 1.0).astype(np.float32)
    return Prepared(rgb=rgb, editable=editable, ys=ys, xs=xs, fill=fill[ys, xs],
                    original=rgb[ys, xs].astype(np.float32), weight=weight[:, None],
                    detail=detail)


def _texture_coords(prepared: Prepared, turns: int, flip: bool, shift: tuple[int, int],
                    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Where each editable pixel takes its detail from: the image turned, mirrored, shifted."""
    height, width = prepared.editable.shape
    ys, xs = (prepared.ys - shift[0]) % height, (prepared.xs - shift[1]) % width
    if flip:
        xs = width - 1 - xs
    for _ in range(turns):  # inverse of a quarter turn (square images only)
        ys, xs = xs, width - 1 - ys
    return ys, xs


def synthesize(prepared: Prepared, rng: np.random.Generator, *, detail_gain: float,
               ) -> tuple[U8, dict[str, Any]]:
    """One variation: the fill plus moved detail inside the region; every other pixel copied."""
    height, width = prepared.editable.shape
    turns = int(rng.integers(0, 4)) if height == width else 0
    flip = bool(rng.integers(0, 2))
    shift = (int(rng.integers(0, height)), int(rng.integers(0, width)))
    gain = float(detail_gain * rng.uniform(0.7, 1.2))
    ty, tx = _texture_coords(prepared, turns, flip, shift)
    synth = prepared.fill + gain * prepared.detail[ty, tx]
    w = prepared.weight
    blended = w * synth + (1.0 - w) * prepared.original
    out = prepared.rgb.copy()
    out[prepared.ys, prepared.xs] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out, {"texture_turns": turns, "texture_flip": flip, "texture_shift": list(shift),
                 "detail_gain": round(gain, 6)}


def apply_jitter(rgb: U8, rng: np.random.Generator) -> tuple[U8, dict[str, Any]]:
    """Label-preserving jitter: flips, quarter turns, a small rotation, ±5 % photometry.

    The small rotation zooms in just enough that no corner is empty. No hue change and small
    brightness steps: the skin type and the condition stay what they were.
    """
    image = Image.fromarray(rgb, "RGB")
    height, width = rgb.shape[:2]
    turns = int(rng.integers(0, 4)) if height == width else 2 * int(rng.integers(0, 2))
    mirror = bool(rng.integers(0, 2))
    angle = float(rng.uniform(-8.0, 8.0))
    factors = {k: float(rng.uniform(0.95, 1.05)) for k in ("brightness", "contrast", "color")}
    if mirror:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if turns:
        image = image.transpose(_TURNS[turns])
    theta = np.deg2rad(angle)
    zoom = 1.0 / (abs(np.cos(theta)) + abs(np.sin(theta)))  # source pixels per output pixel
    cos, sin = np.cos(theta) * zoom, np.sin(theta) * zoom
    cx, cy = width / 2.0, height / 2.0  # output (x, y) → source: centre, rotate, scale
    matrix = (cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy)
    image = image.transform((width, height), Image.Transform.AFFINE,
                            tuple(float(v) for v in matrix), resample=Image.Resampling.BILINEAR)
    image = ImageEnhance.Brightness(image).enhance(factors["brightness"])
    image = ImageEnhance.Contrast(image).enhance(factors["contrast"])
    image = ImageEnhance.Color(image).enhance(factors["color"])
    params = {"mirror": mirror, "quarter_turns": turns, "rotate_deg": round(angle, 4),
              **{k: round(v, 4) for k, v in factors.items()}}
    return np.asarray(image, dtype=np.uint8), params


_TURNS = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180,
          3: Image.Transpose.ROTATE_270}
