"""What the build refuses — each message names the candidate or seed and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dermforge.builder import BuildParams, build_release
from dermforge.errors import InputError, MissingInputError, RecordError, ReleaseError
from dermforge.schemas import Candidate, Crop, CurationVerdict, SplitMembership
from release.factory import BASE_TIME, Ready, write_splits


def nothing_written(tmp_path: Path) -> bool:
    return not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial*"))


def test_corrupted_candidate_bytes(ready: Ready, tmp_path: Path) -> None:
    victim = ready.populated.candidates[4]
    blob = ready.workspace.blobs.path(victim.sha256)
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[-20] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(ReleaseError) as info:
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")
    text = str(info.value)
    assert f"candidate {victim.candidate_id}" in text and "do not match its sha256" in text
    assert "dvc pull" in text
    assert nothing_written(tmp_path)


def test_missing_candidate_bytes(ready: Ready, tmp_path: Path) -> None:
    victim = ready.populated.candidates[0]
    ready.workspace.blobs.path(victim.sha256).unlink()
    with pytest.raises(ReleaseError, match=f"candidate {victim.candidate_id}: its image"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")


def test_a_seed_in_a_test_split(ready: Ready, tmp_path: Path) -> None:
    rows = write_splits(ready.workspace, ready.populated.seeds)
    seed = ready.populated.seeds[-1].source_id
    leaked = [r.model_copy(update={"role": "test"}) if r.source_id == seed and r.role == "seed"
              else r for r in rows]
    ready.workspace.manifest(SplitMembership).rewrite(leaked)
    with pytest.raises(ReleaseError) as info:
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")
    assert f"seed {seed} is in the test split of train-" in str(info.value)
    assert "dermforge splits" in str(info.value)
    assert nothing_written(tmp_path)


def test_an_accepted_image_without_a_candidate(ready: Ready, tmp_path: Path) -> None:
    ready.workspace.manifest(CurationVerdict).append([CurationVerdict(
        candidate_id="0123456789abcdef01234567-00", decision="accept", reviewer="rev-b",
        decided_at=BASE_TIME)])
    with pytest.raises(ReleaseError, match="candidate 0123456789abcdef01234567-00 is accepted"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")


def test_more_accepted_than_keep_per_seed(ready: Ready, tmp_path: Path) -> None:
    from dermforge.curation import CurateParams
    seed = ready.populated.candidates[0].source_id
    with pytest.raises(ReleaseError) as info:
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out",
                      curate=CurateParams(keep_per_seed=1))
    assert f"seed {seed} has 2 accepted candidates" in str(info.value)
    assert "curate import" in str(info.value)


def test_a_previously_accepted_image_that_lost_its_verdict(ready: Ready,
                                                           tmp_path: Path) -> None:
    v1 = build_release(ready.workspace, version="1.0.0", out=tmp_path / "v1").path
    log = ready.workspace.manifest(CurationVerdict)
    dropped = ready.verdicts[0]
    assert dropped.decision == "accept"
    log.rewrite(ready.verdicts[1:])  # somebody truncated the append-only log
    with pytest.raises(ReleaseError) as info:
        build_release(ready.workspace, version="1.1.0", out=tmp_path / "v2", previous=v1)
    assert (f"image {dropped.candidate_id} was accepted in release 1.0.0 but has no verdict"
            in str(info.value))
    assert "reject verdict" in str(info.value)


def test_existing_folder_old_version_bad_version_and_empty(ready: Ready,
                                                           tmp_path: Path) -> None:
    v1 = build_release(ready.workspace, version="1.0.0", out=tmp_path / "v1").path
    before = (v1 / "MANIFEST.json").read_bytes()
    with pytest.raises(ReleaseError, match="never overwritten"):
        build_release(ready.workspace, version="1.0.1", out=v1)
    assert (v1 / "MANIFEST.json").read_bytes() == before
    with pytest.raises(ReleaseError, match=r"not newer than the previous release 1\.0\.0"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "v2", previous=v1)
    with pytest.raises(ReleaseError, match="not 'other'"):
        build_release(ready.workspace, version="2.0.0", out=tmp_path / "v3", previous=v1,
                      params=BuildParams(name="other"))
    with pytest.raises(InputError, match="semantic version"):
        build_release(ready.workspace, version="1.0", out=tmp_path / "v4")
    ready.workspace.manifest(CurationVerdict).append([
        v.model_copy(update={"decision": "reject"}) for v in ready.verdicts])
    with pytest.raises(ReleaseError, match="no candidate is accepted"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "v5")


def test_missing_splits_is_a_clear_error(ready: Ready, tmp_path: Path) -> None:
    ready.workspace.manifest(SplitMembership).path.unlink()
    with pytest.raises(MissingInputError, match=r"splits\.jsonl does not exist"):
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")


def test_a_missing_crop_record_names_the_candidate(ready: Ready, tmp_path: Path) -> None:
    crops = ready.workspace.manifest(Crop)
    kept = crops.read()
    gone = kept.pop(3)
    crops.rewrite(kept)
    with pytest.raises(MissingInputError) as info:
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")
    assert f"(seed {gone.source_id}): the crop {gone.sha256}" in str(info.value)
    assert "dermforge prepare" in str(info.value)


def test_a_bad_manifest_line_is_named(ready: Ready, tmp_path: Path) -> None:
    path = ready.workspace.manifest(Candidate).path
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace('"format":"png"', '"format":"gif"')
    path.write_text("".join(lines))
    with pytest.raises(RecordError) as info:
        build_release(ready.workspace, version="1.0.0", out=tmp_path / "out")
    assert info.value.line == 6 and info.value.field == "format"
