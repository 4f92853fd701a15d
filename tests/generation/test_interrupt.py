"""Killing or interrupting `dermforge generate` loses nothing paid for; a re-run finishes.

The CLI runs in a subprocess against the images server of this process, which bills a
request when its images are made (even if the client has gone away).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from dermforge.schemas import Candidate, Crop, GenerationFailure, Mask, SourceImage
from dermforge.store import Workspace
from servers.openai_server import Faults, OpenAIImagesServer

from .conftest import BLOCKED_WORD, workspace_bytes

CONCURRENCY = 4
N = 2


def _cli(ws: Workspace, server: OpenAIImagesServer, key: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENAI_API_KEY": key, "OPENAI_BASE_URL": server.base_url,
           "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "dermforge", "generate", "--workspace", str(ws.root),
         "--backend", "openai", "--n", str(N), "--size", "256x256", "--max-usd-per-image",
         "0.5", "--concurrency", str(CONCURRENCY)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_candidates(ws: Workspace, at_least: int, proc: subprocess.Popen[str]) -> None:
    path = ws.manifest(Candidate).path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.is_file() and path.read_bytes().count(b"\n") >= at_least:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the run never stored the first candidates")


def _check_workspace(ws: Workspace, key: str) -> list[Candidate]:
    candidates = ws.read(Candidate)  # every line parses (none truncated)
    assert len({c.candidate_id for c in candidates}) == len(candidates)
    referenced = {c.sha256 for c in candidates}
    referenced |= {s.sha256 for s in ws.read(SourceImage) if s.sha256}
    referenced |= {c.sha256 for c in ws.read(Crop)} | {m.sha256 for m in ws.read(Mask)}
    stored = set(ws.blobs)
    assert stored == referenced  # no orphaned blob, no missing one
    assert all(ws.blobs.verify(sha) for sha in {c.sha256 for c in candidates})
    assert not any((ws.root / "pending").glob("*.json"))  # every journal committed
    assert not any((ws.root / "pending").glob(".*.tmp"))
    for path, data in workspace_bytes(ws.root):
        assert key.encode() not in data, path
    return candidates


def test_sigkill_then_rerun_finishes_with_bounded_extra_billing(
        seeded: Workspace, tmp_path: Path) -> None:
    key = f"sk-kill-{uuid.uuid4().hex}"
    faults = Faults(latency_s=0.5, moderation_substrings={BLOCKED_WORD})
    with OpenAIImagesServer(api_key=key, faults=faults) as server:
        proc = _cli(seeded, server, key, tmp_path)
        _wait_for_candidates(seeded, 3 * N, proc)
        in_flight_at_kill = server.in_flight
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(seeded.read(Candidate)) < 15 * N  # really killed mid-run
        time.sleep(faults.latency_s + 0.3)  # the server finishes (and bills) what it had
        rerun = _cli(seeded, server, key, tmp_path)
        stdout, stderr = rerun.communicate(timeout=120)
        # the blocked seed's request failed permanently: the job is incomplete, exit 1
        assert rerun.returncode == 1, stderr
        assert "1 request(s) of the plan failed permanently" in stderr
        assert key not in stdout + stderr
    candidates = _check_workspace(seeded, key)
    assert len(candidates) == 15 * N
    assert [f.kind for f in seeded.read(GenerationFailure)] == ["moderation_blocked"]
    extra = server.billed_requests - len(server.billed)
    assert len(server.billed) == 15
    assert extra <= CONCURRENCY, (extra, in_flight_at_kill)


def test_ctrl_c_finishes_requests_in_flight_and_loses_nothing(
        seeded: Workspace, tmp_path: Path) -> None:
    key = f"sk-int-{uuid.uuid4().hex}"
    faults = Faults(latency_s=0.5, moderation_substrings={BLOCKED_WORD})
    with OpenAIImagesServer(api_key=key, faults=faults) as server:
        proc = _cli(seeded, server, key, tmp_path)
        _wait_for_candidates(seeded, 2 * N, proc)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 1, stderr
        assert "interrupted" in stdout and "finishing the ones in flight" in stderr
        stored = len(seeded.read(Candidate))
        assert stored < 15 * N
        # every billed request's images are in the workspace: nothing paid for was lost
        assert stored == server.billed_requests * N
        rerun = _cli(seeded, server, key, tmp_path)
        _, stderr = rerun.communicate(timeout=120)
        assert rerun.returncode == 1 and "failed permanently" in stderr, stderr
    assert len(_check_workspace(seeded, key)) == 15 * N
    assert server.billed_requests == len(server.billed) == 15


def test_a_journal_left_by_a_killed_run_is_stored_not_requested_again(
        seeded: Workspace) -> None:
    import asyncio

    from dermforge.generators import RequestInputs, create_backend
    from dermforge.runner import (
        RunOptions,
        candidates_for,
        generate,
        journal_dir,
        seed_inputs,
        write_journal,
    )

    key = f"sk-journal-{uuid.uuid4().hex}"
    with OpenAIImagesServer(api_key=key, faults=Faults(
            moderation_substrings={BLOCKED_WORD})) as server:
        backend = create_backend("openai", api_key=key, base_url=server.base_url,
                                 size="256x256")
        request = backend.plan(seed_inputs(seeded), 2)[0]

        async def paid_then_killed():  # type: ignore[no-untyped-def]
            try:
                return await backend.generate(request, RequestInputs(
                    image=seeded.blobs.read(request.image_sha256),
                    mask=seeded.blobs.read(request.mask_sha256 or "")))
            finally:
                await backend.aclose()

        result = asyncio.run(paid_then_killed())
        journal = write_journal(seeded, request.request_id, candidates_for(request, result))
        stale = journal_dir(seeded) / f".{request.request_id}.json.x1y2.tmp"
        stale.write_bytes(b'{"version": 1, "candid')  # a journal write cut off by a kill
        report = generate(seeded, create_backend("openai", api_key=key,
                                                 base_url=server.base_url, size="256x256"),
                          n=2, options=RunOptions(concurrency=4), max_usd_per_image=0.5)
    assert report.recovered_images == 2 and report.already_done == 1
    assert server.billed_requests == len(server.billed) == 15  # the journaled one: once
    assert not journal.exists() and not stale.exists()
    assert len(_check_workspace(seeded, key)) == 30
