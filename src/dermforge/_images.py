"""The one image decoder of every input path: source import and download, the ``import``
generation backend, generated images, mask files and the prepare stage's source images.

:func:`decode_image` decodes the bytes **in full** (not just the header) and refuses, by the
name it is given, with an :class:`ImageError` (exit 1, like a corrupted file):

- **bombs**: more than :data:`MAX_PIXELS` pixels, checked from the header before any pixel is
  decoded (Pillow's own decompression-bomb check is turned into the same error);
- **truncated or corrupt** files, and bytes that are no image at all;
- **formats** other than the ones the caller accepts (default: PNG, JPEG, WebP; only their
  Pillow plugins parse the bytes; a multi-picture JPEG counts as its first picture),
  animations, and **modes** that have no faithful 8-bit RGB(A) form;
- images whose shorter side is below :data:`MIN_SIDE` pixels (a 1×1 image is never upscaled
  into a crop).

What it returns is ready to use: **upright** (the EXIF orientation tag, 1-8, is applied with
``ImageOps.exif_transpose`` and returned as ``orientation``) and **8 bits per channel** in
mode ``RGB`` or ``RGBA`` (``RGBA`` when the file has any transparency). 16-bit greyscale
(Pillow's ``I;16``/``I``) is *scaled* to 8 bits (value × 255 / 65535, rounded), never clipped,
so a 16-bit PNG does not become white; 16-bit RGB(A) PNGs keep their high byte (Pillow's own
reading, also a scaling). Width and height are the upright ones.

Limits: :data:`MIN_SIDE` is 64 px, the smallest crop the prepare stage makes
(``prepare.crop.output_size`` ≥ 64) and below the smallest real Fitzpatrick 17k image
(85 px); :data:`MAX_PIXELS` is 2²⁶ = 67,108,864 (8192 × 8192): above every camera that
photographs skin (61 MP) and about 270 MB as decoded RGBA, so one image never takes the
machine's memory.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .errors import ImageError, ImageProblem

__all__ = [
    "FORMATS",
    "MAX_PIXELS",
    "MIN_SIDE",
    "DecodedImage",
    "decode_image",
    "image_error",
]

#: smallest accepted shorter side, in pixels (see the module docstring)
MIN_SIDE: Final = 64
#: most pixels an image may declare (8192²; see the module docstring)
MAX_PIXELS: Final = 2**26
#: Pillow format names accepted unless the caller says otherwise
FORMATS: Final = ("PNG", "JPEG", "WEBP")

_RGB_MODES: Final = frozenset({"1", "L", "P", "RGB", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"})
_ALPHA_MODES: Final = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
_WIDE_GREY: Final = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
#: ``warnings.catch_warnings`` swaps the process's filter list; threads (the download
#: stores images from worker threads) take turns so that none restores another's filters
_WARNINGS_LOCK = threading.Lock()
_FIXES: Final[dict[ImageProblem, str]] = {
    "bomb": "downscale the image (at most 8192 x 8192 pixels) and try again",
    "not_image": "replace the file with the image itself (PNG, JPEG or WebP)",
    "format": "re-save the image as PNG, JPEG or WebP",
    "truncated": "the file was cut off or damaged: copy or download it again",
    "mode": "re-save the image as 8-bit RGB or RGBA (PNG, JPEG or WebP)",
    "too_small": f"use the full-size image (both sides at least {MIN_SIDE} pixels)",
    "animated": "save the one frame that is the image as a still PNG, JPEG or WebP",
}


def image_error(name: str, kind: ImageProblem, reason: str, *,
                fix: str | None = None) -> ImageError:
    """The ImageError for ``name``, with the fix that goes with ``kind``."""
    return ImageError(name, kind, reason, fix=fix or _FIXES[kind])


@dataclass(frozen=True)
class DecodedImage:
    """A fully decoded image: upright, 8 bits per channel, mode ``RGB`` or ``RGBA``.

    ``format`` is Pillow's name (``PNG``, ``JPEG``, ``WEBP``); ``stored_mode`` the mode the
    file holds (e.g. ``I;16`` for a 16-bit greyscale PNG, ``P`` for a palette); ``orientation``
    the EXIF orientation that was applied (1: the pixels were stored upright).
    """

    image: Image.Image
    format: str
    stored_mode: str
    orientation: int

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"

    @property
    def scaled_to_8bit(self) -> bool:
        """True when the file held 16- or 32-bit greyscale that was scaled to 8 bits."""
        return self.stored_mode in _WIDE_GREY


def decode_image(data: bytes, name: str, *, formats: Collection[str] = FORMATS,
                 min_side: int = MIN_SIDE, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Decode ``data`` in full; raise :class:`ImageError` naming ``name`` if it is refused.

    See the module docstring for what is refused and what is returned.
    """
    image = _open(data, name, formats, max_pixels, min_side)
    try:
        _check_frames(image, name)
        if image.format == "PNG":
            _verify_png(data, name)
        _load(image, name)
        orientation = _orientation(image)
        upright = ImageOps.exif_transpose(image) if orientation != 1 else image
        converted = _to_8bit(upright, name)
    except BaseException:
        image.close()
        raise
    return DecodedImage(converted, _format(image), image.mode, orientation)


