"""Agreement between reviewers: Krippendorff's alpha (nominal, the ``krippendorff`` package)
overall and per condition × skin-type group, pairwise Cohen's kappa, and counts.

Only people's reviewer verdicts count: each reviewer's latest accept or reject per candidate
(an "undecided" is no rating); automatic (``auto:``) verdicts and adjudicators' are left out.
An alpha or kappa is None (undefined) when fewer than two ratings can be paired or when every
rating is the same decision (no disagreement can be expected).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import combinations

from ..schemas import CurationVerdict, Seed
from ..store import Workspace
from ._human import is_automatic
from ._log import VerdictLog
from ._team import group_by_candidate, reviewer_votes

__all__ = ["Agreement", "CellAgreement", "PairKappa", "agreement", "cohen_kappa",
           "krippendorff_alpha", "rating_table", "table_agreement"]

#: candidate id → reviewer → "accept" | "reject"
Table = Mapping[str, Mapping[str, str]]
_CODES = {"accept": 1.0, "reject": 0.0}


def rating_table(human: Iterable[CurationVerdict]) -> dict[str, dict[str, str]]:
    """candidate id → reviewer → latest accept/reject, people's reviewer verdicts only."""
    table: dict[str, dict[str, str]] = {}
    for cid, lines in group_by_candidate(human).items():
        reviewers, _ = reviewer_votes(v for v in lines if not is_automatic(v.reviewer))
        votes = {r: str(v.decision) for r, v in reviewers.items() if v.decision in _CODES}
        if votes:
            table[cid] = votes
    return table


def krippendorff_alpha(table: Table) -> float | None:
    """Nominal Krippendorff's alpha over the units with at least two ratings."""
    import krippendorff
    import numpy as np

    units = [u for u in table.values() if len(u) >= 2]
    values = {d for u in units for d in u.values()}
    if not units or len(values) < 2:
        return None
    coders = sorted({r for u in units for r in u})
    data = np.full((len(coders), len(units)), np.nan)
    for j, unit in enumerate(units):
        for reviewer, decision in unit.items():
            data[coders.index(reviewer), j] = _CODES[decision]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def cohen_kappa(table: Table, a: str, b: str) -> tuple[int, float | None]:
    """(candidates both rated, Cohen's kappa of ``a`` and ``b`` on them):
    kappa = (p_o - p_e) / (1 - p_e), p_o the share of agreements, p_e = Σ_k p_a(k)·p_b(k)."""
    pairs = [(u[a], u[b]) for u in table.values() if a in u and b in u]
    n = len(pairs)
    if n == 0:
        return 0, None
    observed = sum(1 for x, y in pairs if x == y) / n
    expected = sum((sum(1 for x, _ in pairs if x == k) / n) * (sum(1 for _, y in pairs
                                                                 if y == k) / n)
                   for k in _CODES)
    return n, None if expected >= 1 else (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class CellAgreement:
    condition: str
    fst_group: str
    candidates: int  # with at least two ratings
    alpha: float | None


@dataclass(frozen=True)
class PairKappa:
    a: str
    b: str
    candidates: int
    kappa: float | None


@dataclass(frozen=True)
class Agreement:
    reviewers: list[str]
    alpha: float | None
    cells: list[CellAgreement]
    kappa: list[PairKappa]
    rated_twice: int  # candidates with at least two reviewers' accept/reject
    disagreements: int  # of those, with both an accept and a reject
    adjudicated: int  # candidates with an adjudicator's verdict

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def table_agreement(human: list[CurationVerdict], seeds: Mapping[str, Seed],
                    seed_of: Mapping[str, str]) -> Agreement:
    """Agreement of a human log; ``seed_of`` maps candidate id → seed id."""
    table = rating_table(human)
    multi = {cid: u for cid, u in table.items() if len(u) >= 2}
    reviewers = sorted({r for u in table.values() for r in u})
    cells: dict[tuple[str, str], dict[str, Mapping[str, str]]] = {}
    for cid, unit in multi.items():
        seed = seeds.get(seed_of.get(cid, ""))
        key = (seed.condition, seed.group) if seed else ("?", "?")
        cells.setdefault(key, {})[cid] = unit
    return Agreement(
        reviewers=reviewers, alpha=krippendorff_alpha(table),
        cells=[CellAgreement(c, g, len(units), krippendorff_alpha(units))
               for (c, g), units in sorted(cells.items())],
        kappa=[PairKappa(a, b, *cohen_kappa(table, a, b))
               for a, b in combinations(reviewers, 2)],
        rated_twice=len(multi),
        disagreements=sum(1 for u in multi.values() if len(set(u.values())) > 1),
        adjudicated=len({v.candidate_id for v in human if v.role == "adjudicator"}),
    )


def agreement(workspace: Workspace) -> Agreement:
    """The agreement of the workspace's people's verdicts (``dermforge curate agreement``)."""
    log = VerdictLog(workspace)
    seed_of = {cid: c.seed_or_request for cid, c in log.candidates().items()}
    seeds = {s.source_id: s for s in workspace.manifest(Seed)}
    return table_agreement(log.all(), seeds, seed_of)
