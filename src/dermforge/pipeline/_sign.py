"""The sign step: an unsigned release → the distributable, signed release (a new folder).

Not a DVC stage: signatures carry random salts, so the signed bytes are not reproducible;
the reproducible build stays the DVC-tracked artifact and release.json ``signing`` records
its MANIFEST.json hash."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ..signing import DemoKeys, SignatureMethod, SignResult, create_demo_keys, sign_release

__all__ = ["default_demo_keys", "default_signed_cache", "run_demo_keys", "run_sign"]


def default_signed_cache() -> Path:
    """Where signed images are kept between releases unless told: ``.dermforge/signed-cache``
    under the current folder."""
    return Path.cwd() / ".dermforge" / "signed-cache"


def _key_password(variable: str) -> bytes:
    """The password of an encrypted private key, from the environment variable the
    maintainer names (never from an argument: it would show in the shell's history and the
    process list). Errors name the variable, never a value."""
    value = os.environ.get(variable)
    if not variable or value is None:
        raise InputError(f"the environment variable {variable!r} that should hold the key's "
                         "password is not set",
                         fix=f"export {variable or 'DERMFORGE_KEY_PASSWORD'}=… in the shell "
                             "(or your CI's secret store) before signing")
    if not value:
        raise InputError(f"the environment variable {variable!r} is empty",
                         fix="set it to the private key's password")
    return value.encode("utf-8")


def run_sign(release: Path | str, *, key: Path, cert: Path, out: Path | str,
             cache: Path | None = None, password: bytes | None = None,
             password_env: str | None = None,
             signature_method: SignatureMethod = "key") -> SignResult:
    """Sign ``release`` into the new folder ``out`` with the PEM private ``key`` and its
    certificate chain ``cert``; unchanged images re-use their signed bytes from ``cache``
    (default :func:`default_signed_cache`). An encrypted key's password is ``password`` or
    the value of the environment variable named ``password_env`` (never logged or shown)."""
    if password_env is not None:
        if password is not None:
            raise InputError("both a password and password_env were given",
                             fix="pass one of them")
        password = _key_password(password_env)
    return sign_release(release, key=key, cert=cert, out=out,
                        cache=cache if cache is not None else default_signed_cache(),
                        password=password, signature_method=signature_method)


def default_demo_keys() -> Path:
    """Where the throw-away demo keys are kept unless told: ``.dermforge/demo-keys`` under
    the current folder (git-ignored)."""
    return Path.cwd() / ".dermforge" / "demo-keys"


def run_demo_keys(folder: Path | None = None) -> DemoKeys:
    """Make a throw-away demo CA and signing key in ``folder`` (default
    :func:`default_demo_keys`) unless it holds them already."""
    return create_demo_keys(folder if folder is not None else default_demo_keys())
