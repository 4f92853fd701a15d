"""Advisory quality signals of one candidate — pure functions on decoded images.

Skin tone. The individual typology angle (ITA) of Chardon, Cretois & Hourseau (1991,
Int J Cosmet Sci 13:191-208) on CIELAB (sRGB, D65):

    ITA = arctan((L* - 50) / b*) · 180 / π

measured on the non-lesion skin: the pixels outside the mask's shape (the shape holds the
lesion — with ``editable: inside`` the lesion itself is regenerated, with ``outside`` the
lesion and the skin around it are kept), or the whole image when there is no mask or the
shape covers it all. The median L* and median b* of those pixels give one angle; b* ≤ 0 (not
skin-coloured) saturates at ±90°. Chardon's and Del Bino et al.'s (2006, Pigment Cell Res
19:606-614) categories — very light > 55°, light 41-55°, intermediate 28-41°, tan 10-28°,
brown −30-10°, dark < −30° — are mapped to the paper's groups: very light + light → I-II,
intermediate + tan → III-IV, brown + dark → V-VI (bounds 41° and 10°, params ``signals``).
ITA and Fitzpatrick type are related but not the same scale (lighting and camera move ITA),
so a changed group is a prompt to look, not a fact.

Near-duplicates. ``imagehash.phash`` (DCT of a 32×32 greyscale image, hash_size² bits) and the
Hamming distance between hashes: 0 is the same picture, unrelated photographs are around
hash_size²/2 apart. A candidate near an image of an experiment's test split is a leakage
flag; a candidate at distance 0 from its seed crop means the generator changed nothing
visible at that scale. Perceptual hashes ignore global brightness and colour, so whether a
candidate is a copy of its seed is decided on pixels instead: the mean absolute difference of
their greyscale (0-255) at ``measure_size``.

Sharpness. Variance of the Laplacian of the greyscale image resized to ``measure_size`` and
standardised to zero mean and unit variance first, so that a darker or lower-contrast copy
is not counted as blurrier (the raw variance scales with contrast squared); a candidate much
blurrier than its seed crop is flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from ..schemas import FstGroup, SignalFlag
from ._signals_params import SignalsParams

__all__ = [
    "ImageMeasures",
    "Nearest",
    "grey",
    "hash_distance",
    "image_hashes",
    "ita_degrees",
    "ita_group",
    "measure",
    "nearest",
    "perceptual_hash",
    "pixel_difference",
    "sharpness",
    "signal_flags",
    "skin_ita",
    "skin_region",
]

SkinRegion = Literal["outside-shape", "whole-image"]
_MIN_SKIN_FRACTION = 0.02


def ita_degrees(l_star: float, b_star: float) -> float:
    """ITA in degrees, in [-90, 90]; b* ≤ 0 saturates at ±90° (the sign of L* − 50)."""
    if b_star <= 0.0:
        return 90.0 if l_star >= 50.0 else -90.0
    return math.degrees(math.atan((l_star - 50.0) / b_star))


def ita_group(ita: float, params: SignalsParams) -> FstGroup:
    """The skin-type group an ITA implies (bounds ``ita_min_i_ii``, ``ita_min_iii_iv``)."""
    if ita > params.ita_min_i_ii:
        return "I-II"
    if ita > params.ita_min_iii_iv:
        return "III-IV"
    return "V-VI"


def skin_region(alpha: np.ndarray | None,
                editable: Literal["inside", "outside"] | None) -> tuple[np.ndarray | None,
                                                                       SkinRegion]:
    """Boolean array of the non-lesion skin from a mask's alpha (0 = regenerated).

    The shape is the alpha-0 region when ``editable`` is inside, the opaque region when it is
    outside; the skin is everything outside the shape. None (whole image) when there is no
    mask or less than 2 % of the image lies outside the shape.
    """
    if alpha is None or editable is None:
        return None, "whole-image"
    shape = alpha == 0 if editable == "inside" else alpha != 0
    skin = ~shape
    if skin.mean() < _MIN_SKIN_FRACTION:
        return None, "whole-image"
    return skin, "outside-shape"


def skin_ita(rgb: np.ndarray, region: np.ndarray | None) -> float:
    """ITA of the median L* and b* of ``region`` (or all pixels) of an RGB uint8 array."""
    from skimage.color import rgb2lab  # imported here: keeps `dermforge --help` fast

    lab = rgb2lab(rgb.astype(np.float64) / 255.0)
    pixels = lab.reshape(-1, 3) if region is None else lab[region]
    return ita_degrees(float(np.median(pixels[:, 0])), float(np.median(pixels[:, 2])))


def grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of an RGB uint8 array, as float 0-255."""
    return np.asarray(rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114]))


