"""Helpers of the signing tests: a local test CA and a P-256 C2PA signing certificate (the
library's demo keys, made with ``cryptography``), small PNGs, a provenance, and a one-pixel
change that keeps every other chunk."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image

from dermforge.signing import ImageProvenance, create_demo_keys

_PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class Pki:
    key: Path
    chain: Path
    anchor: bytes
    other_anchor: bytes


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The library's demo CA and signing key (one implementation), the key also encrypted,
    and another CA's certificate."""
    keys = create_demo_keys(tmp_path_factory.mktemp("pki") / "keys")
    other = create_demo_keys(tmp_path_factory.mktemp("other-pki") / "keys")
    key = serialization.load_pem_private_key(keys.key.read_bytes(), None)
    (keys.folder / "encrypted.key").write_bytes(key.private_bytes(
        _PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse")))
    return Pki(key=keys.key, chain=keys.chain, anchor=keys.anchor.read_bytes(),
               other_anchor=other.anchor.read_bytes())


def png_bytes(side: int = 64, seed: int = 0) -> bytes:
    """A noisy RGB PNG (different for each ``seed``)."""
    image = Image.effect_noise((side, side), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def provenance(**changes: object) -> ImageProvenance:
    fields: dict[str, object] = dict(
        image_id="0123456789abcdef01234567-00", source_type="compositeWithTrainedAlgorithmicMedia",
        backend="openai", model="gpt-image-1", operation="edit",
        prompt="a photo of psoriasis on Fitzpatrick type V skin", seed_sha256="a" * 64,
        release_added="1.0.0", parameters={"size": "512x512", "quality": "low"},
        crop_box=(10, 20, 300), mask_sha256="b" * 64, verdict="accept", reviewer="rev-01")
    fields.update(changes)
    return ImageProvenance(**fields)  # type: ignore[arg-type]


def with_one_pixel_changed(png: bytes) -> bytes:
    """``png`` with pixel (0, 0) changed and every other chunk (XMP, C2PA) kept as it was."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    r, g, b = image.getpixel((0, 0))  # type: ignore[misc]
    image.putpixel((0, 0), ((r + 1) % 256, g, b))
    out = io.BytesIO()
    image.save(out, "PNG")
    new_idat = [raw for kind, raw in _chunks(out.getvalue()) if kind == b"IDAT"]
    kept, placed = [], False
    for kind, raw in _chunks(png):
        if kind == b"IDAT":
            if not placed:
                kept += new_idat
                placed = True
            continue
        kept.append(raw)
    return png[:8] + b"".join(kept)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    out, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind = png[at + 4:at + 8]
        raw = png[at:at + 12 + length]
        assert zlib.crc32(raw[4:-4]) & 0xFFFFFFFF == struct.unpack(">I", raw[-4:])[0]
        out.append((kind, raw))
        at += 12 + length
    return out
