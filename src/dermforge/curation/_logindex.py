"""What an append to the human log checks, kept per candidate and read incrementally.

:class:`LogIndex` holds the human log's lines grouped by candidate, the automatic log's
latest verdict per candidate, the assignments and the candidates by seed, each refreshed
through a :class:`~dermforge.store.ManifestCursor` (a ``stat``, plus only the lines another
process appended; a rewritten file is read again in full). An append then checks the seeds
it touches, not the whole log: O(candidates of those seeds).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

from ..schemas import Assignment, Candidate, CurationRule, CurationVerdict
from ..store import ManifestCursor, Workspace
from ._assign import assignments_from_lines
from ._team import decide

__all__ = ["LineCheck", "LogIndex"]


LineCheck = Callable[[CurationVerdict, Path, int], None]


class LogIndex:
    """The state an append checks, refreshed from the files under one thread lock."""

    def __init__(self, workspace: Workspace, human: LineCheck, auto: LineCheck) -> None:
        self.human = ManifestCursor(workspace.manifest(CurationVerdict), human)
        self.auto = ManifestCursor(workspace.auto_verdicts(), auto)
        self._assign = ManifestCursor(workspace.manifest(Assignment))
        self._candidates = ManifestCursor(workspace.manifest(Candidate))
        self.lock = threading.RLock()
        self.groups: dict[str, list[CurationVerdict]] = {}
        self.auto_latest: dict[str, CurationVerdict] = {}
        self.assigned: dict[str, tuple[str, ...]] = {}
        self.candidates: dict[str, Candidate] = {}
        self.by_seed: dict[str, list[str]] = {}

    def refresh(self) -> LogIndex:
        with self.lock:
            new = self.human.refresh()
            if new is None:
                self.groups = {}
            for verdict in self.human.records if new is None else new:
                self.groups.setdefault(verdict.candidate_id, []).append(verdict)
            if self.auto.refresh() != []:
                self.auto_latest = {v.candidate_id: v for v in self.auto.records}
            if self._assign.refresh() != []:
                self.assigned = assignments_from_lines(self._assign.records)
            if self._candidates.refresh() != []:
                self._index_candidates()
        return self

    def _index_candidates(self) -> None:
        self.candidates = {c.candidate_id: c for c in self._candidates.records}
        self.by_seed = {}
        for c in self.candidates.values():
            self.by_seed.setdefault(c.seed_or_request, []).append(c.candidate_id)

    def scope(self, verdicts: Iterable[CurationVerdict]) -> list[str]:
        """Every candidate of the seeds the verdicts name (known candidates only)."""
        seeds = {self.candidates[v.candidate_id].seed_or_request for v in verdicts
                 if v.candidate_id in self.candidates}
        return [cid for seed in sorted(seeds) for cid in self.by_seed[seed]]

    def history(self, candidate_id: str) -> list[CurationVerdict]:
        return list(self.groups.get(candidate_id, ()))

    def effective(self, rule: CurationRule, candidate_id: str,
                  extra: Sequence[CurationVerdict] = ()) -> CurationVerdict | None:
        """The verdict that counts for one candidate (with ``extra`` lines appended)."""
        lines = [*self.groups.get(candidate_id, ()), *extra]
        assigned: Collection[str] = self.assigned.get(candidate_id, ())
        final = decide(rule, lines, self.auto_latest.get(candidate_id), assigned=assigned)
        return None if final is None else final.effective()

    def states(self, rule: CurationRule, cids: Iterable[str],
               new: Sequence[CurationVerdict] = ()) -> dict[str, CurationVerdict]:
        """candidate id → the verdict that counts (after ``new`` when given)."""
        added: dict[str, list[CurationVerdict]] = {}
        for v in new:
            added.setdefault(v.candidate_id, []).append(v)
        out = {}
        for cid in cids:
            verdict = self.effective(rule, cid, added.get(cid, ()))
            if verdict is not None:
                out[cid] = verdict
        return out
