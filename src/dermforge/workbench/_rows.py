"""One queue row per seed, built from that seed's candidates alone, and the progress over
the rows kept as running totals (a changed seed swaps its row and its share of the totals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..curation import is_automatic
from ..schemas import Candidate, CandidateSignals, CurationVerdict, GenerationRequest, Seed

__all__ = ["IndexRow", "Queue", "Totals", "build_row", "generation_order", "review_order"]


def generation_order(candidate: Candidate) -> tuple[object, ...]:
    return (candidate.created, candidate.request_id, candidate.index)


def review_order(row: IndexRow) -> tuple[str, str, str]:
    return (row.condition or "", row.group or "", row.seed_id)


@dataclass(frozen=True)
class IndexRow:
    """One seed of the queue. ``human``/``auto``: candidates whose counting verdict (accept or
    reject) is a person's / the demo policy's; ``flags``: flag → candidates that raise it."""

    seed_id: str
    condition: str | None
    group: str | None
    crop_sha256: str | None
    candidates: int
    accepted: int
    rejected: int
    undecided: int
    human: int
    auto: int
    policies: tuple[str, ...]
    flags: Mapping[str, int]
    candidate_ids: frozenset[str]
    open_ids: frozenset[str]

    @property
    def status(self) -> str:
        if self.undecided == self.candidates:
            return "undecided"
        return "done" if self.undecided == 0 else "partly"

    @property
    def reviewed(self) -> bool:
        """Every candidate decided by a person (the policy's verdicts are no review)."""
        return self.human == self.candidates

    @property
    def flagged(self) -> int:
        return max(self.flags.values(), default=0)



@dataclass
class _Tally:
    """What one pass over the candidates collects for one seed."""

    ids: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    human: int = 0
    policies: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)

    def add(self, candidate_id: str, verdict: CurationVerdict | None,
            flags: Iterable[str]) -> None:
        self.ids.append(candidate_id)
        if verdict is None or verdict.decision == "undecided":
            self.open.append(candidate_id)
        else:
            if verdict.decision == "accept":
                self.accepted += 1
            else:
                self.rejected += 1
            if is_automatic(verdict.reviewer):
                self.policies[verdict.reviewer] = self.policies.get(verdict.reviewer, 0) + 1
            else:
                self.human += 1
        for flag in flags:
            self.flags[flag] = self.flags.get(flag, 0) + 1



def build_row(seed_id: str, candidates: Sequence[Candidate], seed: Seed | None,
              latest: Mapping[str, CurationVerdict],
              signals: Mapping[str, CandidateSignals],
              requests: Mapping[str, GenerationRequest]) -> IndexRow:
    """The row of one seed from its candidates (in generation order, newest last)."""
    t = _Tally()
    for c in candidates:
        record = signals.get(c.candidate_id)
        t.add(c.candidate_id, latest.get(c.candidate_id), record.flags if record else ())
    request = requests.get(candidates[-1].request_id) if candidates else None
    return IndexRow(
        seed_id=seed_id, condition=seed.condition if seed else None,
        group=seed.group if seed else None,
        crop_sha256=request.image_sha256 if request else None,
        candidates=len(t.ids), accepted=t.accepted, rejected=t.rejected,
        undecided=len(t.open), human=t.human, auto=sum(t.policies.values()),
        policies=tuple(sorted(t.policies)), flags=t.flags,
        candidate_ids=frozenset(t.ids), open_ids=frozenset(t.open))


@dataclass(frozen=True)
class Queue:
    """Every seed with candidates in review order (condition, group, seed id), with the
    progress over them and the conditions and groups present (for the filters)."""

    rows: list[IndexRow]
    progress: dict[str, object]
    conditions: list[str]
    groups: list[str]


@dataclass
class Totals:
    """The progress over the rows (people's review apart from the policy's) and per reviewer
    the candidates they decided (by their latest verdict), updated row by row and line by
    line."""

    counts: Counter[str] = field(default_factory=Counter)
    policies: Counter[str] = field(default_factory=Counter)
    last: dict[tuple[str, str], str] = field(default_factory=dict)
    per_reviewer: Counter[str] = field(default_factory=Counter)

    def add_row(self, row: IndexRow, sign: int = 1) -> None:
        self.counts.update({
            "seeds_total": sign, "seeds_reviewed": sign * row.reviewed,
            "seeds_by_policy": sign * bool(row.auto and row.undecided == 0),
            "seeds_open": sign * bool(row.undecided), "candidates_total": sign * row.candidates,
            "candidates_by_people": sign * row.human, "candidates_by_policy": sign * row.auto,
            "accepted": sign * row.accepted})
        self.policies.update({p: sign for p in row.policies})

    def add_verdicts(self, verdicts: Iterable[CurationVerdict]) -> None:
        for v in verdicts:
            key = (v.reviewer, v.candidate_id)
            if self.last.get(key, "undecided") != "undecided":
                self.per_reviewer[v.reviewer] -= 1
            self.last[key] = v.decision
            if v.decision != "undecided":
                self.per_reviewer[v.reviewer] += 1

    def progress(self) -> dict[str, object]:
        keys = ("seeds_total", "seeds_reviewed", "seeds_by_policy", "seeds_open",
                "candidates_total", "candidates_by_people", "candidates_by_policy", "accepted")
        out: dict[str, object] = {k: self.counts[k] for k in keys}
        out["policies"] = sorted(p for p, n in self.policies.items() if n > 0)
        out["reviewers"] = dict(sorted(((r, n) for r, n in self.per_reviewer.items() if n > 0),
                                       key=lambda kv: (-kv[1], kv[0])))
        return out
