"""A detached signature over every file of a release folder, in the OpenSSF ``model-signing``
format (a Sigstore bundle holding a DSSE envelope over an in-toto statement that lists every
file's sha256), made with an elliptic-curve private key (P-256, P-384 or P-521): by the key
alone (model-signing's ``key`` method), or with the key's certificate chain embedded
(its ``certificate`` method), which a verifier checks against the CA it trusts.

A user verifies it without dermforge, with ``model-signing``'s own command line::

    model_signing verify key RELEASE --signature RELEASE/release.sig --public_key PUB.pem
    model_signing verify certificate RELEASE --signature RELEASE/release.sig \
        --certificate_chain CA.pem

What the signature does not cover (never hashed, recorded as ``ignore_paths`` inside the signed
statement): the signature file itself, what a Hub clone adds (:data:`HUB_ADDED`) and the git
files ``model-signing`` always leaves out (``.git/``, ``.gitattributes``, ``.github/``,
``.gitignore``). :func:`verify_folder` names each such file found on disk, so nothing is left
out silently.

Keys are secrets: they are read from the files the caller names, and only those paths (never
their bytes) appear in errors. The ``model_signing._signing`` modules used here are the ones
its own ``signing.Config.sign`` / ``verifying.Config.verify`` run (1.1.x); they are used
directly so that the signature is written atomically and a failed verification names every
file instead of one message.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .._atomic import atomic_write_text
from ..builder._folder import HUB_ADDED, SIGNATURE_NAME
from ..errors import InputError, MissingExtraError, ReleaseError

if TYPE_CHECKING:
    from model_signing import hashing, manifest

__all__ = ["SIGNATURE_METHODS", "SIGNATURE_NAME", "FolderSignatureReport", "SignatureMethod",
           "public_key_fingerprint", "sign_folder", "signature_method", "verify_folder"]

SignatureMethod = Literal["key", "certificate"]
#: model-signing's methods dermforge signs with (Sigstore's keyless method needs an online
#: identity provider and transparency log, so it is left to model-signing's own CLI)
SIGNATURE_METHODS: tuple[SignatureMethod, ...] = ("key", "certificate")

#: what ``model-signing`` never hashes (its ``ignore_git_paths=True`` default)
_GIT_PATHS = (".git/", ".gitattributes", ".github/", ".gitignore")
_CURVES = ("secp256r1", "secp384r1", "secp521r1")
_KEY_FIX = ("pass a PEM elliptic-curve key (P-256, P-384 or P-521), e.g. made with `openssl "
            "ecparam -name prime256v1 -genkey -noout -out key.pem` and its public half with "
            "`openssl ec -in key.pem -pubout -out pub.pem`")


@dataclass
class FolderSignatureReport:
    """What :func:`verify_folder` found. Paths are POSIX, relative to the release."""

    root: Path
    signature: str
    key_fingerprint: str  # "" until a certificate-signed signature has been read
    method: SignatureMethod | None = None
    ok: bool = False
    error: str | None = None  # the signature itself is absent, unreadable or not by this key
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # on disk, covered by nothing signed
    not_covered: list[str] = field(default_factory=list)  # on disk, left out by design
    files: int = 0  # files the signature lists
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"checked": True, "ok": self.ok, "signature": self.signature,
                "method": self.method, "key_fingerprint": self.key_fingerprint,
                "error": self.error,
                "files": self.files, "changed": self.changed, "missing": self.missing,
                "added": self.added, "not_covered": self.not_covered}


def public_key_fingerprint(public_key: Path, *, password: bytes | None = None) -> str:
    """``sha256:`` + hex sha256 of the key's DER SubjectPublicKeyInfo (also accepts a private
    key file, encrypted with ``password`` or not, whose public half is fingerprinted)."""
    return _fingerprint(_load_public(public_key, allow_private=True, password=password))


def sign_folder(root: Path | str, private_key: Path, *, signature_name: str = SIGNATURE_NAME,
                password: bytes | None = None,
                certificate_chain: Path | None = None) -> Path:
    """Sign every file under ``root`` (but what the module docstring lists) with the EC key in
    ``private_key`` (and, with ``certificate_chain``, the PEM chain of its certificate, signing
    certificate first, embedded in the signature); write ``root/signature_name`` atomically
    (replacing an older signature) and return its path. Temp files a killed signing left are
    removed first."""
    root = _release_root(root)
    _, hashing_mod, signing_mod, _ = _model_signing()
    _load_private(private_key, password)  # fails here, naming the path, not inside the signer
    target = root / signature_name
    for stale in root.glob(f".{signature_name}.*.tmp"):
        stale.unlink(missing_ok=True)
    try:
        manifest = _hashing_config(hashing_mod, signature_name).hash(root)
    except ValueError as exc:  # a symbolic link or special file: model-signing refuses it
        raise ReleaseError(f"{root} cannot be signed: {exc}",
                           fix="a release holds regular files only: run `dermforge verify` "
                               "on it and rebuild it with `dermforge build`") from None
    payload = signing_mod.Payload(manifest)
    if certificate_chain is None:
        # bytes, though model-signing annotates str: it hands it to load_pem_private_key
        bundle = _key_signer(private_key, password).sign(payload).bundle
    else:
        bundle = _certificate_sign(private_key, password, certificate_chain, payload)
    atomic_write_text(target, bundle.to_json())
    return target


def _key_signer(private_key: Path, password: bytes | None) -> Any:
    return _model_signing()[3].Signer(private_key, password)


def _certificate_sign(private_key: Path, password: bytes | None, chain: Path,
                      payload: Any) -> Any:
    """Sign with model-signing's certificate method: the chain file is split into the signing
    certificate and the rest (public data, in a temp folder removed at once)."""
    if password is not None:
        raise InputError(f"private key {str(private_key)!r} is encrypted, and model-signing's "
                         "certificate method reads keys without a password",
                         fix="sign with --signature-method key, or with an unencrypted key "
                             "kept where only you can read it")
    try:
        certificates = x509.load_pem_x509_certificates(Path(chain).read_bytes())
    except (OSError, ValueError):
        certificates = []
    if not certificates:
        raise InputError(f"the certificate chain {str(chain)!r} holds no PEM certificate",
                         fix="name the PEM file with the signing certificate first, then its "
                             "intermediates")
    from model_signing._signing import sign_certificate

    pem = serialization.Encoding.PEM
    with tempfile.TemporaryDirectory(prefix="dermforge-chain-") as folder:
        leaf, rest = Path(folder) / "signing.pem", Path(folder) / "chain.pem"
        leaf.write_bytes(certificates[0].public_bytes(pem))
        rest.write_bytes(b"".join(c.public_bytes(pem) for c in certificates[1:]))
        try:
            signer = sign_certificate.Signer(Path(private_key), leaf,
                                             [rest] if certificates[1:] else [])
        except ValueError:
            raise InputError(f"the first certificate in {str(chain)!r} is not the "
                             f"certificate of the private key {str(private_key)!r}",
                             fix="put the signing certificate first in the chain file, then "
                                 "its intermediates") from None
        signed: Any = signer.sign(payload)
        return signed.bundle


def signature_method(path: Path) -> SignatureMethod | None:
    """How the signature bundle at ``path`` was made (``None``: absent or unreadable)."""
    bundle = _read_bundle(path)
    if bundle is None:
        return None
    chain = getattr(bundle.bundle.verification_material, "x509_certificate_chain", None)
    return "certificate" if chain is not None and chain.certificates else "key"


def verify_folder(root: Path | str, public_key: Path | None = None, *,
                  trust_anchor: Path | None = None,
                  signature_name: str = SIGNATURE_NAME) -> FolderSignatureReport:
    """Check ``root/signature_name`` against ``root``: a key-method signature against the key
    in ``public_key``; a certificate-method one against the PEM CA certificates in
    ``trust_anchor`` (and, when also given, its key must be ``public_key``)."""
    start = time.perf_counter()
    root = _release_root(root)
    key = None if public_key is None else _load_public(public_key)
    report = FolderSignatureReport(root, signature_name,
                                   "" if key is None else _fingerprint(key))
    expected = _signed_manifest(root / signature_name, public_key, trust_anchor, report)
    if expected is not None:
        _compare(root, expected, report)
        report.ok = not (report.changed or report.missing or report.added)
    report.seconds = time.perf_counter() - start
    return report


def _read_bundle(path: Path) -> Any:
    sigstore_pb = _model_signing()[0]
    try:
        return sigstore_pb.Signature.read(path)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _signed_manifest(path: Path, public_key: Path | None, trust_anchor: Path | None,
                     report: FolderSignatureReport) -> manifest.Manifest | None:
    """The manifest the signature vouches for, or None with ``report.error`` set."""
    if not path.is_file():
        report.error = "missing: the release is not signed (or its signature was removed)"
        return None
    signature = _read_bundle(path)
    if signature is None:
        report.error = "is not a model-signing signature bundle"
        return None
    report.method = signature_method(path)
    if report.method == "certificate":
        return _certificate_manifest(signature, public_key, trust_anchor, report)
    if public_key is None:
        report.error = ("is signed with a key (model-signing's key method): pass the "
                        "maintainer's --public-key to check it")
        return None
    try:
        signed: manifest.Manifest = _model_signing()[3].Verifier(public_key).verify(signature)
    except (InvalidSignature, ValueError, KeyError) as exc:  # ValueError: key hint mismatch
        why = "its key hint names another key" if "Key mismatch" in str(exc) else \
            "the signature does not verify"
        report.error = (f"was not made with the private key of {public_key} "
                        f"({report.key_fingerprint}): {why}")
        return None
    return signed


def _certificate_manifest(signature: Any, public_key: Path | None, trust_anchor: Path | None,
                          report: FolderSignatureReport) -> manifest.Manifest | None:
    if trust_anchor is None:
        report.error = ("is signed with a certificate (model-signing's certificate method): "
                        "pass --trust-anchor CA.pem, the CA certificate(s) it must chain to")
        return None
    from model_signing._signing import sign_certificate
    from OpenSSL import crypto

    from ._release_check import read_trust_anchor

    read_trust_anchor(trust_anchor)  # InputError naming the file when it holds no certificate
    leaf = x509.load_der_x509_certificate(
        signature.bundle.verification_material.x509_certificate_chain.certificates[0].raw_bytes)
    signer_key = _fingerprint(leaf.public_key())  # type: ignore[arg-type]
    if report.key_fingerprint and report.key_fingerprint != signer_key:
        report.error = (f"was signed by the key {signer_key}, not by the key of {public_key} "
                        f"({report.key_fingerprint})")
        return None
    report.key_fingerprint = signer_key
    try:
        verifier = sign_certificate.Verifier([Path(trust_anchor)])
        signed: manifest.Manifest = verifier.verify(signature)
    except (crypto.X509StoreContextError, crypto.Error) as exc:
        report.error = (f"its signing certificate does not chain to the trust anchor "
                        f"{trust_anchor} ({exc})")
        return None
    except (InvalidSignature, ValueError) as exc:
        report.error = f"does not verify with its signing certificate ({exc})"
        return None
    return signed


def _compare(root: Path, expected: manifest.Manifest, report: FolderSignatureReport) -> None:
    _, hashing_mod, _, _ = _model_signing()
    params = expected.serialization_type
    ignored = [str(p) for p in params.get("ignore_paths", ())]
    config = hashing_mod.Config().set_ignored_paths(paths=ignored, ignore_git_paths=True)
    config.use_file_serialization(hashing_algorithm=params.get("hash_type", "sha256"),
                                  allow_symlinks=bool(params.get("allow_symlinks", False)))
    want = {d.identifier: d.digest for d in expected.resource_descriptors()}
    try:
        actual = config.hash(root)
    except ValueError as exc:  # a symbolic link or special file: model-signing refuses it
        report.error = f"the folder cannot be hashed as signed: {exc}"
        return
    have = {d.identifier: d.digest for d in actual.resource_descriptors()}
    report.files = len(want)
    report.changed = sorted(k for k in want.keys() & have.keys() if want[k] != have[k])
    report.missing = sorted(want.keys() - have.keys())
    report.added = sorted(have.keys() - want.keys())
    leave_out = [*ignored, *_GIT_PATHS]
    report.not_covered = sorted(rel for rel in _all_files(root)
                                if rel not in have and _under(rel, leave_out))


def _under(rel: str, paths: Iterable[str]) -> bool:
    return any(rel == p.rstrip("/") or rel.startswith(p.rstrip("/") + "/") for p in paths)


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() or p.is_symlink())


def _hashing_config(hashing_mod: Any, signature_name: str) -> hashing.Config:
    ignored = [signature_name, *(h.rstrip("/") for h in HUB_ADDED)]
    config: hashing.Config = hashing_mod.Config().set_ignored_paths(
        paths=ignored, ignore_git_paths=True)
    return config.use_file_serialization(hashing_algorithm="sha256")


def _release_root(root: Path | str) -> Path:
    path = Path(root)
    if not path.is_dir():
        raise ReleaseError(f"{str(path)!r} is not a folder: there is nothing to sign or verify",
                           fix="pass the release folder written by `dermforge build --out DIR`")
    return path


def _model_signing() -> tuple[Any, Any, Any, Any]:
    try:
        from model_signing import hashing
        from model_signing._signing import sign_ec_key, sign_sigstore_pb, signing
    except ImportError as exc:  # model-signing 1.1.1 imports pyOpenSSL without requiring it
        missing = "model-signing" if exc.name in (None, "model_signing") else \
            f"{exc.name} (imported by model-signing)"
        raise MissingExtraError(missing, "sign") from None
    return sign_sigstore_pb, hashing, signing, sign_ec_key


def _read_key(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{what} {str(path)!r} cannot be read ({exc.strerror})",
                         fix=f"check the path and its permissions; {_KEY_FIX}") from None


def _load_private(path: Path, password: bytes | None) -> ec.EllipticCurvePrivateKey:
    data = _read_key(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError:
        raise InputError(f"private key {str(path)!r} is encrypted and no password was given "
                         "(or one was given for an unencrypted key)",
                         fix="give the key's password, or pass an unencrypted key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(f"private key {str(path)!r} is not a PEM private key (or its "
                         "password is wrong)", fix=_KEY_FIX) from None
    return _check_curve(key, path, "private key")  # type: ignore[return-value]


def _load_public(path: Path, *, allow_private: bool = False,
                 password: bytes | None = None) -> ec.EllipticCurvePublicKey:
    data = _read_key(path, "public key")
    key: Any = None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        if allow_private:
            with contextlib.suppress(ValueError, TypeError, UnsupportedAlgorithm):
                key = serialization.load_pem_private_key(data, password).public_key()
    if key is None:
        raise InputError(f"public key {str(path)!r} is not a PEM public key",
                         fix=_KEY_FIX)
    return _check_curve(key, path, "public key")  # type: ignore[return-value]


def _check_curve(key: Any, path: Path, what: str) -> object:
    curve = getattr(getattr(key, "curve", None), "name", None)
    if curve not in _CURVES:
        kind = curve or type(key).__name__.lstrip("_")
        raise InputError(f"{what} {str(path)!r} is a {kind} key; model-signing's key method "
                         f"signs with {', '.join(_CURVES)} only", fix=_KEY_FIX)
    return key


def _fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"sha256:{hashlib.sha256(der).hexdigest()}"
