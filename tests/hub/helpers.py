"""Helpers for the publishing tests: releases built by `dermforge build`, clean environments,
the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq

from dermforge.builder import BuildParams, build_release
from dermforge.schemas import Candidate, CurationVerdict
from dermforge.store import Workspace
from release.factory import make_ready

TOKEN = "hf_dermforgeSECRET_7f3a9c1e5b2d4086"  # distinctive: grepped for everywhere
REPO = "derm-lab/fitz17k-test"  # build.repo_id of the releases built here: publish needs it


@dataclass(frozen=True)
class LocalRelease:
    root: Path
    version: str
    rows: list[dict[str, object]]  # synthetic: image_id, condition, fst_group, image_sha256, png


def make_workspace(root: Path) -> Path:
    """A ready-to-release workspace (tests/release/factory.py: 8 seeds, 24 candidates)."""
    return make_ready(root).workspace.root


def write_release(root: Path, version: str, workspace: Path, *, shards: int = 1,
                  reject_first: int = 0, previous: Path | None = None,
                  repo_id: str = REPO) -> LocalRelease:
    """A release built by `dermforge build` from a copy of ``workspace``.

    ``shards=2`` bounds shards at 512 KiB (the 16 synthetic rows then fill 2 content-defined
    shards; test_refusals and test_publish_and_load name the second). ``reject_first`` seeds
    get their first accepted candidate rejected by a later verdict, so the release holds
    other rows.
    """
    copy = root.parent / f"{root.name}-workspace"
    shutil.copytree(workspace, copy)
    ws = Workspace(copy)
    if reject_first:
        _reject_first(ws, reject_first)
    params = (BuildParams(row_group_rows=8, shard_max_bytes=512 * 2**10, repo_id=repo_id)
              if shards == 2 else BuildParams(repo_id=repo_id))
    build_release(ws, version=version, out=root, previous=previous, params=params)
    shutil.rmtree(copy)
    table = pq.read_table(root / "data" / "synthetic")
    rows: list[dict[str, object]] = [
        {"image_id": r["image_id"], "condition": r["condition"], "fst_group": r["fst_group"],
         "image_sha256": r["image_sha256"], "png": r["image"]["bytes"]}
        for r in table.to_pylist()]
    return LocalRelease(root, version, rows)


def _reject_first(ws: Workspace, n: int) -> None:
    latest = {v.candidate_id: v for v in ws.manifest(CurationVerdict)}
    seen: set[str] = set()
    later = []
    for c in ws.manifest(Candidate):
        verdict = latest[c.candidate_id]
        if c.source_id in seen or len(seen) >= n or verdict.decision != "accept":
            continue
        seen.add(c.source_id)
        later.append(verdict.model_copy(update={
            "decision": "reject", "reason_codes": ("artifact",),
            "decided_at": verdict.decided_at + timedelta(days=1)}))
    ws.manifest(CurationVerdict).append(later)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh process: online, HF_HOME in tmp, no token unless given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT", "HUGGINGFACE_CO_STAGING",
                        "HF_HUB_DISABLE_XET")}
    env.update(HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run_python(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def publish_cli(release: Path, repo: str, tag: str, env: dict[str, str], cwd: Path,
                *extra: str, unvalidated: bool = True,
                unsigned: bool = True) -> subprocess.CompletedProcess[str]:
    """`dermforge publish`; ``unvalidated`` and ``unsigned`` (the defaults: these tests
    publish fresh builds, which carry no evaluation and no signature) add --unvalidated and
    --unsigned."""
    flags = [*(["--unvalidated"] if unvalidated else []), *(["--unsigned"] if unsigned else [])]
    return run_python(["-m", "dermforge", "publish", str(release), "--repo", repo,
                       "--tag", tag, *flags, *extra], env, cwd)


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle``."""
    raw = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
            and raw in p.read_bytes()]
