"""Hostile image files built byte by byte (no Pillow writer involved): decompression bombs
whose header declares a huge image, 16-bit PNGs, EXIF-rotated JPEGs, truncated files.

Every PNG here is a real PNG (signature, IHDR, IDAT, IEND with correct CRCs), so a reader
that refuses it refuses the image, not a broken file.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable

import numpy as np
from PIL import Image

__all__ = ["bomb_png", "exif_rotated_jpeg", "png_chunks", "png_from_rows", "rgb48_png",
           "truncated"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def png_chunks(width: int, height: int, bit_depth: int, color_type: int,
               idat: bytes) -> bytes:
    """A PNG of these header fields around already-compressed ``idat``."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def png_from_rows(width: int, height: int, bit_depth: int, color_type: int,
                  rows: Iterable[bytes]) -> bytes:
    """A PNG whose scanlines (filter byte 0 added here) are streamed through zlib."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b"\x00" + row) for row in rows]
    parts.append(packer.flush())
    return png_chunks(width, height, bit_depth, color_type, b"".join(parts))


def bomb_png(side: int = 30000) -> bytes:
    """A valid 1-bit greyscale PNG of side × side pixels (30000²: 900 megapixels) in ~110 KB:
    every row is zeros, so zlib squeezes the 112 MB of scanlines to almost nothing."""
    row = bytes((side + 7) // 8)
    return png_from_rows(side, side, 1, 0, (row for _ in range(side)))


def rgb48_png(pixels: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG (colour type 2, bit depth 16) of an (h, w, 3) uint16 array."""
    height, width, _ = pixels.shape
    big_endian = pixels.astype(">u2")
    return png_from_rows(width, height, 16, 2, (big_endian[y].tobytes() for y in range(height)))


def exif_rotated_jpeg(upright: Image.Image, orientation: int) -> bytes:
    """JPEG bytes whose pixels are ``upright`` stored turned so that applying the EXIF
    ``orientation`` (6: turn 90° clockwise to view; 3: 180°; 8: 90° anticlockwise) shows
    ``upright`` again."""
    stored = {3: upright.transpose(Image.Transpose.ROTATE_180),
              6: upright.transpose(Image.Transpose.ROTATE_90),
              8: upright.transpose(Image.Transpose.ROTATE_270)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """The first ``keep`` share of ``data`` (a download or copy cut off)."""
    return data[: int(len(data) * keep)]
