"""The signals stage: advisory quality signals of every candidate (skin tone, near-duplicates
of test images, sharpness) → records/signals.jsonl. Signals never decide anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..curation import SignalsParams, SignalsRun, compute_signals
from ..errors import MissingInputError
from ..schemas import Candidate, CandidateSignals
from ..store import Workspace
from ._common import Progress, StageRun, as_workspace, stage

__all__ = ["SignalsStageRun", "run_signals"]


@dataclass
class SignalsStageRun(StageRun):
    signals: SignalsRun = field(default_factory=SignalsRun)


def run_signals(workspace: Workspace | Path, params: SignalsParams, *,
                progress: Progress | None = None) -> SignalsStageRun:
    """Measure every candidate whose signals are missing or stale (resumable)."""
    ws = as_workspace(workspace)
    manifest = ws.manifest(Candidate)
    if not manifest.exists() or not manifest.read():
        raise MissingInputError(f"no candidates in {manifest.path}",
                                fix=f"run `dermforge generate -w {ws.root}` first")
    with stage(ws, "signals", outputs=[CandidateSignals]) as cleaned:
        run = compute_signals(ws, params, progress=progress)
    return SignalsStageRun(cleaned=cleaned, signals=run)
