"""A throw-away demo CA and signing key (`dermforge demo-keys`, `make demo`, the tests).

Made with ``cryptography``: a self-signed P-256 CA and a P-256 signing certificate that C2PA
accepts (digitalSignature usage, emailProtection extended usage, not a CA, subject and
authority key identifiers), written as PEM files into one folder, all or none (a temp folder
renamed into place): ``ca.pem`` (the trust anchor), ``chain.pem`` (signing certificate, then
the CA), ``signer.key`` (the private key, mode 0600, unencrypted) and ``signer.pub`` (its
public key, for `dermforge verify --public-key`). Every subject carries
``O=`` :data:`DEMO_ORGANIZATION`, which `dermforge sign` records (release.json
``signing.demo_key``) and the card states: a release signed with it is not the maintainer's.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .._atomic import fsync_dir, storage_errors
from ..errors import InputError

__all__ = ["DEMO_ORGANIZATION", "DemoKeys", "create_demo_keys", "is_demo_certificate"]

#: the subject organization of every demo certificate: what marks a release as demo-signed
DEMO_ORGANIZATION = "dermforge demo"
_PEM = serialization.Encoding.PEM
_DAYS = 365
_FILES = ("ca.pem", "chain.pem", "signer.key", "signer.pub")


@dataclass(frozen=True)
class DemoKeys:
    """The demo key files in ``folder``; ``created`` is False when they were there already."""

    folder: Path
    created: bool

    @property
    def anchor(self) -> Path:
        """The CA certificate: `dermforge verify --trust-anchor`."""
        return self.folder / "ca.pem"

    @property
    def chain(self) -> Path:
        """Signing certificate then CA: `dermforge sign --cert`."""
        return self.folder / "chain.pem"

    @property
    def key(self) -> Path:
        """The private key: `dermforge sign --key`."""
        return self.folder / "signer.key"

    @property
    def public_key(self) -> Path:
        """The public key: `dermforge verify --public-key`."""
        return self.folder / "signer.pub"


def is_demo_certificate(certificate: x509.Certificate) -> bool:
    """Whether ``certificate``'s subject organization is :data:`DEMO_ORGANIZATION`."""
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return any(n.value == DEMO_ORGANIZATION for n in names)


def create_demo_keys(folder: Path | str) -> DemoKeys:
    """Write a fresh demo CA and signing key into ``folder`` unless it holds them already.

    Raises :class:`InputError` when ``folder`` exists but lacks a file, or its signing
    certificate has expired (remove the folder: the keys are throw-away)."""
    folder = Path(folder)
    if folder.exists():
        _check_existing(folder)
        return DemoKeys(folder, created=False)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with storage_errors(folder):
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
        try:
            _write(tmp)
            tmp.rename(folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_dir(folder.parent)
    return DemoKeys(folder, created=True)


def _check_existing(folder: Path) -> None:
    missing = [name for name in _FILES if not (folder / name).is_file()]
    fix = f"remove {folder} (throw-away demo keys); the next run makes new ones"
    if missing:
        raise InputError(f"the demo key folder {folder} lacks {', '.join(missing)}", fix=fix)
    try:
        chain = x509.load_pem_x509_certificates((folder / "chain.pem").read_bytes())
    except ValueError:
        raise InputError(f"the demo key folder's {folder / 'chain.pem'} holds no PEM "
                         "certificate", fix=fix) from None
    if chain[0].not_valid_after_utc <= dt.datetime.now(dt.UTC):
        raise InputError(f"the demo signing certificate in {folder / 'chain.pem'} expired "
                         f"on {chain[0].not_valid_after_utc:%Y-%m-%d}", fix=fix)


def _write(tmp: Path) -> None:
    ca_key, ca = _new_ca("dermforge demo CA")
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _new_signing_certificate(ca_key, ca, key, "dermforge demo signer")
    (tmp / "ca.pem").write_bytes(ca.public_bytes(_PEM))
    (tmp / "chain.pem").write_bytes(leaf.public_bytes(_PEM) + ca.public_bytes(_PEM))
    fd = os.open(tmp / "signer.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as private:
        private.write(key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    (tmp / "signer.pub").write_bytes(key.public_key().public_bytes(
        _PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    for name in _FILES:
        with open(tmp / name, "rb") as written:
            os.fsync(written.fileno())
    tmp.chmod(0o700)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANIZATION)])


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=not sign, crl_sign=not sign, encipher_only=False,
                         decipher_only=False)


def _builder(subject: x509.Name, issuer: x509.Name,
             key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=_DAYS))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False))


def _new_ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed P-256 demo CA named ``common`` (path length 0)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (_builder(_name(common), _name(common), key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(sign=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _new_signing_certificate(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate,
                            key: ec.EllipticCurvePrivateKey, common: str) -> x509.Certificate:
    """A C2PA signing certificate for ``key`` issued by the demo CA ``ca``."""
    return (_builder(_name(common), ca.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
