"""The ray executor on a real local cluster (head + one worker node on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from dermforge.errors import InputError
from dermforge.generators import create_backend
from dermforge.runner import RunOptions, RunReport, create_executor, generate, list_executors
from dermforge.schemas import Candidate, GenerationFailure
from dermforge.store import Workspace

from .conftest import prepare_seeds, workspace_bytes


def _records(ws: Workspace) -> dict[str, bytes]:
    """Every record and blob the generate stage wrote, by path (no locks, no reports)."""
    keep = ("records/requests.jsonl", "records/candidates.jsonl", "records/failures.jsonl",
            "blobs/generate")
    return {str(p.relative_to(ws.root)): data for p, data in workspace_bytes(ws.root)
            if str(p.relative_to(ws.root)).startswith(keep)}


def _twin(ws: Workspace, tmp_path: Path) -> Workspace:
    copy = tmp_path / "twin"
    shutil.copytree(ws.root, copy)
    return Workspace(copy)


def _local_and_ray(ws: Workspace, tmp_path: Path, address: str, backend: str,
                   options: dict[str, object], n: int) -> tuple[Workspace, Workspace]:
    twin = _twin(ws, tmp_path)
    generate(ws, create_backend(backend, **options), n=n)
    ray_backend = create_executor("ray", backend, options, address=address)
    report = generate(twin, ray_backend, n=n, options=RunOptions(concurrency=2))
    assert report.finished
    return ws, twin


def test_the_registry_lists_local_and_ray() -> None:
    assert list_executors() == ["local", "ray"]
    with pytest.raises(InputError, match="only for --executor ray"):
        create_executor("local", "classic", {}, address="127.0.0.1:1")


@pytest.mark.parametrize(("backend", "says"), [("openai", "key"), ("import", "files")])
def test_ray_refuses_openai_and_import_with_a_reason(backend: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as caught:
        create_executor("ray", backend, {})
    assert "--executor local" in (caught.value.fix or "")


def test_classic_on_ray_writes_the_records_a_local_run_writes(
        ray_cluster: str, demo_workspace: Workspace, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    prepare_seeds(demo_workspace, 4, 96)
    local, remote = _local_and_ray(demo_workspace, tmp_path, ray_cluster, "classic",
                                   {"work_size": 48}, 2)
    assert _records(local) == _records(remote)
    assert any("candidates" in p for p in _records(local))


def test_tiny_diffusers_on_ray_writes_the_records_a_local_run_writes(
        ray_cluster: str, demo_workspace: Workspace, tmp_path: Path, tiny_pipeline: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    prepare_seeds(demo_workspace, 2, 48)
    options = {"model": str(tiny_pipeline), "resolution": 32, "steps": 2}
    local, remote = _local_and_ray(demo_workspace, tmp_path, ray_cluster, "diffusers",
                                   options, 1)
    assert _records(local) == _records(remote)


def test_a_killed_worker_costs_only_its_request(ray_cluster: str,
                                                demo_workspace: Workspace) -> None:
    prepare_seeds(demo_workspace, 6, 96)
    backend = create_executor("ray", "classic", {"work_size": 48}, address=ray_cluster)
    killed: list[int] = []

    def kill_one(report: RunReport) -> None:
        if not killed and report.in_flight >= 1 and backend.pids:  # type: ignore[attr-defined]
            pid = backend.pids[0]  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = generate(demo_workspace, backend, n=2,
                      options=RunOptions(concurrency=2, backoff_s=0.2), on_update=kill_one)
    assert killed, "no worker was killed"
    failures = [f.message for f in demo_workspace.read(GenerationFailure)]
    assert report.finished, (report.completed_requests, report.failures, failures)
    assert report.completed_requests == 6 and report.stored_images == 12


def test_the_cli_runs_tiny_diffusers_on_ray(ray_cluster: str, demo_workspace: Workspace,
                                            tiny_pipeline: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from clirun import invoke

    monkeypatch.chdir(tmp_path)
    prepare_seeds(demo_workspace, 2, 48)
    params = tmp_path / "p.yaml"
    params.write_text("generate:\n  n: 1\n  resolution: 32\n  steps: 2\n  concurrency: 2\n")
    result = invoke("generate", "--workspace", demo_workspace.root, "--backend", "diffusers",
                    "--model", tiny_pipeline, "--executor", "ray", "--ray-address",
                    ray_cluster, "--params", params)
    assert "2 images stored from 2 of 2 requests" in result.output
    candidates = demo_workspace.read(Candidate)
    assert {c.metadata["weights_license"] for c in candidates} == {"mit"}


def test_the_cli_refuses_openai_on_ray_and_a_stray_address(demo_workspace: Workspace,
                                                           tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           ) -> None:
    from clirun import CliFailed, invoke

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    ws = ("--workspace", demo_workspace.root)
    with pytest.raises(CliFailed, match="does not run --backend openai"):
        invoke("generate", *ws, "--backend", "openai", "--executor", "ray")
    with pytest.raises(CliFailed, match="only for --executor ray"):
        invoke("generate", *ws, "--backend", "classic", "--ray-address", "127.0.0.1:1")
