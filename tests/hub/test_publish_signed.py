"""`publish` and signing: a signed release goes up with its detached signature, which a user
checks with model-signing's own CLI after downloading it; an unsigned one needs --unsigned."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from dermforge.schemas import Release
from dermforge.signing import SIGNATURE_NAME, sign_release
from hub.helpers import REPO, TOKEN, LocalRelease, clean_env, publish_cli, run_python
from servers.hub_server import HubServer
from signing.helpers import Pki, pki

__all__ = ["pki"]

MakeRelease = Callable[..., LocalRelease]
SNAPSHOT = """
import sys
from huggingface_hub import snapshot_download
print(snapshot_download(sys.argv[1], repo_type="dataset", revision=sys.argv[2],
                        local_dir=sys.argv[3]))
"""


def _public_key(pki: Pki, out: Path) -> Path:
    key = serialization.load_pem_private_key(pki.key.read_bytes(), None)
    out.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return out


def test_a_signed_release_publishes_with_its_signature(make_release: MakeRelease, hub: HubServer,
                                                       pki: Pki, tmp_path: Path) -> None:
    built = make_release(shards=1)
    signed = sign_release(built.root, key=pki.key, cert=pki.chain, out=tmp_path / "signed",
                          cache=tmp_path / "cache").path
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(signed, REPO, "v1.0.0", env, tmp_path, unsigned=False)
    assert proc.returncode == 0, proc.stderr
    content = hub.repo(REPO).resolve("v1.0.0").content()  # type: ignore[union-attr]
    assert content[SIGNATURE_NAME] == (signed / SIGNATURE_NAME).read_bytes()
    card = content["README.md"].decode()
    assert "This release is signed." in card and "This release is unsigned" not in card
    local = sorted(p.relative_to(signed).as_posix() for p in signed.rglob("*") if p.is_file())
    # every file, the signature included, and nothing else (the Hub adds .gitattributes)
    assert sorted(n for n in content if n != ".gitattributes") == local

    user = tmp_path / "download"
    got = run_python(["-c", SNAPSHOT, REPO, "v1.0.0", str(user)],
                     clean_env(tmp_path / "home-user", HF_ENDPOINT=hub.url), tmp_path)
    assert got.returncode == 0, got.stderr
    public = _public_key(pki, tmp_path / "pub.pem")
    cli = shutil.which("model_signing", path=str(Path(sys.executable).parent))
    assert cli is not None, "model-signing's CLI is installed with the sign extra"
    check = [cli, "verify", "key", str(user), "--signature", str(user / SIGNATURE_NAME),
             "--public_key", str(public)]
    verified = subprocess.run(check, capture_output=True, text=True, timeout=120, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    shard = next((user / "data" / "synthetic").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"\0")  # one byte more: the signature catches it
    tampered = subprocess.run(check, capture_output=True, text=True, timeout=120, check=False)
    assert tampered.returncode != 0, tampered.stdout


def test_an_unsigned_release_is_refused_unless_asked(make_release: MakeRelease, hub: HubServer,
                                                     tmp_path: Path) -> None:
    release = make_release(shards=1)
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(release.root, REPO, "v1.0.0", env, tmp_path, unsigned=False)
    assert proc.returncode == 1, proc.stderr
    assert "is unsigned: release.json 'signing' is null" in proc.stderr
    assert "dermforge sign" in proc.stderr and "--unsigned" in proc.stderr
    assert hub.requests == []
    proc = publish_cli(release.root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    content = hub.repo(REPO).resolve("v1.0.0").content()  # type: ignore[union-attr]
    assert "**This release is unsigned**" in content["README.md"].decode()
    assert Release.model_validate_json(
        (release.root / "release.json").read_text()).signing is None
    assert SIGNATURE_NAME not in content
