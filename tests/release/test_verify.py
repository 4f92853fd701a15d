"""`verify` re-hashes every file and every image and names whatever changed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dermforge.builder import verify_release, write_manifest
from dermforge.cli import app
from release.factory import Ready

SHARD = "data/synthetic/train-00000-of-00001.parquet"


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def first_image(shard: Path, column: str = "image") -> tuple[str, bytes]:
    row = pq.read_table(shard).slice(0, 1).to_pylist()[0]
    key = row.get("image_id") or row["seed_id"]
    return key, row[column]["bytes"]


def verify_cli(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", str(path)])
    return result.exit_code, result.output


def test_a_fresh_release_verifies(built: tuple[Ready, Path]) -> None:
    report = verify_release(built[1])
    assert report.ok, report.problems
    assert report.files == 9 and report.images == 16 + 24 + 2 * 8
    code, output = verify_cli(built[1])
    assert code == 0 and "OK: 9 files" in output


@pytest.mark.parametrize("shard, column", [
    (SHARD, "image"),
    ("data/candidates/train-00000-of-00001.parquet", "image"),
    ("data/seeds/train-00000-of-00001.parquet", "mask"),
])
def test_one_flipped_image_byte_is_named(release_copy: Path, shard: str, column: str) -> None:
    path = release_copy / shard
    key, data = first_image(path, column)
    offset = path.read_bytes().index(data)
    flip(path, offset + len(data) // 2)
    report = verify_release(release_copy)
    assert any(p.startswith(f"{shard}: changed") for p in report.problems), report.problems
    assert any(key in p and f"{column} bytes hash to" in p for p in report.problems)
    code, output = verify_cli(release_copy)
    assert code == 1 and shard in output and key in output


def test_a_forger_who_rewrites_the_manifest_is_still_caught(release_copy: Path) -> None:
    path = release_copy / SHARD
    key, data = first_image(path)
    flip(path, path.read_bytes().index(data) + 40)
    write_manifest(release_copy)
    report = verify_release(release_copy)
    assert len(report.problems) == 1 and key in report.problems[0], report.problems


@pytest.mark.parametrize("name", ["README.md", "croissant.json", "release.json",
                                  "data/splits/train-00000-of-00001.parquet"])
def test_any_changed_file_is_named(release_copy: Path, name: str) -> None:
    flip(release_copy / name, 10)
    report = verify_release(release_copy)
    assert any(p.startswith(f"{name}: changed") for p in report.problems), report.problems


def test_an_unreadable_shard_missing_and_extra_files(release_copy: Path) -> None:
    path = release_copy / SHARD
    flip(path, path.stat().st_size - 6)  # inside the footer length / magic
    (release_copy / "CHANGELOG.md").unlink()
    (release_copy / "notes.txt").write_text("hello")
    (release_copy / ".gitattributes").write_text("*.parquet filter=lfs\n")  # a Hub clone's
    (release_copy / ".cache" / "huggingface").mkdir(parents=True)
    (release_copy / ".cache" / "huggingface" / "x.lock").write_text("")
    problems = verify_release(release_copy).problems
    assert any(p.startswith(f"{SHARD}: cannot be read") for p in problems), problems
    assert "CHANGELOG.md: listed in MANIFEST.json but missing" in problems
    assert any(p.startswith("notes.txt: not listed") for p in problems)
    assert not any(".gitattributes" in p or ".cache" in p for p in problems)


def test_manifest_lists_every_file_with_its_hash(built: tuple[Ready, Path]) -> None:
    manifest = json.loads((built[1] / "MANIFEST.json").read_text())
    files = sorted(p.relative_to(built[1]).as_posix() for p in built[1].rglob("*")
                   if p.is_file() and p.name != "MANIFEST.json")
    assert sorted(manifest["files"]) == files
    assert all(len(e["sha256"]) == 64 for e in manifest["files"].values())
