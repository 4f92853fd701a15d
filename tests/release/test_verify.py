"""`verify` re-hashes every file and every image and names whatever changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dermforge.builder import verify_release, write_manifest
from dermforge.cli import app
from dermforge.store import sha256_file
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


def texts(root: Path) -> list[str]:
    return [str(p) for p in verify_release(root).problems]


def test_a_fresh_release_verifies(built: tuple[Ready, Path]) -> None:
    report = verify_release(built[1])
    assert report.ok, report.problems
    assert report.files == 9 and report.images == 16 + 24 + 2 * 8
    assert report.rows == 16 + 24 + 8 + 96
    assert report.counts == {"synthetic": 16, "candidates": 24, "seeds": 8, "experiments": 96}
    code, output = verify_cli(built[1])
    assert code == 0 and "OK: 9 files match MANIFEST.json and release.json" in output
    assert "144 rows (16 synthetic, 24 candidates, 8 seeds, 96 experiments)" in output


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
    problems = texts(release_copy)
    assert f"{shard}: changed: its sha256 is {sha256_file(path)}; MANIFEST.json records " \
        in "\n".join(problems)
    assert any(p.startswith(f"{shard}: changed") and "release.json records" in p
               for p in problems), problems
    assert any(key in p and f"{column} bytes hash to" in p for p in problems)
    code, output = verify_cli(release_copy)
    assert code == 1 and shard in output and key in output


def test_a_forger_who_rewrites_the_manifest_is_still_caught(release_copy: Path) -> None:
    path = release_copy / SHARD
    key, data = first_image(path)
    flip(path, path.read_bytes().index(data) + 40)
    write_manifest(release_copy)
    problems = verify_release(release_copy).problems
    # release.json's sha256 of the shard and the row's image_sha256 both disagree
    assert [(p.file, p.row, p.field) for p in problems] == [
        (SHARD, None, "sha256"), (SHARD, key, "image")], problems
    assert "release.json records" in problems[0].problem


@pytest.mark.parametrize("name", ["README.md", "croissant.json", "release.json",
                                  "data/experiments/train-00000-of-00001.parquet"])
def test_any_changed_file_is_named(release_copy: Path, name: str) -> None:
    flip(release_copy / name, 10)
    problems = texts(release_copy)
    assert any(p.startswith(f"{name}: changed") for p in problems), problems
    if name != "release.json":  # release.json records every other file's sha256 too
        assert any(p.startswith(f"{name}: changed") and "release.json records" in p
                   for p in problems), problems


def test_an_unreadable_shard_missing_and_extra_files(release_copy: Path) -> None:
    path = release_copy / SHARD
    flip(path, path.stat().st_size - 6)  # inside the footer length / magic
    (release_copy / "CHANGELOG.md").unlink()
    (release_copy / "notes.txt").write_text("hello")
    (release_copy / ".gitattributes").write_text("*.parquet filter=lfs\n")  # a Hub clone's
    (release_copy / ".cache" / "huggingface").mkdir(parents=True)
    (release_copy / ".cache" / "huggingface" / "x.lock").write_text("")
    problems = texts(release_copy)
    assert any(p.startswith(f"{SHARD}: cannot be read") for p in problems), problems
    assert "CHANGELOG.md: missing: listed in MANIFEST.json and release.json" in problems
    assert "notes.txt: not listed in MANIFEST.json or release.json (added after the build)" \
        in problems
    assert not any(".gitattributes" in p or ".cache" in p for p in problems)
    # the unreadable shard's rows are missing from the count
    assert "release.json: counts 16 synthetic rows; the shards hold 0" in problems


def test_manifest_and_release_json_list_every_file_with_its_hash(
        built: tuple[Ready, Path]) -> None:
    manifest = json.loads((built[1] / "MANIFEST.json").read_text())
    release = json.loads((built[1] / "release.json").read_text())
    files = sorted(p.relative_to(built[1]).as_posix() for p in built[1].rglob("*")
                   if p.is_file() and p.name != "MANIFEST.json")
    assert sorted(manifest["files"]) == files
    assert all(len(e["sha256"]) == 64 for e in manifest["files"].values())
    # release.json: every file but itself and MANIFEST.json, the card included
    assert sorted(release["files"]) == [f for f in files if f != "release.json"]
    assert {"README.md", "croissant.json", "CHANGELOG.md", "provenance.schema.json"} <= \
        set(release["files"])
    assert all(release["files"][f] == manifest["files"][f]["sha256"] for f in release["files"])


def test_a_size_edited_in_the_manifest_is_named(release_copy: Path) -> None:
    manifest = json.loads((release_copy / "MANIFEST.json").read_text())
    manifest["files"]["README.md"]["size"] += 1
    (release_copy / "MANIFEST.json").write_text(json.dumps(manifest))
    problems = verify_release(release_copy).problems
    assert [(p.file, p.field) for p in problems] == [("README.md", "size")], problems


def test_a_synthetic_image_must_be_its_accepted_candidate(release_copy: Path) -> None:
    """Rewrite the synthetic shard with one row's image and hash swapped for another image,
    consistently: the row checks pass, the candidates config disagrees."""
    path = release_copy / SHARD
    table = pq.read_table(path)
    rows = table.to_pylist()
    other = pq.read_table(release_copy / "data/seeds/train-00000-of-00001.parquet")
    crop = other.column("crop").to_pylist()[0]
    rows[0]["image"] = crop
    rows[0]["image_sha256"] = hashlib.sha256(crop["bytes"]).hexdigest()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    problems = verify_release(release_copy).problems
    assert any(p.row == rows[0]["image_id"] and p.field == "image_sha256"
               and "differs from its candidates row" in p.problem for p in problems), problems
