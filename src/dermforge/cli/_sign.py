"""`dermforge sign RELEASE --key PRIVATE.pem --cert CHAIN.pem --out SIGNED` and
`dermforge demo-keys [DIR]` (a throw-away demo CA and key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._choices import SignatureMethod
from ._common import JsonOption, ReleaseArgument, out, print_json, say_cleaned

__all__ = ["demo_keys", "sign"]


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
    password_env: Annotated[str | None, typer.Option(
        "--password-env", metavar="VAR", help="the environment variable holding the password "
        "of an encrypted --key (the password itself is never an argument)")] = None,
    method: Annotated[SignatureMethod, typer.Option(
        "--signature-method", help="release.sig by the key alone (verified with the public "
        "key) or with --cert's chain embedded (verified against the CA: `verify "
        "--trust-anchor`)")] = "key",
    as_json: JsonOption = False,
) -> None:
    """Make the distributable release: every synthetic and candidates image with its
    AI-generated label (IPTC digital source type, XMP) and Content Credentials (C2PA),
    release.json `signing`, the card's "How to verify this release", MANIFEST.json, and
    last a detached signature over every file (release.sig, OpenSSF model-signing).

    RELEASE is the unsigned release `dermforge build` wrote; it must pass `dermforge
    verify`. Seeds (real photographs) stay unmarked. Check the result with `dermforge
    verify SIGNED --public-key PUB.pem --trust-anchor CA.pem`.

    An encrypted key's password comes from the environment variable --password-env
    names (e.g. DERMFORGE_KEY_PASSWORD), never from the command line.

    Exit codes: 0 signed; 1 refused (--out exists, RELEASE signed already or failing
    verify); 2 RELEASE is not a release, or a key/certificate file is unusable.

    --json prints {"release", "name", "version", "signing": {…}}, the signing block as
    release.json records it (fingerprints only, never key material).
    """
    from ..pipeline import run_sign

    result = run_sign(release, key=key, cert=cert, out=signed, cache=cache,
                      password_env=password_env, signature_method=method)
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


def demo_keys(
    folder: Annotated[Path | None, typer.Argument(
        metavar="DIR", help="where to keep the demo keys (default: .dermforge/demo-keys in "
        "the current folder)", show_default=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a throw-away demo CA and signing key (unless DIR holds them already), for
    trying `dermforge sign` and `make demo`: ca.pem (--trust-anchor), chain.pem (--cert),
    signer.key (--key, mode 0600) and signer.pub (--public-key).

    Every certificate's subject says O=dermforge demo: a release signed with it says in
    release.json and its card that it is signed with a DEMO key. Never publish with it.

    Exit codes: 0 made or found; 2 DIR exists but lacks a file or its certificate expired.

    --json prints {"folder", "created", "key", "cert", "public_key", "trust_anchor"}.
    """
    from ..pipeline import run_demo_keys

    keys = run_demo_keys(folder)
    files = {"key": keys.key, "cert": keys.chain, "public_key": keys.public_key,
             "trust_anchor": keys.anchor}
    if as_json:
        print_json({"folder": keys.folder, "created": keys.created, **files})
        return
    out.print(f"{'made' if keys.created else 'kept'} the demo keys in {keys.folder}")
    for name, path in files.items():
        out.print(f"  --{name.replace('_', '-')} {path}")
