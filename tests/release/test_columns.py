"""The scan's column files: every line is converted, but only a line a row uses may fail
the build; a scan's own error stands; a full disk is a StorageError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dermforge.builder import _build, _columns, _index, build_release, verify_release
from dermforge.builder._folder import ReleaseFolder
from dermforge.errors import RecordError, ReleaseError, StorageError
from dermforge.schemas import Candidate, Seed
from release.factory import Ready

TOO_BIG = 2**63  # a Python int the record allows; the int64 column cannot hold it


def _unfit(seed: Seed) -> Seed:
    return seed.model_copy(update={"sampling": seed.sampling.model_copy(
        update={"rng_seed": TOO_BIG})})


def _write_seeds(ready: Ready, seeds: list[Seed], *, tail: bytes = b"") -> Path:
    manifest = ready.workspace.manifest(Seed)
    manifest.rewrite(seeds)
    if tail:
        with manifest.path.open("ab") as out:
            out.write(tail)
    return manifest.path


def test_a_value_no_row_uses_does_not_fail_the_build(ready: Ready, tmp_path: Path) -> None:
    """An earlier line of a seed, replaced by a later one, holds a value the release's
    column cannot hold: no row takes it, so the build goes on (as when rows were made
    record by record)."""
    seeds = list(ready.workspace.manifest(Seed))
    _write_seeds(ready, [_unfit(seeds[0]), *seeds])
    built = build_release(ready.workspace, version="1.0.0", out=tmp_path / "r", workers=1)
    assert verify_release(built.path).ok


def test_a_value_a_row_uses_fails_naming_file_line_and_field(ready: Ready,
                                                             tmp_path: Path) -> None:
    seeds = list(ready.workspace.manifest(Seed))
    path = _write_seeds(ready, [*seeds[:2], _unfit(seeds[2]), *seeds[3:]])
    with pytest.raises(ReleaseError, match=rf"{path} line 3: field 'sampling' is .*"
                                           rf"{TOO_BIG}.*more than the release's column"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "r", workers=1)
    assert not (tmp_path / "r").exists()


def test_a_bad_line_after_an_unfit_one_is_the_error(ready: Ready, tmp_path: Path) -> None:
    """The scan's error stands: the values still pending are not converted after it."""
    seeds = list(ready.workspace.manifest(Seed))
    path = _write_seeds(ready, [_unfit(seeds[0]), *seeds], tail=b'{"bad": 1}\n')
    with pytest.raises(RecordError) as caught:
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "r", workers=1)
    assert caught.value.path == str(path) and caught.value.line == len(seeds) + 2


def test_a_full_disk_while_writing_a_column_file_is_a_storage_error(
        ready: Ready, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _columns.column_path
    monkeypatch.setattr(_index, "column_path", lambda folder, table: Path("/dev/full")
                        if table == "f_candidates" else real(folder, table))
    with pytest.raises(StorageError, match="could not write /dev/full: the disk is full"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "r", workers=1)
    assert not (tmp_path / "r").exists()


def test_a_manifest_rewritten_during_the_build_does_not_reach_its_rows(
        ready: Ready, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process rewrites candidates.jsonl (a forged model) after the scan: the rows
    hold what the scan validated, and the release verifies."""
    real = _build.write_rows

    def forge_then_write(*args: Any, **kwargs: Any) -> Any:
        manifest = ready.workspace.manifest(Candidate)
        manifest.rewrite(c.model_copy(update={"model": "forged"}) for c in list(manifest))
        return real(*args, **kwargs)

    monkeypatch.setattr(_build, "write_rows", forge_then_write)
    built = build_release(ready.workspace, version="1.0.0", out=tmp_path / "r", workers=1)
    models = {m for _, batch in ReleaseFolder(built.path).batches("candidates", ["model"])
              for m in batch.column(0).to_pylist()}
    assert models and "forged" not in models
    assert verify_release(built.path).ok
