"""The detached signature over a release folder (OpenSSF model-signing, key-based): made by
`sign_folder`, checked by `dermforge verify --public-key` and by model-signing's own CLI."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PIL import Image
from typer.testing import CliRunner

from dermforge.builder import build_release, verify_release, write_manifest
from dermforge.cli import app
from dermforge.errors import InputError
from dermforge.signing import (
    SIGNATURE_NAME,
    public_key_fingerprint,
    sign_folder,
    verify_folder,
)
from dermforge.store import sha256_file
from release.factory import make_ready

CANDIDATES = "data/candidates/train-00000-of-00001.parquet"
SYNTHETIC = "data/synthetic/train-00000-of-00001.parquet"


def _key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture(scope="module")
def _signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("signed")
    ready = make_ready(root / "ws")
    release = root / "release-1.0.0"
    build_release(ready.workspace, version="1.0.0", out=release)
    private, public = _key_pair(root, "maintainer")
    sign_folder(release, private)
    return release, private, public


@pytest.fixture
def signed(_signed: tuple[Path, Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of a signed release, and the public key."""
    copy = tmp_path / "release"
    shutil.copytree(_signed[0], copy)
    return copy, _signed[2]


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", *args])
    return result.exit_code, result.output


def _model_signing_cli(release: Path, public: Path) -> subprocess.CompletedProcess[str]:
    """model-signing's own command line: no dermforge involved."""
    return subprocess.run(
        [sys.executable, "-m", "model_signing", "verify", "key", str(release),
         "--signature", str(release / SIGNATURE_NAME), "--public_key", str(public)],
        capture_output=True, text=True, timeout=120, check=False)


def test_a_signed_release_verifies_with_the_key(signed: tuple[Path, Path]) -> None:
    release, public = signed
    report = verify_release(release, public_key=public)
    assert report.ok, report.problems
    block = report.signature
    assert block["checked"] and block["ok"] and block["files"] == 10  # 9 listed + MANIFEST
    assert block["key_fingerprint"] == public_key_fingerprint(public)
    assert block["not_covered"] == [SIGNATURE_NAME]
    code, output = _cli(str(release), "--public-key", str(public))
    assert code == 0, output
    assert f"signature: {SIGNATURE_NAME} by key sha256:" in output
    assert "covers all 10 files" in output


def test_without_a_key_a_signed_release_verifies_and_says_so(
        signed: tuple[Path, Path]) -> None:
    release, _ = signed
    code, output = _cli(str(release))
    assert code == 0, output
    assert f"signature: {SIGNATURE_NAME} present; not checked (pass --public-key" in output
    result = CliRunner().invoke(app, ["verify", str(release), "--json"])
    assert json.loads(result.output)["signature"] == {
        "checked": False, "present": True, "signature": SIGNATURE_NAME}


def test_model_signings_own_cli_verifies_the_folder(signed: tuple[Path, Path]) -> None:
    release, public = signed
    result = _model_signing_cli(release, public)
    assert result.returncode == 0 and "Verification succeeded" in result.stdout, result
    (release / "README.md").write_bytes((release / "README.md").read_bytes() + b" ")
    result = _model_signing_cli(release, public)
    assert result.returncode == 1 and "README.md" in result.stderr, result


def test_one_changed_byte_in_a_shard_is_named(signed: tuple[Path, Path]) -> None:
    release, public = signed
    path = release / SYNTHETIC
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_release(release, public_key=public)
    assert report.signature["changed"] == [SYNTHETIC]
    assert any(p.file == SYNTHETIC and "changed since it was signed" in p.problem
               for p in report.problems), report.problems


