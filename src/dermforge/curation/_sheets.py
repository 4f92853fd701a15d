"""A reviewer's own spreadsheet: their queue and their own verdicts (blinding)."""

from __future__ import annotations

from ..errors import InputError
from ..schemas import CurationVerdict
from ..store import Workspace
from ._assign import assigned_to, read_assignments
from ._log import latest_verdicts

__all__ = ["own_latest", "reviewer_queue"]


def own_latest(verdicts: list[CurationVerdict], reviewer: str) -> dict[str, CurationVerdict]:
    """candidate id → ``reviewer``'s own latest reviewer-role verdict."""
    return latest_verdicts(v for v in verdicts if v.reviewer == reviewer
                           and v.role == "reviewer")


def reviewer_queue(workspace: Workspace, reviewer: str) -> set[str] | None:
    """The candidates assigned to ``reviewer``; None when the workspace has no assignments."""
    assigned = read_assignments(workspace)
    if not assigned:
        return None
    mine = assigned_to(assigned, reviewer)
    if not mine:
        raise InputError(f"reviewer {reviewer!r} has no assigned candidate",
                         fix="check the name, or assign candidates first (`dermforge curate "
                         "assign -w WS --reviewers …`)")
    return mine
