"""Cost of marking one image at 512 px (`python -m bench.bench_sign_image`).

A real demo image, centre square crop resized to 512 px, PNG. Marked with a throw-away test
CA and P-256 signing certificate (made here with ``cryptography``): the XMP digital source
type, then C2PA Content Credentials (no thumbnail, no timestamp authority). Reported:
median milliseconds per image over ``--repeats`` for the PNG encode (the baseline),
the XMP label, ``mark_image`` (label + sign), the cache hit, and reading + validating;
and the bytes each mark adds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from dermforge.signing import (
    ImageProvenance,
    ImageSigner,
    SignedImageCache,
    embed_source_type,
    mark_image,
    read_credentials,
)
from dermforge.sources import demo_images_dir

SIDE = 512


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
          signing_key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None),
                              critical=True)
               .add_extension(x509.KeyUsage(not ca, False, False, False, False, ca, ca, False,
                                            False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if not ca:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            signing_key.public_key()), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def pki(folder: Path) -> tuple[ImageSigner, bytes]:
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca = _cert("bench CA", ca_key, x509.Name([x509.NameAttribute(
        NameOID.COMMON_NAME, "bench CA")]), ca_key, ca=True)
    leaf = _cert("bench signer", key, ca.subject, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "key.pem").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "chain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    return ImageSigner(folder / "key.pem", folder / "chain.pem"), ca.public_bytes(pem)


def image() -> Image.Image:
    path = sorted(demo_images_dir().iterdir())[0]
    with Image.open(path) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    s = min(w, h)
    box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    return rgb.crop(box).resize((SIDE, SIDE), Image.Resampling.LANCZOS)


def median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=50)
    repeats = parser.parse_args().repeats
    picture = image()

    def encode() -> bytes:
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()

    png = encode()
    facts = ImageProvenance(
        image_id="bench-00", source_type="compositeWithTrainedAlgorithmicMedia",
        backend="openai", model="gpt-image-1", operation="edit",
        prompt="a photo of eczema on Fitzpatrick type IV skin", seed_sha256="a" * 64,
        release_added="1.0.0", parameters={"size": "512x512"}, crop_box=(0, 0, 512),
        mask_sha256="b" * 64, verdict="accept", reviewer="rev-01")
    with tempfile.TemporaryDirectory() as tmp:
        signer, anchor = pki(Path(tmp))
        labelled = embed_source_type(png, facts.source_type, image="bench")
        marked = mark_image(png, facts, signer)
        cache = SignedImageCache(Path(tmp) / "signed")
        cache.mark(png, facts, signer)
        rows = [
            ("PNG encode (baseline)", median_ms(encode, repeats)),
            ("XMP label", median_ms(lambda: embed_source_type(
                png, facts.source_type, image="bench"), repeats)),
            ("mark_image (label + C2PA sign)", median_ms(
                lambda: mark_image(png, facts, signer), repeats)),
            ("cache hit", median_ms(lambda: cache.mark(png, facts, signer), repeats)),
            ("read + validate", median_ms(lambda: read_credentials(
                marked, anchor, image="bench"), repeats)),
        ]
        assert read_credentials(marked, anchor, image="bench").trusted
    print(f"{SIDE} px PNG: {len(png)} bytes; repeats {repeats}")
    for name, ms in rows:
        print(f"  {name:34s} {ms:8.2f} ms  ({ms / rows[0][1]:.2f}x the encode)")
    print(f"  bytes added: XMP {len(labelled) - len(png)}, C2PA {len(marked) - len(labelled)}, "
          f"total {len(marked) - len(png)} ({100 * (len(marked) - len(png)) / len(png):.2f}%)")


if __name__ == "__main__":
    main()