def _rewrite_one_image(release: Path) -> str:
    """A forger's consistent rewrite: new bytes for a rejected candidate's image, its row's
    image_sha256 and generated_sha256, and both MANIFEST.json and release.json; returns the
    image_id."""
    path = release / CANDIDATES
    table = pq.read_table(path)
    rows = table.to_pylist()
    released = set(pq.read_table(release / SYNTHETIC, columns=["image_id"])["image_id"]
                   .to_pylist())
    index = next(i for i, r in enumerate(rows) if r["image_id"] not in released)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(buffer, format="PNG")
    new = buffer.getvalue()
    rows[index]["image"] = {**rows[index]["image"], "bytes": new}
    rows[index]["image_sha256"] = hashlib.sha256(new).hexdigest()
    rows[index]["generated_sha256"] = rows[index]["image_sha256"]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    record = json.loads((release / "release.json").read_text(encoding="utf-8"))
    record["files"][CANDIDATES] = sha256_file(path)
    (release / "release.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(release)
    return str(rows[index]["image_id"])


def test_a_consistent_rewrite_passes_plain_verify_but_not_the_signature(
        signed: tuple[Path, Path]) -> None:
    release, public = signed
    _rewrite_one_image(release)
    assert verify_release(release).ok, verify_release(release).problems  # the forgery holds
    report = verify_release(release, public_key=public)
    assert report.signature["changed"] == ["MANIFEST.json", CANDIDATES, "release.json"]
    assert {p.file for p in report.problems} == {"MANIFEST.json", CANDIDATES, "release.json"}
    code, output = _cli(str(release), "--public-key", str(public))
    assert code == 1 and CANDIDATES in output
    assert _model_signing_cli(release, public).returncode == 1


def test_added_and_removed_files_and_what_is_not_covered(signed: tuple[Path, Path]) -> None:
    release, public = signed
    (release / "notes.txt").write_text("hello")
    (release / "CHANGELOG.md").unlink()
    (release / ".gitattributes").write_text("*.parquet filter=lfs\n")  # a Hub clone's
    report = verify_folder(release, public)
    assert report.added == ["notes.txt"] and report.missing == ["CHANGELOG.md"]
    assert report.not_covered == [".gitattributes", SIGNATURE_NAME]
    problems = [str(p) for p in verify_release(release, public_key=public).problems]
    assert f"notes.txt: not signed: added after {SIGNATURE_NAME} was made" in problems
    assert f"CHANGELOG.md: missing: {SIGNATURE_NAME} signs it" in problems


def test_the_wrong_public_key_fails(signed: tuple[Path, Path], tmp_path: Path) -> None:
    release, _ = signed
    _, other = _key_pair(tmp_path, "other")
    report = verify_release(release, public_key=other)
    [problem] = report.problems
    assert problem.file == SIGNATURE_NAME and str(other) in problem.problem
    assert "was not made with the private key" in problem.problem
    code, output = _cli(str(release), "--public-key", str(other), "--json")
    assert code == 1 and json.loads(output)["signature"]["ok"] is False
    assert _model_signing_cli(release, other).returncode == 1


def test_an_unsigned_release_fails_the_signature_check(signed: tuple[Path, Path]) -> None:
    release, public = signed
    (release / SIGNATURE_NAME).unlink()
    assert verify_release(release).ok
    [problem] = verify_release(release, public_key=public).problems
    assert problem.file == SIGNATURE_NAME and "not signed" in problem.problem


def test_unreadable_or_wrong_keys_name_the_path_not_the_key(
        signed: tuple[Path, Path], tmp_path: Path) -> None:
    release, public = signed
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n")
    for key in (rsa_key, garbage, tmp_path / "absent.pem"):
        with pytest.raises(InputError) as caught:
            sign_folder(release, key)
        assert str(key) in str(caught.value) and "c2VjcmV0" not in str(caught.value)
        assert caught.value.exit_code == 2 and caught.value.fix
    with pytest.raises(InputError):
        verify_folder(release, garbage)
    code, output = _cli(str(release), "--public-key", str(tmp_path / "absent.pem"))
    assert code == 2 and "absent.pem" in output and "fix:" in output
    assert verify_folder(release, public).ok  # nothing was rewritten by the failed signings


def test_resigning_replaces_the_signature_and_leaves_no_temp_files(
        signed: tuple[Path, Path], tmp_path: Path) -> None:
    release, _ = signed
    (release / f".{SIGNATURE_NAME}.abc.tmp").write_text("left by a killed signing")
    private, public = _key_pair(tmp_path, "rotated")
    assert sign_folder(release, private) == release / SIGNATURE_NAME
    assert sorted(p.name for p in release.iterdir() if p.name.endswith(".tmp")) == []
    assert verify_folder(release, public).ok
