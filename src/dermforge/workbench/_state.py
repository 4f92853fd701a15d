"""The workbench's review state, loaded once and updated incrementally.

:class:`ReviewState` holds per-seed indexes: candidates by seed (in generation order), people's
verdict lines by candidate, the verdict that counts per candidate (by the workspace's rule
and :data:`~dermforge.curation.MERGE_RULE`), one queue row per seed and the progress as
running totals. Each request refreshes it through :class:`Records`' cursors:

- nothing changed: one ``stat`` per manifest;
- only the human verdict log grew (a decision here, or another process's append): only the
  new lines are read, and only the touched candidates, their seeds' rows and the totals are
  updated, so a decision costs O(candidates of its seed), not O(workspace);
- anything else changed (new candidates or signals, the automatic log rewritten by the
  policy, assignments, a rewritten human log): everything is rebuilt from the records, once.
"""

from __future__ import annotations

from typing import Any

from ..curation import assignments_from_lines, decide
from ..schemas import (
    Assignment,
    Candidate,
    CandidateSignals,
    CurationVerdict,
    GenerationRequest,
    Mask,
    Prompt,
    Record,
    Seed,
)
from ._records import Records
from ._rows import IndexRow, Queue, Totals, build_row, generation_order, review_order

__all__ = ["ReviewState", "review_state"]

_REBUILT_BY: tuple[type[Record], ...] = (Seed, Candidate, GenerationRequest, Mask, Prompt,
                                         CandidateSignals, Assignment)


class ReviewState:
    """Per-seed indexes over a workspace's records (see the module docstring)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self._versions: tuple[tuple[int, int], ...] | None = None
        self._human: tuple[int, int] = (0, 0)
        self._queue: Queue | None = None
        self.builds = 0  # full rebuilds so far

    def refresh(self) -> ReviewState:
        """Bring the state up to date with the files (call under ``records.lock``)."""
        r = self.records
        versions = (*(r.cursor(m).version() for m in _REBUILT_BY),
                    r.log_cursor(automatic=True).version())
        human = r.log_cursor(automatic=False)
        if versions != self._versions or human.reloads != self._human[0]:
            self._build()
        elif len(human.records) != self._human[1]:
            self._apply(human.records[self._human[1]:])
        self._versions, self._human = versions, human.version()
        return self

    def _build(self) -> None:
        self.builds += 1
        r = self.records
        self.seeds = {s.source_id: s for s in r.cursor(Seed).records}
        self.requests = {q.request_id: q for q in r.cursor(GenerationRequest).records}
        self.masks = {m.sha256: m for m in r.cursor(Mask).records}
        self.prompts = {(p.source_id, p.text): p for p in r.cursor(Prompt).records}
        self.signals = {s.candidate_id: s for s in r.cursor(CandidateSignals).records}
        self.assigned = assignments_from_lines(r.cursor(Assignment).records)
        self._assigned_to: dict[str, frozenset[str]] = {}
        self.auto = {v.candidate_id: v for v in r.log_cursor(automatic=True).records}
        self.by_seed: dict[str, list[Candidate]] = {}
        for c in r.cursor(Candidate).records:
            self.by_seed.setdefault(c.seed_or_request, []).append(c)
        for candidates in self.by_seed.values():
            candidates.sort(key=generation_order)
        self.seed_of = {c.candidate_id: s for s, cs in self.by_seed.items() for c in cs}
        self.lines: dict[str, list[CurationVerdict]] = {}
        self.decided_by: dict[str, set[str]] = {}
        self._decided: dict[str, frozenset[str]] = {}
        self.totals = Totals()
        self._apply(r.log_cursor(automatic=False).records, settle=False)
        self.latest: dict[str, CurationVerdict] = {}
        for cid in self.seed_of:
            self._settle(cid)
        self.rows = sorted((self._row(s) for s in self.by_seed), key=review_order)
        self.position = {row.seed_id: i for i, row in enumerate(self.rows)}
        for row in self.rows:
            self.totals.add_row(row)
        # the rows' conditions and groups change only with the seeds: with a full build
        self._conditions = sorted({r.condition for r in self.rows if r.condition})
        self._groups = sorted({r.group for r in self.rows if r.group})
        self._queue = None

    def _apply(self, new: list[CurationVerdict], *, settle: bool = True) -> None:
        """Take appended human lines in: their candidates, seeds' rows and the totals."""
        for verdict in new:
            self.lines.setdefault(verdict.candidate_id, []).append(verdict)
        self.totals.add_verdicts(new)
        self._note_decided(new)
        if not settle:
            return
        touched = {v.candidate_id for v in new if v.candidate_id in self.seed_of}
        for cid in touched:
            self._settle(cid)
        for seed_id in {self.seed_of[cid] for cid in touched}:
            at = self.position[seed_id]
            self.totals.add_row(self.rows[at], -1)
            self.rows[at] = self._row(seed_id)
            self.totals.add_row(self.rows[at])
        self._queue = None

    def _note_decided(self, verdicts: list[CurationVerdict]) -> None:
        for v in verdicts:
            if v.decision != "undecided":
                self.decided_by.setdefault(v.reviewer, set()).add(v.candidate_id)
                self._decided.pop(v.reviewer, None)

    def _settle(self, cid: str) -> None:
        """Recompute the verdict that counts for one candidate."""
        final = decide(self.records.rule, self.lines.get(cid, ()), self.auto.get(cid),
                       assigned=self.assigned.get(cid, ()))
        if final is None:
            self.latest.pop(cid, None)
        else:
            self.latest[cid] = final.effective()

    def _row(self, seed_id: str) -> IndexRow:
        return build_row(seed_id, self.by_seed[seed_id], self.seeds.get(seed_id),
                         self.latest, self.signals, self.requests)

    def queue(self) -> Queue:
        """The rows in review order with the progress (a new object after each change)."""
        if self._queue is None:
            self._queue = Queue(list(self.rows), self.totals.progress(), self._conditions,
                                self._groups)
        return self._queue

    def assigned_to(self, reviewer: str) -> frozenset[str]:
        """The candidates assigned to ``reviewer`` (kept until the next full build)."""
        if reviewer not in self._assigned_to:
            self._assigned_to[reviewer] = frozenset(
                cid for cid, names in self.assigned.items() if reviewer in names)
        return self._assigned_to[reviewer]

    def decided(self, reviewer: str) -> frozenset[str]:
        """The candidates ``reviewer`` gave an accept or reject to (any line)."""
        if reviewer not in self._decided:
            self._decided[reviewer] = frozenset(self.decided_by.get(reviewer, ()))
        return self._decided[reviewer]


def review_state(records: Records) -> ReviewState:
    """The refreshed review state of ``records`` (created on first use)."""
    with records.lock:
        state: Any = records.extensions.get("review")
        if state is None:
            state = records.extensions["review"] = ReviewState(records)
        return state.refresh()  # type: ignore[no-any-return]
