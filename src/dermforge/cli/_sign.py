"""`dermforge sign RELEASE --key PRIVATE.pem --cert CHAIN.pem --out SIGNED`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import JsonOption, ReleaseArgument, out, print_json, say_cleaned

__all__ = ["sign"]


def sign(
    release: ReleaseArgument,
    key: Annotated[Path, typer.Option(
        "--key", metavar="PRIVATE.pem", help="the maintainer's PEM EC P-256 private key "
        "(signs the images' Content Credentials and release.sig); never copied anywhere")],
    cert: Annotated[Path, typer.Option(
        "--cert", metavar="CHAIN.pem", help="the key's PEM certificate chain, signing "
        "certificate first (C2PA: digitalSignature usage, not a CA)")],
    signed: Annotated[Path, typer.Option(
        "--out", metavar="SIGNED", help="the new folder for the signed release (must not "
        "exist)")],
    cache: Annotated[Path | None, typer.Option(
        "--cache-dir", metavar="DIR", help="signed images kept between releases, so unchanged "
        "images keep their signed bytes (default: .dermforge/signed-cache in the current "
        "folder)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Make the distributable release: every synthetic and candidates image with its
    AI-generated label (IPTC digital source type, XMP) and Content Credentials (C2PA),
    release.json `signing`, the card's "How to verify this release", MANIFEST.json, and
    last a detached signature over every file (release.sig, OpenSSF model-signing).

    RELEASE is the unsigned release `dermforge build` wrote; it must pass `dermforge
    verify`. Seeds (real photographs) stay unmarked. Check the result with `dermforge
    verify SIGNED --public-key PUB.pem --trust-anchor CA.pem`.

    Exit codes: 0 signed; 1 refused (--out exists, RELEASE signed already or failing
    verify); 2 RELEASE is not a release, or a key/certificate file is unusable.

    --json prints {"release", "name", "version", "signing": {…}}, the signing block as
    release.json records it (fingerprints only, never key material).
    """
    from ..pipeline import run_sign

    result = run_sign(release, key=key, cert=cert, out=signed, cache=cache)
    say_cleaned(result.cleaned)
    s = result.signing
    if as_json:
        print_json({"release": result.path, "name": result.release.name,
                    "version": result.release.version, "signing": s})
        return
    out.print(f"signed {s.images} images: {s.images_signed} signed now, {s.images_reused} "
              "re-used from the cache")
    out.print(f"public key {s.public_key_fingerprint}; certificate sha256 "
              f"{s.certificate_sha256}")
    out.print(f"release: {result.path} (signature {result.signature.name})")
