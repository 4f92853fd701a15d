"""Several reviewers per candidate: the rule that turns their verdicts into one final
decision, the adjudication queue, and the blinded view a reviewer gets.

The rule (params ``curate.rule``) is one pure function, :func:`decide`, over one candidate's
lines of the human log and its latest automatic verdict:

- ``single`` (the default, as before): the candidate's last human line decides, whoever wrote
  it;
- ``majority``: each reviewer's latest verdict counts once; a strict majority of the
  accept/reject votes decides, a tie waits for an adjudicator;
- ``adjudicated``: unanimous reviewers decide; any disagreement waits for an adjudicator.

Under ``majority`` and ``adjudicated`` an adjudicator's (latest) verdict is final where
present, and when the candidate has assigned reviewers (``records/assignments.jsonl``) the
decision waits ("pending", undecided) until each of them has accepted or rejected.
Automatic (``auto:``) verdicts never count as review: they apply only to a candidate with no
human line at all (:data:`~dermforge.curation.MERGE_RULE`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..schemas import CurationRule, CurationVerdict

__all__ = ["RULE_TEXT", "AdjudicationItem", "FinalDecision", "adjudication_queue", "decide",
           "disagrees", "final_decisions", "group_by_candidate", "reviewer_votes",
           "visible_verdicts"]

Status = Literal["decided", "needs-adjudication", "pending", "automatic"]

#: each rule in one sentence (the card and the docs quote it)
RULE_TEXT: dict[CurationRule, str] = {
    "single": "the latest verdict on a candidate decides, whoever gave it",
    "majority": "a strict majority of the reviewers' accept/reject verdicts decides (each "
                "reviewer's latest counts once); a tie or an adjudicator's verdict is settled "
                "by the adjudicator, whose verdict is final",
    "adjudicated": "the reviewers' verdicts decide when they all agree; any disagreement is "
                   "settled by an adjudicator, whose verdict is final",
}


@dataclass(frozen=True)
class FinalDecision:
    """A candidate's final decision by a rule.

    ``deciding`` is the verdict whose fields (reasons, scores, note, reviewer) stand for the
    decision: the adjudicator's, else the latest verdict agreeing with the decision, else
    (pending, needs adjudication) the latest verdict weighed. ``weighed`` holds every verdict
    the rule looked at, in log order.
    """

    candidate_id: str
    rule: CurationRule
    decision: Literal["accept", "reject", "undecided"]
    status: Status
    deciding: CurationVerdict
    weighed: tuple[CurationVerdict, ...]

    def effective(self) -> CurationVerdict:
        """``deciding`` carrying the final decision (the merged state readers count)."""
        if self.deciding.decision == self.decision:
            return self.deciding
        return self.deciding.model_copy(update={"decision": self.decision})


def reviewer_votes(lines: Iterable[CurationVerdict]
                   ) -> tuple[dict[str, CurationVerdict], CurationVerdict | None]:
    """(reviewer → latest reviewer-role verdict, latest adjudicator verdict) of one
    candidate's human lines (oldest first)."""
    reviewers: dict[str, CurationVerdict] = {}
    adjudicator = None
    for verdict in lines:
        if verdict.role == "adjudicator":
            adjudicator = verdict
        else:
            reviewers.pop(verdict.reviewer, None)  # keep log order of the latest lines
            reviewers[verdict.reviewer] = verdict
    return reviewers, adjudicator


def disagrees(lines: Iterable[CurationVerdict]) -> bool:
    """True when the reviewers' latest verdicts hold both an accept and a reject."""
    reviewers, _ = reviewer_votes(lines)
    return {"accept", "reject"} <= {v.decision for v in reviewers.values()}


