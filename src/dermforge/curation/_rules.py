"""Pure checks of new verdicts against the candidates and the log's current state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..schemas import Candidate, CurationVerdict
from ._human import human_verdict_problems

__all__ = ["VerdictProblem", "accepted_per_seed", "check_human_verdicts", "check_verdicts",
           "seeds_over_keep"]


@dataclass(frozen=True)
class VerdictProblem:
    """What is wrong with the ``index``-th new verdict."""

    index: int
    candidate_id: str
    reason: str
    fix: str


def accepted_per_seed(
    latest: Mapping[str, CurationVerdict], candidates: Mapping[str, Candidate]
) -> Counter[str]:
    """Number of accepted candidates of each seed (source id)."""
    counts: Counter[str] = Counter()
    for cid, verdict in latest.items():
        if verdict.decision == "accept" and cid in candidates:
            counts[candidates[cid].seed_or_request] += 1
    return counts


def seeds_over_keep(counts: Counter[str], keep_per_seed: int) -> set[str]:
    return {seed for seed, n in counts.items() if n > keep_per_seed}


def check_verdicts(
    new: Sequence[CurationVerdict],
    *,
    candidates: Mapping[str, Candidate],
    latest: Mapping[str, CurationVerdict],
    keep_per_seed: int,
    after: Mapping[str, CurationVerdict] | None = None,
) -> list[VerdictProblem]:
    """Problems of appending ``new`` (in order) to a log whose latest verdicts are ``latest``.

    A verdict must name a known candidate, and no seed may end up with more than
    ``keep_per_seed`` accepted candidates: in ``after`` (the state the rule makes once
    ``new`` is appended) when given, else in ``latest`` with each new verdict replacing the
    candidate's.
    """
    problems: list[VerdictProblem] = []
    state = dict(latest)
    for index, verdict in enumerate(new):
        cid = verdict.candidate_id
        if cid not in candidates:
            problems.append(VerdictProblem(
                index, cid, f"field 'candidate_id': unknown candidate id {cid!r} (not in "
                "records/candidates.jsonl)",
                "copy the candidate_id from `dermforge curate export`; do not edit ids",
            ))
            continue
        state[cid] = verdict
    counts = accepted_per_seed(state if after is None else after, candidates)
    over = seeds_over_keep(counts, keep_per_seed)
    for index, verdict in enumerate(new):
        candidate = candidates.get(verdict.candidate_id)
        final = verdict if after is None else after.get(verdict.candidate_id, verdict)
        if candidate is None or final.decision != "accept" or candidate.source_id not in over:
            continue
        seed = candidate.source_id
        problems.append(VerdictProblem(
            index, verdict.candidate_id,
            f"field 'decision': seed {seed!r} would have {counts[seed]} accepted candidates, "
            f"more than the keep-per-seed rule allows ({keep_per_seed})",
            f"reject or set undecided some of seed {seed}'s candidates so at most "
            f"{keep_per_seed} stay accepted",
        ))
    return sorted(problems, key=lambda p: p.index)


def check_human_verdicts(
    new: Sequence[CurationVerdict],
    *,
    candidates: Mapping[str, Candidate],
    latest: Mapping[str, CurationVerdict],
    keep_per_seed: int,
    now: datetime,
    after: Mapping[str, CurationVerdict] | None = None,
) -> list[VerdictProblem]:
    """:func:`check_verdicts` plus every rule of the human-verdict validator, per verdict.

    ``latest`` is the merged state (people's and the policy's verdicts).
    """
    problems = check_verdicts(new, candidates=candidates, latest=latest,
                              keep_per_seed=keep_per_seed, after=after)
    for index, verdict in enumerate(new):
        candidate = candidates.get(verdict.candidate_id)
        if candidate is None:
            continue
        problems += [VerdictProblem(index, verdict.candidate_id,
                                    f"field {p.field!r}: {p.reason}", p.fix)
                     for p in human_verdict_problems(verdict, candidate=candidate, now=now)]
    return sorted(problems, key=lambda p: p.index)
