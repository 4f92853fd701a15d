"""Blobs are write-once and verified on read; manifests are atomic and validated per line."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dermforge.errors import InputError, IntegrityError, MissingInputError, RecordError
from dermforge.schemas import CropBox
from dermforge.store import BlobStore, Manifest


def test_blob_put_is_content_addressed_idempotent_and_read_only(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    sha = store.put(b"hello", layer="tests")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert store.put(b"hello", layer="tests") == sha
    assert store.read(sha) == b"hello"
    assert not os.stat(store.path(sha)).st_mode & stat.S_IWUSR
    assert list(store) == [sha]


def test_put_file_streams_and_matches_put(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    store = BlobStore(tmp_path / "blobs")
    assert store.put_file(path, layer="tests") == hashlib.sha256(data).hexdigest()
    assert store.verify(hashlib.sha256(data).hexdigest())


def test_corrupted_blob_is_detected_on_read(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    sha = store.put(b"hello", layer="tests")
    target = store.path(sha)
    target.chmod(0o644)
    target.write_bytes(b"hellO")
    with pytest.raises(IntegrityError, match=str(target)):
        store.read(sha)
    assert not store.verify(sha)


def test_missing_blob_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match="dvc pull"):
        BlobStore(tmp_path).read("ab" * 32)


def boxes(n: int) -> list[CropBox]:
    return [CropBox(left=i, top=i, side=i + 1) for i in range(n)]


def test_manifest_append_and_rewrite(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "records" / "boxes.jsonl", CropBox)
    assert manifest.read() == []
    assert manifest.append(boxes(2)) == 2
    assert manifest.append(boxes(3)[2:]) == 1
    assert manifest.read() == boxes(3)
    assert manifest.rewrite(boxes(1)) == 1
    assert manifest.read() == boxes(1)
    leftovers = [p.name for p in manifest.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_manifest_refuses_records_of_another_type(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "boxes.jsonl", CropBox)
    with pytest.raises(TypeError):
        manifest.append(["not a record"])  # type: ignore[list-item]


def test_malformed_line_names_file_line_field_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "boxes.jsonl"
    path.write_text('{"left":0,"top":0,"side":1}\n{"left":0,"top":-5,"side":1}\n')
    with pytest.raises(RecordError) as exc:
        Manifest(path, CropBox).read()
    err = exc.value
    assert (err.path, err.line, err.field) == (str(path), 2, "top")
    assert "-5" in str(err) and "line 2" in str(err)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "boxes.jsonl"
    path.write_text('{"left":0,"top":0,"side":1}\n{"left":0,\n')
    with pytest.raises(RecordError, match="line 2"):
        Manifest(path, CropBox).read()


def test_truncated_last_line_is_never_accepted(tmp_path: Path) -> None:
    path = tmp_path / "boxes.jsonl"
    # a complete JSON object without its newline: what a cut-off write of the line looks like
    path.write_text('{"left":0,"top":0,"side":1}\n{"left":1,"top":1,"side":2}')
    with pytest.raises(RecordError) as exc:
        Manifest(path, CropBox).read()
    assert exc.value.line == 2 and "incomplete" in str(exc.value)


def test_killed_writer_leaves_old_or_new_file_never_half(tmp_path: Path) -> None:
    """SIGKILL a process that rewrites a big manifest in a loop; the file always validates."""
    path = tmp_path / "boxes.jsonl"
    Manifest(path, CropBox).rewrite(boxes(10))
    script = (
        "import sys\nfrom pathlib import Path\nfrom dermforge.schemas import CropBox\n"
        "from dermforge.store import Manifest\n"
        f"m = Manifest(Path({str(path)!r}), CropBox)\n"
        "rows = [CropBox(left=i, top=i, side=i + 1) for i in range(20000)]\n"
        "print('go', flush=True)\n"
        "while True:\n    m.rewrite(rows)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"go"
    for _ in range(5):
        n = len(Manifest(path, CropBox).read())
        assert n in (10, 20000)
    proc.kill()
    proc.wait()
    assert len(Manifest(path, CropBox).read()) in (10, 20000)


def test_blob_layers_separate_writes_and_share_reads(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    a = store.put(b"crop", layer="prepare")
    b = store.put(b"candidate", layer="generate")
    assert store.read(a) == b"crop"  # reads span layers
    assert store.path(a).parent.parent.name == "prepare"
    assert store.path(b).parent.parent.name == "generate"
    assert sorted(store) == sorted([a, b])
    assert store.layers() == ["generate", "prepare"]


def test_update_rewrites_only_on_change(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "boxes.jsonl", CropBox)
    manifest.append(list(reversed(boxes(3))))
    assert manifest.update(lambda rows: sorted(rows, key=lambda b: b.left)) is True
    assert manifest.read() == boxes(3)
    before = manifest.path.stat().st_mtime_ns
    assert manifest.update(lambda rows: sorted(rows, key=lambda b: b.left)) is False
    assert manifest.path.stat().st_mtime_ns == before


def test_append_writes_in_place_and_repairs_a_cut_line(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "boxes.jsonl", CropBox)
    manifest.append(boxes(2))
    inode = manifest.path.stat().st_ino
    with manifest.path.open("ab") as handle:  # a writer killed in the middle of a line
        handle.write(b'{"left": 9, "to')
    with pytest.raises(RecordError, match="line 3: the line is incomplete"):
        manifest.read()
    manifest.append(boxes(3)[2:])
    assert manifest.read() == boxes(3)
    assert manifest.path.stat().st_ino == inode  # appended in place, never copied


def test_a_failed_append_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "boxes.jsonl", CropBox)
    manifest.append(boxes(2))
    before = manifest.path.read_bytes()
    with pytest.raises(TypeError):
        manifest.append([*boxes(3)[2:], "not a record"])  # type: ignore[list-item]
    assert manifest.path.read_bytes() == before


def test_clean_leftovers_removes_temp_files_of_killed_rewrites(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "boxes.jsonl", CropBox)
    manifest.append(boxes(1))
    left = tmp_path / ".boxes.jsonl.abc123.tmp"
    left.write_bytes(b"x" * 1000)
    assert manifest.clean_leftovers() == [left]
    assert not left.exists() and manifest.read() == boxes(1)


@pytest.mark.parametrize("name", ["ab", "Prepare", "../x", "", "a" * 40])
def test_bad_layer_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="is not a valid layer name"):
        BlobStore(tmp_path / "blobs").put(b"x", layer=name)


def test_a_full_disk_is_a_storage_error_naming_the_file() -> None:
    """A real ENOSPC: /dev/full refuses every write with it."""
    from dermforge._atomic import storage_errors
    from dermforge.errors import StorageError

    target = Path("/dev/full")
    refused = pytest.raises(StorageError, match=r"could not write /dev/full: the disk is full")
    with refused, storage_errors(target), target.open("wb", buffering=0) as handle:
        handle.write(b"x" * 4096)
    assert StorageError("x").exit_code == 1


def test_replace_rewrites_only_a_changed_manifest(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "boxes.jsonl", CropBox)
    assert manifest.replace(boxes(3)) is True
    before = manifest.path.stat().st_mtime_ns
    assert manifest.replace(boxes(3)) is False
    assert manifest.path.stat().st_mtime_ns == before
    manifest.path.write_bytes(b"not json\n")  # unreadable: replaced
    assert manifest.replace(boxes(2)) is True and manifest.read() == boxes(2)


def test_a_missing_stage_input_names_the_file_and_the_command(tmp_path: Path) -> None:
    from dermforge.schemas import Seed
    from dermforge.store import Workspace

    ws = Workspace(tmp_path / "ws").create()
    with pytest.raises(MissingInputError, match=r"seeds.jsonl does not exist") as info:
        ws.require(Seed, made_by="dermforge seeds sample")
    assert info.value.fix == f"run `dermforge seeds sample -w {ws.root}` first"
    ws.manifest(Seed).path.touch()
    with pytest.raises(MissingInputError, match=r"seeds.jsonl is empty"):
        ws.require(Seed, made_by="dermforge seeds sample")
