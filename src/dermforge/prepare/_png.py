"""Deterministic PNG encoding: same pixels → same bytes (no timestamps, fixed settings).

zlib level 1: a 1024² crop encodes in ~0.1 s instead of ~0.45 s at level 6, for ~15 % more
bytes (measured on Fitzpatrick 17k crops).
"""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["encode_png"]


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, optimize=False)
    return buffer.getvalue()
