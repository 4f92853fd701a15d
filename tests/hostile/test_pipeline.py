"""Hostile cases of the pipeline itself: failed work never exits 0, stages clean up after a
killed run of themselves and say so, one run of a stage at a time, and the Python API does
what the CLI does."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from filelock import FileLock

from dermforge.errors import InputError
from dermforge.pipeline import run_generate, run_seeds
from dermforge.runner import GenerateParams
from dermforge.sampling import SeedParams
from dermforge.schemas import Candidate, GenerationFailure, Seed
from dermforge.store import BlobStore, Workspace
from generation.conftest import prepare_seeds
from hostile.conftest import assert_kept, assert_no_leftovers, files_of, invoke
from servers.openai_server import Faults, OpenAIImagesServer

SCC = "squamous cell carcinoma"


def _openai_run(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                blocked: set[str], *extra: str) -> tuple[int, str]:
    key = f"sk-dermforge-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    params = tmp_path / "params.yaml"
    params.write_text("generate:\n  backend: openai\n  n: 2\n  size: 256x256\n"
                      "  quality: low\n  max_usd_per_image: 0.5\n")
    with OpenAIImagesServer(api_key=key, faults=Faults(moderation_substrings=blocked)) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        result = invoke("generate", "-w", ws.root, "--params", params, *extra)
    return result.exit_code, result.output


def test_generate_exits_1_when_every_request_failed_permanently(
        demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_seeds(demo_workspace, 3, 64)
    before = files_of(demo_workspace.root)
    code, output = _openai_run(demo_workspace, tmp_path, monkeypatch, {"An image of"})
    assert code == 1, output
    assert "3 request(s) of the plan failed permanently" in output
    assert [f.kind for f in demo_workspace.read(GenerationFailure)] == ["moderation_blocked"] * 3
    assert demo_workspace.read(Candidate) == []
    assert_kept(before, demo_workspace.root)
    assert_no_leftovers(demo_workspace.root)
    # a re-run does nothing new, and the job is still incomplete: still exit 1
    code, output = _openai_run(demo_workspace, tmp_path, monkeypatch, set())
    assert code == 1 and "permanently failed before: 3" in output


def test_generate_exits_1_on_one_failure_unless_max_failed_allows_it(
        demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_seeds(demo_workspace, 3, 64, blocked=1)
    code, output = _openai_run(demo_workspace, tmp_path, monkeypatch, {"BLOCKME"})
    assert code == 1 and "1 request(s) of the plan failed permanently" in output
    assert len(demo_workspace.read(Candidate)) == 4  # the other two seeds' images are kept
    code, output = _openai_run(demo_workspace, tmp_path, monkeypatch, {"BLOCKME"},
                               "--max-failed", "1")
    assert code == 0, output


def test_python_api_reports_the_same_failure(demo_workspace: Workspace,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_seeds(demo_workspace, 2, 64)
    key = f"sk-dermforge-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    params = GenerateParams(backend="openai", n=1, size="256x256", quality="low",
                            max_usd_per_image=0.5)
    with OpenAIImagesServer(api_key=key,
                            faults=Faults(moderation_substrings={"An image"})) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        run = run_generate(demo_workspace, params, handle_signals=False)
    assert not run.ok and run.failed_requests == 2


def test_a_stage_removes_what_a_killed_run_of_it_left_and_says_so(
        demo_workspace: Workspace, tmp_path: Path) -> None:
    records = demo_workspace.records_dir
    left = records / ".seeds.jsonl.k1ll3d.tmp"
    left.write_bytes(b"x" * 4096)
    other = records / ".sources.jsonl.k1ll3d.tmp"  # another stage's: not ours to touch
    other.write_bytes(b"y")
    result = invoke("seeds", "sample", "-w", demo_workspace.root, "-c", SCC,
                    "--n-per-group", "2")
    assert result.exit_code == 0, result.output
    assert f"removed {left} (left by a killed earlier run)" in result.stderr
    assert not left.exists() and other.exists()


def test_prepare_removes_half_written_blobs_of_its_own_layer(demo_workspace: Workspace,
                                                             tmp_path: Path) -> None:
    assert invoke("seeds", "sample", "-w", demo_workspace.root, "-c", SCC,
                  "--n-per-group", "1").exit_code == 0
    half = demo_workspace.blobs.root / "prepare" / "ab" / ".cdef.x1.tmp"
    half.parent.mkdir(parents=True)
    half.write_bytes(b"half a PNG")
    params = tmp_path / "params.yaml"
    params.write_text("prepare:\n  crop: {output_size: 64}\n")
    result = invoke("prepare", "-w", demo_workspace.root, "--params", params)
    assert result.exit_code == 0, result.output
    assert f"removed {half}" in result.stderr and not half.exists()
    assert_no_leftovers(demo_workspace.root)


def test_a_second_run_of_the_same_stage_is_refused(demo_workspace: Workspace) -> None:
    lock = FileLock(str(demo_workspace.records_dir / ".stage-seeds.lock"))
    before = files_of(demo_workspace.root)
    with lock:
        result = invoke("seeds", "sample", "-w", demo_workspace.root, "-c", SCC)
        with pytest.raises(InputError, match=r"another `dermforge seeds` is running on"):
            run_seeds(demo_workspace, SeedParams(conditions=(SCC,)))
    assert result.exit_code == 2 and "another `dermforge seeds` is running" in result.output
    assert_kept(before, demo_workspace.root)
    assert not demo_workspace.manifest(Seed).exists()


@pytest.mark.parametrize("layer", ["ab", "00", "Prepare", "../escape", "a/b"])
def test_a_layer_name_that_could_not_be_read_back_is_refused(tmp_path: Path,
                                                             layer: str) -> None:
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(InputError, match=rf"blob layer {layer!r} is not a valid layer name"):
        store.put(b"bytes", layer=layer)
    assert not (tmp_path / "blobs").exists() or not any((tmp_path / "blobs").rglob("*"))


def _plant_generate_leftovers(ws: Workspace) -> list[Path]:
    half_blob = ws.blobs.root / "generate" / "ab" / ".cdef.k1.tmp"
    half_blob.parent.mkdir(parents=True, exist_ok=True)
    planted = [ws.records_dir / ".candidates.jsonl.k1ll3d.tmp",
               ws.records_dir / ".requests.jsonl.k1ll3d.tmp", half_blob]
    for path in planted:
        path.write_bytes(b"what a killed generate left")
    return planted


def test_generate_removes_what_a_killed_run_left_and_says_so(
        demo_workspace: Workspace, tmp_path: Path) -> None:
    prepare_seeds(demo_workspace, 2, 64)
    planted = _plant_generate_leftovers(demo_workspace)
    other = demo_workspace.records_dir / ".seeds.jsonl.k1ll3d.tmp"  # not generate's
    other.write_bytes(b"y")
    result = invoke("generate", "-w", demo_workspace.root, "--backend", "classic", "--n", "2")
    assert result.exit_code == 0, result.output
    for path in planted:
        assert f"removed {path} (left by a killed earlier run)" in result.stderr
        assert not path.exists()
    assert other.exists() and len(demo_workspace.read(Candidate)) == 4


def test_generate_leaves_the_temp_files_of_a_shard_still_running(
        demo_workspace: Workspace) -> None:
    import fcntl
    import os

    prepare_seeds(demo_workspace, 2, 64)
    planted = _plant_generate_leftovers(demo_workspace)
    fd = os.open(demo_workspace.records_dir / ".generate-running.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # another shard of the job is running
        result = invoke("generate", "-w", demo_workspace.root, "--backend", "classic",
                        "--n", "2", "--shard", "1/2")
    finally:
        os.close(fd)
    assert result.exit_code == 0, result.output
    assert "removed" not in result.stderr and all(p.exists() for p in planted)