def decide(rule: CurationRule, lines: Sequence[CurationVerdict],
           automatic: CurationVerdict | None, *, assigned: Collection[str] = ()
           ) -> FinalDecision | None:
    """The final decision of one candidate from its human lines (oldest first) and its
    latest automatic verdict; None when it has neither."""
    if not lines:
        if automatic is None:
            return None
        return FinalDecision(automatic.candidate_id, rule, automatic.decision, "automatic",
                             automatic, (automatic,))
    cid = lines[-1].candidate_id
    if rule == "single":
        return FinalDecision(cid, rule, lines[-1].decision, "decided", lines[-1],
                             (lines[-1],))
    reviewers, adjudicator = reviewer_votes(lines)
    weighed = tuple(reviewers.values()) + ((adjudicator,) if adjudicator else ())
    if adjudicator is not None:
        return FinalDecision(cid, rule, adjudicator.decision, "decided", adjudicator, weighed)
    votes = [v for v in reviewers.values() if v.decision != "undecided"]
    voted = {v.reviewer for v in votes}
    if not votes or any(name not in voted for name in assigned):
        return FinalDecision(cid, rule, "undecided", "pending", lines[-1], weighed)
    accepts = sum(1 for v in votes if v.decision == "accept")
    rejects = len(votes) - accepts
    winner: Literal["accept", "reject"] | None
    if rule == "majority":
        winner = "accept" if accepts > rejects else "reject" if rejects > accepts else None
    else:
        winner = "accept" if rejects == 0 else "reject" if accepts == 0 else None
    if winner is None:
        return FinalDecision(cid, rule, "undecided", "needs-adjudication", votes[-1], weighed)
    deciding = [v for v in votes if v.decision == winner][-1]
    return FinalDecision(cid, rule, winner, "decided", deciding, weighed)


def group_by_candidate(lines: Iterable[CurationVerdict]) -> dict[str, list[CurationVerdict]]:
    """candidate id → its lines, in log order."""
    groups: dict[str, list[CurationVerdict]] = {}
    for verdict in lines:
        groups.setdefault(verdict.candidate_id, []).append(verdict)
    return groups


def final_decisions(rule: CurationRule, human: Iterable[CurationVerdict],
                    automatic: Mapping[str, CurationVerdict],
                    assignments: Mapping[str, Collection[str]] | None = None
                    ) -> dict[str, FinalDecision]:
    """candidate id → its final decision, for every candidate with any verdict."""
    groups = group_by_candidate(human)
    finals: dict[str, FinalDecision] = {}
    for cid in (*groups, *(c for c in automatic if c not in groups)):
        final = decide(rule, groups.get(cid, []), automatic.get(cid),
                       assigned=(assignments or {}).get(cid, ()))
        if final is not None:
            finals[cid] = final
    return finals


def visible_verdicts(lines: Sequence[CurationVerdict], viewer: str | None, *,
                     adjudicator: bool = False) -> list[CurationVerdict]:
    """Blinding: the lines of one candidate that ``viewer`` may see. A reviewer sees the
    others' verdicts only once they have given their own; an adjudicator (or no viewer:
    single-reviewer use) sees all."""
    if viewer is None or adjudicator:
        return list(lines)
    if any(v.reviewer == viewer and v.role == "reviewer" for v in lines):
        return list(lines)
    return [v for v in lines if v.reviewer == viewer]


@dataclass(frozen=True)
class AdjudicationItem:
    """A candidate whose reviewers disagree and that no adjudicator has decided yet."""

    candidate_id: str
    verdicts: tuple[CurationVerdict, ...]  # each reviewer's latest, in log order


def adjudication_queue(human: Iterable[CurationVerdict]) -> list[AdjudicationItem]:
    """Every candidate whose reviewers' latest verdicts hold both an accept and a reject and
    that has no adjudicator verdict, by candidate id."""
    queue = []
    for cid, lines in sorted(group_by_candidate(human).items()):
        reviewers, adjudicator = reviewer_votes(lines)
        if adjudicator is None and disagrees(lines):
            queue.append(AdjudicationItem(cid, tuple(reviewers.values())))
    return queue
