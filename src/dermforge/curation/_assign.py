"""Assignments: which reviewers read which candidate (``records/assignments.jsonl``).

:func:`assign` gives every candidate without an assignment ``per_candidate`` reviewers.
It is balanced (within one run, the reviewers' new loads differ by at most one) and
deterministic (no random state: candidates in id order, each to the reviewers with the
lowest load so far, ties broken by the sha256 of candidate id and name), so the same
candidates, reviewers and file give the same bytes. Re-running adds only candidates that
have no assignment yet; existing lines are never rewritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from ..errors import InputError
from ..schemas import Assignment, Candidate, CurationVerdict
from ..store import Workspace
from ._reviewers import read_reviewers

__all__ = ["AssignRun", "assign", "assigned_to", "assignments_from_lines", "read_assignments",
           "reviewer_progress"]


@dataclass(frozen=True)
class AssignRun:
    path: Path
    candidates: int  # newly assigned
    already: int  # candidates that had assignments before
    load: dict[str, int]  # reviewer → candidates assigned in this run


def read_assignments(workspace: Workspace) -> dict[str, tuple[str, ...]]:
    """candidate id → its assigned reviewers (file order); empty without the file."""
    return assignments_from_lines(workspace.manifest(Assignment).read())


def assignments_from_lines(lines: Iterable[Assignment]) -> dict[str, tuple[str, ...]]:
    assigned: dict[str, tuple[str, ...]] = {}
    for line in lines:
        if line.reviewer not in assigned.get(line.candidate_id, ()):
            assigned[line.candidate_id] = (*assigned.get(line.candidate_id, ()), line.reviewer)
    return assigned


def assigned_to(assignments: dict[str, tuple[str, ...]], reviewer: str) -> set[str]:
    """The candidate ids in one reviewer's queue."""
    return {cid for cid, names in assignments.items() if reviewer in names}


def reviewer_progress(verdicts: Iterable[CurationVerdict],
                      assignments: Mapping[str, Sequence[str]]) -> dict[str, tuple[int, int]]:
    """reviewer → (assigned candidates they accepted or rejected, assigned candidates), for
    every reviewer with assignments (a queue's progress; adjudicators' verdicts not counted)."""
    decided = {(v.candidate_id, v.reviewer) for v in verdicts
               if v.role == "reviewer" and v.decision != "undecided"}
    progress: dict[str, tuple[int, int]] = {}
    for cid, names in assignments.items():
        for name in names:
            done, total = progress.get(name, (0, 0))
            progress[name] = (done + ((cid, name) in decided), total + 1)
    return dict(sorted(progress.items()))


def _rank(candidate_id: str, reviewer: str) -> str:
    return hashlib.sha256(f"{candidate_id}\x1f{reviewer}".encode()).hexdigest()


def _check(workspace: Workspace, reviewers: Sequence[str], per_candidate: int) -> None:
    if len(set(reviewers)) != len(reviewers) or not reviewers:
        raise InputError(f"--reviewers {','.join(reviewers)!r} is empty or names someone "
                         "twice", fix="list each reviewer once, comma-separated: a,b,c")
    if not 1 <= per_candidate <= len(reviewers):
        raise InputError(f"--per-candidate {per_candidate} is not between 1 and the number "
                         f"of reviewers ({len(reviewers)})",
                         fix="lower --per-candidate or list more reviewers")
    book = read_reviewers(workspace)
    unknown = [r for r in reviewers if (p := book.get(r)) is None or not p.active
               or p.role != "reviewer"]
    if unknown:
        raise InputError(f"reviewer(s) {', '.join(map(repr, unknown))} have no active reviewer "
                         "profile (adjudicators are not assigned)",
                         fix="add them first: `dermforge curate reviewers add NAME "
                         "--qualification Q -w WS`, or check `curate reviewers list`")


def assign(workspace: Workspace, reviewers: Sequence[str], per_candidate: int) -> AssignRun:
    """Assign every candidate without an assignment to ``per_candidate`` of ``reviewers``."""
    _check(workspace, reviewers, per_candidate)
    manifest = workspace.manifest(Assignment)
    manifest.path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.path.parent / f".{manifest.path.name}.append.lock")):
        existing = read_assignments(workspace)
        todo = sorted({c.candidate_id for c in workspace.manifest(Candidate)} - set(existing))
        load = dict.fromkeys(reviewers, 0)
        lines: list[Assignment] = []
        for cid in todo:
            chosen = sorted(reviewers, key=lambda r: (load[r], _rank(cid, r)))[:per_candidate]
            for name in sorted(chosen):
                load[name] += 1
                lines.append(Assignment(candidate_id=cid, reviewer=name))
        manifest.append(lines)
    return AssignRun(manifest.path, len(todo), len(existing), load)