def _open(data: bytes, name: str, formats: Collection[str], max_pixels: int,
          min_side: int) -> Image.Image:
    """Read the header only; refuse bombs and thumbnails before a pixel is decoded."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # Pillow warns above 89 MP and raises above 179 MP; both become our own error below
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(formats))  # only these parsers
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            found = _BOMB_PIXELS.search(str(exc))
            declared = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
            raise image_error(name, "bomb", f"the header declares {declared}, more than "
                             "Pillow's decompression-bomb limit and dermforge's "
                             f"{max_pixels:,}; refused before decoding") from None
        except UnidentifiedImageError:
            raise image_error(name, "not_image", f"not a {_listed(formats)} image "
                             f"({len(data):,} bytes that none of these formats "
                             "recognises)") from None
        except Exception as exc:  # a malformed header: Pillow raises many types
            raise image_error(name, "truncated", f"the image header is damaged "
                             f"({type(exc).__name__}: {exc})") from None
    if _format(image) not in formats:
        image.close()
        raise image_error(name, "format", f"the image is {image.format}, not one of "
                         f"{', '.join(sorted(formats))}")
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise image_error(name, "bomb", f"the header declares {width}x{height} = "
                         f"{width * height:,} pixels, more than the {max_pixels:,} dermforge "
                         "decodes (a decompression bomb or an oversized image); refused "
                         "before decoding")
    if min(width, height) < min_side:
        image.close()
        raise image_error(name, "too_small", f"the image is {width}x{height} pixels; dermforge "
                         f"needs at least {min_side} pixels on each side (it never upscales a "
                         "thumbnail into a crop)")
    return image


def _verify_png(data: bytes, name: str) -> None:
    """Every chunk's CRC up to IEND (Pillow's ``verify``): a PNG cut off after its pixel
    data, or with a damaged chunk, is refused even where the pixels would still decode."""
    try:
        with Image.open(io.BytesIO(data)) as check:
            check.verify()
    except Exception as exc:  # Pillow raises OSError, SyntaxError, struct.error, …
        raise image_error(name, "truncated", f"the PNG is cut off or damaged "
                         f"({type(exc).__name__}: {exc})") from None


def _listed(formats: Collection[str]) -> str:
    names = sorted(formats)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _format(image: Image.Image) -> str:
    """Pillow's format name, a multi-picture JPEG (MPO: a photo plus previews or depth maps,
    opened by Pillow's JPEG plugin) counted as the JPEG it starts with."""
    return "JPEG" if image.format == "MPO" else str(image.format)


def _check_frames(image: Image.Image, name: str) -> None:
    frames = getattr(image, "n_frames", 1)
    if frames != 1 and image.format != "MPO":  # an MPO's first picture is the photo
        raise image_error(name, "animated", f"the image is an animation of {frames} frames")


def _load(image: Image.Image, name: str) -> None:
    """Decode every pixel; a cut-off or corrupt stream is refused."""
    try:
        image.load()
    except Exception as exc:  # a malformed stream: Pillow raises OSError, SyntaxError, …
        raise image_error(name, "truncated", f"the image data cannot be decoded in full "
                         f"({type(exc).__name__}: {exc})") from None


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1-8); 1 when absent, unreadable or out of range, as
    ``ImageOps.exif_transpose`` then leaves the image as stored."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # an unreadable EXIF block: the image shows as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_8bit(image: Image.Image, name: str) -> Image.Image:
    mode = image.mode
    if mode in _WIDE_GREY:
        return _scaled_grey(image).convert("RGB")
    if mode in _ALPHA_MODES or "transparency" in image.info:
        target = "RGBA"
    elif mode in _RGB_MODES:
        target = "RGB"
    else:
        raise image_error(name, "mode", f"the image has mode {mode!r}, which has no faithful "
                         "8-bit RGB form")
    return image if mode == target else image.convert(target)


def _scaled_grey(image: Image.Image) -> Image.Image:
    """16-bit (``I;16*``) or 32-bit (``I``, values clipped to 0-65535) greyscale scaled to
    8 bits: 0 → 0, 65535 → 255, rounded."""
    wide = np.clip(np.asarray(image).astype(np.int64), 0, 65535)
    return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8))