def sharpness(rgb: np.ndarray) -> float:
    """Variance of the Laplacian of the standardised greyscale image (0 for a flat image)."""
    from scipy.ndimage import laplace

    luma = grey(rgb)
    spread = float(luma.std())
    if spread == 0.0:
        return 0.0
    return float(laplace((luma - luma.mean()) / spread).var())


def perceptual_hash(image: Image.Image, hash_size: int) -> str:
    """Hex text of ``imagehash.phash`` (hash_size² bits)."""
    import imagehash

    return str(imagehash.phash(image, hash_size=hash_size))


def center_square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def image_hashes(image: Image.Image, hash_size: int) -> tuple[str, str]:
    """(hash of the whole image, hash of its centre square) — a crop of a test image is
    nearer its centre square than the whole when the photograph is not square."""
    return perceptual_hash(image, hash_size), perceptual_hash(center_square(image), hash_size)


def hash_distance(a: str, b: str) -> int:
    """Hamming distance between two hex hashes of the same length."""
    if len(a) != len(b):
        raise ValueError(f"hashes of different sizes: {a!r} and {b!r}")
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class Nearest:
    source_id: str
    distance: int


def nearest(hashes: Iterable[str], candidates: Mapping[str, Iterable[str]],
            exclude: str | None = None) -> Nearest | None:
    """The entry of ``candidates`` (id → its hex hashes) nearest to any of ``hashes``
    (ties: the smallest id), leaving out the id ``exclude``."""
    mine = [int(h, 16) for h in hashes]
    best: Nearest | None = None
    for source_id in sorted(candidates):
        if source_id == exclude:
            continue
        for theirs in candidates[source_id]:
            value = int(theirs, 16)
            distance = min((h ^ value).bit_count() for h in mine)
            if best is None or distance < best.distance:
                best = Nearest(source_id, distance)
    return best


@dataclass(frozen=True)
class ImageMeasures:
    """What is measured once per image: ITA of its skin, sharpness, perceptual hash."""

    ita: float
    skin_region: SkinRegion
    skin_fraction: float
    sharpness: float
    phash: str
    luma: np.ndarray  # greyscale at measure_size, for the pixel difference to the seed


def pixel_difference(a: ImageMeasures, b: ImageMeasures) -> float:
    """Mean absolute greyscale difference (0-255) of two measured images."""
    return float(np.abs(a.luma - b.luma).mean())


def measure(image: Image.Image, alpha: np.ndarray | None,
            editable: Literal["inside", "outside"] | None, params: SignalsParams) -> ImageMeasures:
    """Measure ``image`` (any mode/size); ``alpha`` is the mask's alpha at any size."""
    side = params.measure_size
    rgb = np.asarray(image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR))
    if alpha is not None:
        alpha = np.asarray(Image.fromarray(alpha).resize((side, side), Image.Resampling.NEAREST))
    region, label = skin_region(alpha, editable)
    fraction = 1.0 if region is None else float(region.mean())
    return ImageMeasures(ita=round(skin_ita(rgb, region), 4), skin_region=label,
                         skin_fraction=round(fraction, 6), sharpness=round(sharpness(rgb), 6),
                         phash=perceptual_hash(image.convert("RGB"), params.hash_size),
                         luma=grey(rgb))


def signal_flags(
    candidate: ImageMeasures,
    seed: ImageMeasures,
    *,
    seed_difference: float,
    test_distance: int | None,
    seed_source_test_distance: int | None,
    params: SignalsParams,
) -> tuple[SignalFlag, ...]:
    """The flags the thresholds of ``params`` raise, in a fixed order."""
    flags: list[SignalFlag] = []
    if abs(candidate.ita - seed.ita) > params.max_ita_delta:
        flags.append("skin-tone-shift")
    if ita_group(candidate.ita, params) != ita_group(seed.ita, params):
        flags.append("fst-group-change")
    if seed_difference <= params.seed_copy_max_difference:
        flags.append("seed-copy")
    if test_distance is not None and test_distance <= params.leak_max_distance:
        flags.append("test-leak")
    if seed_source_test_distance is not None and (
            seed_source_test_distance <= params.leak_max_distance):
        flags.append("seed-test-duplicate")
    if candidate.sharpness < params.min_sharpness_ratio * seed.sharpness:
        flags.append("blurry")
    return tuple(flags)
