"""`dermforge sign`: a built release → the distributable signed release, checked by `verify`,
readable by `datasets` with labelled, credentialed images, and signed once across versions."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives import serialization
from datasets import Image, load_dataset

from clirun import CliFailed, invoke
from dermforge._paper import AUGMENTED_CONDITIONS
from dermforge.builder import build_release, verify_release
from dermforge.builder._manifest import write_manifest
from dermforge.schemas import Release
from dermforge.signing import (
    read_credentials,
    read_source_type,
    sign_release,
    source_type_for,
)
from release.factory import make_ready, next_version
from signing.helpers import Pki, png_bytes


@dataclass(frozen=True)
class Signed:
    root: Path
    ws: Any
    v1: Path
    s1: Path
    cache: Path
    public: Path
    anchor: Path
    other_anchor: Path


@pytest.fixture(scope="module")
def signed(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Signed:
    root = tmp_path_factory.mktemp("sign")
    ready = make_ready(root / "ws")
    v1 = build_release(ready.workspace, version="1.0.0", out=root / "v1").path
    key = serialization.load_pem_private_key(pki.key.read_bytes(), None)
    public = root / "pub.pem"
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (root / "ca.pem").write_bytes(pki.anchor)
    (root / "other-ca.pem").write_bytes(pki.other_anchor)
    s1 = sign_release(v1, key=pki.key, cert=pki.chain, out=root / "s1",
                      cache=root / "cache").path
    return Signed(root, ready.workspace, v1, s1, root / "cache", public, root / "ca.pem",
                  root / "other-ca.pem")


def _images(release: Path, config: str) -> dict[str, tuple[bytes, dict[str, Any]]]:
    out = {}
    for shard in sorted((release / "data" / config).glob("*.parquet")):
        for row in pq.read_table(shard).to_pylist():
            out[row["image_id"]] = (row["image"]["bytes"], row)
    return out


def test_a_signed_release_verifies_with_its_key_and_trust_anchor(signed: Signed,
                                                                 pki: Pki) -> None:
    report = verify_release(signed.s1, public_key=signed.public, trust_anchor=signed.anchor)
    assert report.ok, report.problems
    assert report.signature["ok"] and report.marks is not None
    images = report.counts["candidates"] + report.counts["synthetic"]
    assert report.marks["images"] == report.marks["labelled"] == report.marks["manifests"] \
        == images > 0
    assert report.marks["chain"] == "checked"
    unchecked = verify_release(signed.s1)
    assert unchecked.ok and unchecked.marks is not None
    assert unchecked.marks["chain"] == "unchecked"
    other = verify_release(signed.s1, trust_anchor=signed.other_anchor)
    assert len(other.problems) == images
    assert all("does not chain to the trust anchor" in p.problem for p in other.problems)
    # release.json: made from the unsigned release, fingerprints only
    release = Release.model_validate_json((signed.s1 / "release.json").read_bytes())
    assert release.signing is not None
    unsigned = hashlib.sha256((signed.v1 / "MANIFEST.json").read_bytes()).hexdigest()
    assert release.signing.unsigned_manifest_sha256 == unsigned
    assert release.signing.images_signed + release.signing.images_reused == \
        release.signing.images == report.counts["candidates"]
    card = (signed.s1 / "README.md").read_text()
    assert "## How to verify this release" in card
    assert release.signing.public_key_fingerprint in card
    # the tests sign with the library's demo keys: release.json and the card say so
    assert release.signing.demo_key and "Signed with a DEMO key" in card
    assert "model_signing verify key" in card and "c2pa.Reader" in card
    key_body = pki.key.read_text().splitlines()[1]
    for path in signed.s1.rglob("*"):
        if path.is_file():
            assert key_body.encode() not in path.read_bytes(), path


def test_the_cli_signs_and_verifies_and_never_overwrites(signed: Signed, pki: Pki) -> None:
    out = signed.root / "s1-cli"
    result = invoke("sign", signed.v1, "--key", pki.key, "--cert", pki.chain, "--out", out,
                    "--cache-dir", signed.cache, "--json")
    block = json.loads(result.stdout)["signing"]
    assert block["images_signed"] == 0 and block["images_reused"] == block["images"]
    assert "PRIVATE KEY" not in result.output and pki.key.read_text() not in result.output
    checked = json.loads(invoke("verify", out, "--public-key", signed.public,
                                "--trust-anchor", signed.anchor, "--json").stdout)
    configs = checked["checked"]["configs"]
    assert block["images"] == configs["candidates"]  # distinct images; synthetic re-uses them
    assert checked["ok"] and checked["marks"]["manifests"] == \
        configs["candidates"] + configs["synthetic"]
    with pytest.raises(CliFailed) as refused:
        invoke("sign", signed.v1, "--key", pki.key, "--cert", pki.chain, "--out", out)
    assert refused.value.exit_code == 1 and "already exists" in refused.value.output
    with pytest.raises(CliFailed) as again:  # a signed release is not signed again
        invoke("sign", out, "--key", pki.key, "--cert", pki.chain, "--out",
               signed.root / "twice")
    assert again.value.exit_code == 1 and "signed release already" in again.value.output


def test_the_certificate_method_verifies_against_the_ca_with_or_without_dermforge(
        signed: Signed, pki: Pki) -> None:
    out = signed.root / "s1-cert"
    invoke("sign", signed.v1, "--key", pki.key, "--cert", pki.chain, "--out", out,
           "--cache-dir", signed.cache, "--signature-method", "certificate")
    release = Release.model_validate_json((out / "release.json").read_bytes())
    assert release.signing is not None and release.signing.signature_method == "certificate"
    card = (out / "README.md").read_text()
    assert "model_signing verify certificate" in card and "verify key" not in card
    report = verify_release(out, trust_anchor=signed.anchor)  # no public key needed
    assert report.ok, report.problems
    assert report.signature["checked"] and report.signature["method"] == "certificate"
    assert report.signature["key_fingerprint"] == release.signing.public_key_fingerprint
    assert verify_release(out, public_key=signed.public, trust_anchor=signed.anchor).ok
    other = verify_release(out, trust_anchor=signed.other_anchor)
    assert any(p.file == "release.sig" and "does not chain to the trust anchor" in p.problem
               for p in other.problems)
    unrelated = signed.root / "unrelated.pub"
    unrelated.write_bytes(serialization.load_pem_public_key(
        signed.public.read_bytes()).public_bytes(  # the same key: accepted
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert verify_release(out, public_key=unrelated, trust_anchor=signed.anchor).ok
    own = subprocess.run(  # the card's command: model-signing's own CLI, no dermforge
        [sys.executable, "-m", "model_signing", "verify", "certificate", str(out),
         "--signature", str(out / "release.sig"), "--certificate_chain", str(signed.anchor)],
        capture_output=True, text=True, timeout=120, check=False)
    assert own.returncode == 0 and "Verification succeeded" in own.stdout, own
    # a key-method release with only a trust anchor: the signature is reported unchecked
    keyed = verify_release(signed.s1, trust_anchor=signed.anchor)
    assert keyed.ok and keyed.signature["checked"] is False


def test_an_encrypted_key_takes_its_password_from_the_variable_named(
        signed: Signed, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    encrypted = pki.key.with_name("encrypted.key")
    args = ["sign", signed.v1, "--key", encrypted, "--cert", pki.chain,
            "--cache-dir", signed.cache, "--password-env", "TEST_SIGNING_PASSWORD"]
    monkeypatch.delenv("TEST_SIGNING_PASSWORD", raising=False)
    with pytest.raises(CliFailed) as unset:
        invoke(*args, "--out", signed.root / "enc-unset")
    assert unset.value.exit_code == 2 and "'TEST_SIGNING_PASSWORD'" in unset.value.output
    assert not (signed.root / "enc-unset").exists()
    monkeypatch.setenv("TEST_SIGNING_PASSWORD", "not the password")
    with pytest.raises(CliFailed) as wrong:
        invoke(*args, "--out", signed.root / "enc-wrong")
    assert wrong.value.exit_code == 2 and "not the password" not in wrong.value.output
    monkeypatch.setenv("TEST_SIGNING_PASSWORD", "correct horse")
    result = invoke(*args, "--out", signed.root / "enc", "--json")
    assert "correct horse" not in result.output
    assert verify_release(signed.root / "enc", public_key=signed.public,
                          trust_anchor=signed.anchor).ok


def test_load_dataset_gives_labelled_credentialed_images_matching_their_rows(
        signed: Signed, pki: Pki, tmp_path: Path) -> None:
    generated = _images(signed.v1, "candidates")
    # a private datasets cache: a shared one may hold another run's folder of the same path
    hf_cache = str(tmp_path / "hf")
    rows = load_dataset(str(signed.s1), "synthetic", split="train",
                        cache_dir=hf_cache).cast_column(
        "image", Image(decode=False))
    assert len(rows) > 0
    for row in rows:
        data = row["image"]["bytes"]
        assert hashlib.sha256(data).hexdigest() == row["image_sha256"]
        assert row["generated_sha256"] == generated[row["image_id"]][1]["image_sha256"]
        assert row["generated_sha256"] != row["image_sha256"]
        kind = source_type_for(backend=row["backend"], operation=row["operation"],
                               image=row["image_id"])
        assert read_source_type(data, image=row["image_id"]) == kind
        found = read_credentials(data, pki.anchor, image=row["image_id"])
        assert found.trusted, found.failures
        stated = found.provenance
        assert stated is not None
        assert {k: stated[k] for k in ("image_id", "prompt", "backend", "model", "operation",
                                       "verdict", "reviewer", "release_added")} == \
            {k: row[k] for k in ("image_id", "prompt", "backend", "model", "operation",
                                 "verdict", "reviewer", "release_added")}
        assert stated["seed_sha256"] == row["crop_sha256"]
        assert [i["instance_id"] for i in found.ingredients
                if i["relationship"] == "componentOf"] == ["sha256:" + row["crop_sha256"]]
        assert stated["digital_source_type"] == kind
        assert stated["mask_sha256"] == row["mask_sha256"]
    seeds = load_dataset(str(signed.s1), "seeds", split="train", cache_dir=hf_cache).cast_column(
        "crop", Image(decode=False))
    assert all(read_source_type(r["crop"]["bytes"], image=r["seed_id"]) is None for r in seeds)
    # each seed ingredient names bytes the seeds config holds
    crops = {hashlib.sha256(r["crop"]["bytes"]).hexdigest() for r in seeds}
    assert {r["crop_sha256"] for r in rows} <= crops
    assert (_images(signed.v1, "candidates").keys() == _images(signed.s1, "candidates").keys())


def test_v2_re_signs_only_new_or_changed_images(signed: Signed, pki: Pki,
                                                tmp_path: Path) -> None:
    ws = type(signed.ws)(tmp_path / "ws")
    shutil.copytree(signed.ws.root, ws.root)
    next_version(ws, flip=2, add_seeds=1, conditions=AUGMENTED_CONDITIONS,
                 candidates_per_seed=3, accept_per_seed=2, size=32)
    v2 = build_release(ws, version="1.1.0", out=tmp_path / "v2", previous=signed.v1).path
    cache = tmp_path / "cache"
    shutil.copytree(signed.cache, cache)
    s2 = sign_release(v2, key=pki.key, cert=pki.chain, out=tmp_path / "s2", cache=cache)
    old, new = _images(signed.v1, "candidates"), _images(v2, "candidates")
    changed = {i for i, (_, row) in new.items()
               if i not in old or (old[i][1]["verdict"], old[i][1]["reviewer"])
               != (row["verdict"], row["reviewer"])}
    assert 0 < len(changed) < len(new)
    assert s2.signing.images_signed == len(changed)
    assert s2.signing.images_reused == len(new) - len(changed)
    first, second = _images(signed.s1, "candidates"), _images(s2.path, "candidates")
    for image_id in new.keys() - changed:
        assert first[image_id][0] == second[image_id][0], image_id
    for image_id in changed & old.keys():
        assert first[image_id][0] != second[image_id][0], image_id
    synthetic = _images(s2.path, "synthetic")
    assert all(second[i][0] == data for i, (data, _) in synthetic.items())
    assert verify_release(s2.path, public_key=signed.public,
                          trust_anchor=signed.anchor).ok


def test_a_consistent_rewrite_fails_verify_with_the_key_naming_the_file(
        signed: Signed, tmp_path: Path) -> None:
    forged = tmp_path / "forged"
    shutil.copytree(signed.s1, forged)
    shard = sorted((forged / "data" / "candidates").glob("*.parquet"))[0]
    table = pq.read_table(shard)
    rows = table.to_pylist()
    other = png_bytes(side=32, seed=7)
    rows[0]["image"] = {"bytes": other, "path": rows[0]["image"]["path"]}
    rows[0]["image_sha256"] = hashlib.sha256(other).hexdigest()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), shard)
    release = json.loads((forged / "release.json").read_text())
    rel = shard.relative_to(forged).as_posix()
    release["files"][rel] = hashlib.sha256(shard.read_bytes()).hexdigest()
    (forged / "release.json").write_text(json.dumps(release, indent=2, sort_keys=True))
    write_manifest(forged)
    report = verify_release(forged, public_key=signed.public)
    assert any(p.file == rel and "changed since it was signed" in p.problem
               for p in report.problems), report.problems
    assert any(p.row == rows[0]["image_id"] and "no C2PA manifest" in p.problem
               for p in report.problems)
    with pytest.raises(CliFailed) as failed:
        invoke("verify", forged, "--public-key", signed.public)
    assert failed.value.exit_code == 1 and rel in failed.value.output
