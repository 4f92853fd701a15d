"""Content Credentials: sign with a local test CA, read back and validate with c2pa-python."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from dermforge.errors import InputError
from dermforge.signing import (
    IPTC_NEWSCODES,
    ImageSigner,
    has_manifest,
    ingredient_problems,
    mark_image,
    read_credentials,
    read_source_type,
)
from signing.helpers import Pki, png_bytes, provenance, with_one_pixel_changed


def signer(pki: Pki) -> ImageSigner:
    return ImageSigner(pki.key, pki.chain)


def test_a_marked_image_is_trusted_and_carries_its_provenance(pki: Pki) -> None:
    facts = provenance()
    marked = mark_image(png_bytes(), facts, signer(pki))
    found = read_credentials(marked, pki.anchor, image=facts.image_id)
    assert found.state == "Trusted" and found.trusted and found.failures == ()
    assert found.provenance == facts.assertion()
    (action,) = found.assertions["c2pa.actions.v2"]["actions"]
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"] == IPTC_NEWSCODES + "compositeWithTrainedAlgorithmicMedia"
    assert found.signer["common_name"] == "dermforge demo signer"
    assert read_source_type(marked, image=facts.image_id) == facts.source_type
    assert marked.count(b"XML:com.adobe.xmp") == 1 and marked.count(b"caBX") == 1
    with Image.open(io.BytesIO(marked)) as image:
        assert IPTC_NEWSCODES.encode() in image.info["xmp"]


def test_the_seed_crop_is_an_ingredient_named_by_its_sha256(pki: Pki) -> None:
    facts = provenance(seed_sha256="c" * 64)
    found = read_credentials(mark_image(png_bytes(), facts, signer(pki)), pki.anchor,
                             image=facts.image_id)
    (seed,) = found.ingredients
    assert seed["relationship"] == "componentOf" and seed["instance_id"] == "sha256:" + "c" * 64
    assert ingredient_problems(found, facts) == []
    other = provenance(seed_sha256="d" * 64)
    (problem,) = ingredient_problems(found, other)
    assert "sha256:" + "c" * 64 in problem and "sha256:" + "d" * 64 in problem
    (none,) = ingredient_problems(found, provenance(seed_sha256=""))
    assert "no seed image" in none
    bare = provenance(seed_sha256="")
    unseeded = read_credentials(mark_image(png_bytes(), bare, signer(pki)), pki.anchor,
                                image=bare.image_id)
    assert unseeded.ingredients == () and ingredient_problems(unseeded, bare) == []
    (missing,) = ingredient_problems(unseeded, facts)
    assert "no seed ingredient" in missing


def test_no_thumbnail_and_a_few_kilobytes_added(pki: Pki) -> None:
    png = png_bytes()
    marked = mark_image(png, provenance(), signer(pki))
    found = read_credentials(marked, pki.anchor, image="x")
    assert not any("thumbnail" in label for label in found.assertions)
    assert len(marked) - len(png) < 8_000


def test_one_changed_pixel_breaks_the_hash_binding(pki: Pki) -> None:
    marked = mark_image(png_bytes(), provenance(), signer(pki))
    tampered = with_one_pixel_changed(marked)
    assert has_manifest(tampered, image="x")
    found = read_credentials(tampered, pki.anchor, image="x")
    assert found.state == "Invalid" and not found.trusted
    assert "assertion.dataHash.mismatch" in found.failures


def test_another_trust_anchor_does_not_trust_it(pki: Pki) -> None:
    marked = mark_image(png_bytes(), provenance(), signer(pki))
    found = read_credentials(marked, pki.other_anchor, image="x")
    assert not found.trusted
    assert "signingCredential.untrusted" in found.failures


def test_an_unsigned_image_has_no_credentials(pki: Pki) -> None:
    found = read_credentials(png_bytes(), pki.anchor, image="x")
    assert found.state == "absent" and not found.trusted and found.provenance is None


def test_a_providers_manifest_is_kept_as_the_parent_ingredient(pki: Pki) -> None:
    provider_facts = provenance(image_id="provider", backend="provider", model="m")
    from_provider = signer(pki).sign(png_bytes(seed=3), provider_facts)
    facts = provenance()
    marked = mark_image(from_provider, facts, signer(pki))
    found = read_credentials(marked, pki.anchor, image=facts.image_id)
    assert found.trusted, found.failures
    assert marked.count(b"caBX") == 1 and marked.count(b"XML:com.adobe.xmp") == 1
    by_relationship = {i["relationship"]: i for i in found.ingredients}
    assert len(found.ingredients) == 2
    parent, seed = by_relationship["parentOf"], by_relationship["componentOf"]
    assert seed["instance_id"] == "sha256:" + "a" * 64
    assert parent["active_manifest"].startswith("urn:c2pa:")
    assert found.provenance == facts.assertion()
    actions = [a["action"] for a in found.assertions["c2pa.actions.v2"]["actions"]]
    assert actions[0] == "c2pa.opened" and "c2pa.edited" in actions


def test_a_wrong_password_or_bad_key_never_shows_the_key(pki: Pki, tmp_path: Path) -> None:
    secret = pki.key.read_text()
    cases = [(pki.key.with_name("encrypted.key"), b"wrong"),
             (pki.key.with_name("encrypted.key"), None)]
    garbled = tmp_path / "garbled.key"
    garbled.write_text(secret.replace("A", "B").replace("Q", "R"))
    cases.append((garbled, None))
    chain_as_key = tmp_path / "cert-as-key.pem"
    chain_as_key.write_bytes(pki.chain.read_bytes())
    cases.append((chain_as_key, None))
    for path, password in cases:
        with pytest.raises(InputError) as err:
            ImageSigner(path, pki.chain, password=password)
        message = str(err.value)
        assert str(path) in message and "fix:" in message
        for line in (secret + path.read_text()).splitlines():
            if "-----" not in line:
                assert line not in message
    right = ImageSigner(pki.key.with_name("encrypted.key"), pki.chain,
                        password=b"correct horse")
    assert "PRIVATE" not in repr(right) and secret not in repr(right)


def test_a_key_that_is_not_the_certificates_is_refused(pki: Pki, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = tmp_path / "other.key"
    other.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(InputError, match="is not the certificate of the private key"):
        ImageSigner(other, pki.chain)
    with pytest.raises(InputError, match="holds no PEM certificate"):
        ImageSigner(pki.key, pki.key)
    with pytest.raises(InputError, match="cannot read the private key file"):
        ImageSigner(tmp_path / "missing.key", pki.chain)


def test_a_certificate_c2pa_refuses_fails_when_the_signer_is_made(pki: Pki,
                                                                  tmp_path: Path) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = serialization.load_pem_private_key(pki.key.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self-signed CA")])
    now = dt.datetime.now(dt.UTC)
    ca_for_the_key = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                      .public_key(key.public_key()).serial_number(1)
                      .not_valid_before(now - dt.timedelta(days=1))
                      .not_valid_after(now + dt.timedelta(days=1))
                      .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                      .sign(key, hashes.SHA256()))
    chain = tmp_path / "ca-chain.pem"
    chain.write_bytes(ca_for_the_key.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(InputError, match=f"C2PA refuses the certificate chain {chain}") as err:
        ImageSigner(pki.key, chain)
    assert "digitalSignature" in str(err.value)
