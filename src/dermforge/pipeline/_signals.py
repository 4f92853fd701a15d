"""The signals stage: advisory quality signals of every candidate (skin tone, near-duplicates
of test images, sharpness) → records/signals.jsonl. Signals never decide anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..curation import SignalsParams, SignalsRun, compute_signals
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
    ws.require(Candidate, made_by="dermforge generate")
    with stage(ws, "signals", outputs=[CandidateSignals]) as cleaned:
        run = compute_signals(ws, params, progress=progress)
    return SignalsStageRun(cleaned=cleaned, signals=run)
