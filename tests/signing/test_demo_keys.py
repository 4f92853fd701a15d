"""`dermforge demo-keys`: a throw-away CA and a C2PA signing certificate, made once, all or
none, with the private key readable by its owner only; a certificate of it is told apart."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clirun import CliFailed, invoke
from dermforge.signing import DEMO_ORGANIZATION, ImageSigner, is_demo_certificate

FILES = {"ca.pem", "chain.pem", "signer.key", "signer.pub"}


def test_demo_keys_are_made_once_and_c2pa_usable(tmp_path: Path) -> None:
    folder = tmp_path / ".dermforge" / "demo-keys"
    made = json.loads(invoke("demo-keys", folder, "--json").stdout)
    assert made["created"] and {p.name for p in folder.iterdir()} == FILES
    assert stat.S_IMODE((folder / "signer.key").stat().st_mode) == 0o600
    assert made["key"] == str(folder / "signer.key")
    assert made["public_key"] == str(folder / "signer.pub")
    leaf, ca = x509.load_pem_x509_certificates((folder / "chain.pem").read_bytes())
    assert ca.public_bytes(serialization.Encoding.PEM) == (folder / "ca.pem").read_bytes()
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in \
        leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        (folder / "signer.pub").read_bytes()
    assert ImageSigner(folder / "signer.key", folder / "chain.pem").demo  # c2pa signs with it
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = invoke("demo-keys", folder)
    assert "kept the demo keys" in again.output and "PRIVATE KEY" not in again.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.joinpath(".dermforge").iterdir()] == ["demo-keys"]


def test_an_incomplete_folder_is_refused_naming_what_it_lacks(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    invoke("demo-keys", folder)
    (folder / "signer.pub").unlink()
    with pytest.raises(CliFailed) as refused:
        invoke("demo-keys", folder)
    assert refused.value.exit_code == 2
    assert "lacks signer.pub" in refused.value.output and f"remove {folder}" in \
        " ".join(refused.value.output.split())
    (folder / "signer.pub").write_bytes(b"")
    (folder / "chain.pem").write_text("not a certificate")
    with pytest.raises(CliFailed) as unreadable:
        invoke("demo-keys", folder)
    assert unreadable.value.exit_code == 2 and "holds no PEM certificate" in \
        " ".join(unreadable.value.output.split())


def test_only_a_demo_subject_is_a_demo_certificate() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def cert(organization: str) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "maintainer"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))

    assert is_demo_certificate(cert(DEMO_ORGANIZATION))
    assert not is_demo_certificate(cert("dermforge"))
