"""Helpers of the signing tests: a local test CA and a P-256 C2PA signing certificate (made
with ``cryptography``), small PNGs, a provenance, and a one-pixel change that keeps every
other chunk."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from dermforge.signing import ImageProvenance

_PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class Pki:
    key: Path
    chain: Path
    anchor: bytes
    other_anchor: bytes


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dermforge tests")])


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=not sign, crl_sign=not sign, encipher_only=False,
                         decipher_only=False)


def _ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(sign=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _end_entity(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate,
                key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(_name("dermforge test signer"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca = _ca("dermforge test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _end_entity(ca_key, ca, key)
    (folder / "signer.key").write_bytes(key.private_bytes(
        _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "chain.pem").write_bytes(leaf.public_bytes(_PEM) + ca.public_bytes(_PEM))
    (folder / "encrypted.key").write_bytes(key.private_bytes(
        _PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse")))
    return Pki(key=folder / "signer.key", chain=folder / "chain.pem",
                   anchor=ca.public_bytes(_PEM), other_anchor=_ca("other CA")[1].public_bytes(_PEM))


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
