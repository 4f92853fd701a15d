"""The curate stage of the pipeline: the demo's automatic policy (DEMO ONLY).

Human verdicts come from the workbench (`dermforge curate serve`) or a spreadsheet
(`dermforge curate import`) into records/verdicts.jsonl; this stage never writes that log.
It rewrites records/auto_verdicts.jsonl with the policy's verdicts on the candidates no
person has judged; a person's verdict always outranks the policy's.
"""

from __future__ import annotations

from pathlib import Path

from ..curation import CurateParams, PolicyRun, apply_policy
from ..store import Workspace
from ._common import as_workspace

__all__ = ["run_curate"]


def run_curate(workspace: Workspace | Path, params: CurateParams, *,
               policy: str | None = None) -> PolicyRun:
    """Apply ``policy`` (else ``params.policy``) keeping ``params.keep_per_seed`` per seed."""
    return apply_policy(as_workspace(workspace), policy or params.policy, params.keep_per_seed)
