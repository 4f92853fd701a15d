"""Per-seed curation status: candidates, accepted, rejected, undecided."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from ..schemas import Candidate, CurationVerdict, Seed

__all__ = ["SeedStatus", "curation_status", "status_totals"]


@dataclass(frozen=True)
class SeedStatus:
    """``undecided`` counts candidates with no verdict or with an 'undecided' one."""

    seed_id: str
    condition: str | None
    group: str | None
    candidates: int
    accepted: int
    rejected: int
    undecided: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def curation_status(
    candidates: Iterable[Candidate],
    latest: Mapping[str, CurationVerdict],
    seeds: Iterable[Seed] = (),
) -> list[SeedStatus]:
    """One line per seed that has candidates, ordered by condition, group and seed id."""
    by_seed: dict[str, list[str]] = {}
    for candidate in candidates:
        decision = latest.get(candidate.candidate_id)
        by_seed.setdefault(candidate.seed_or_request, []).append(
            decision.decision if decision is not None else "undecided")
    info = {seed.source_id: seed for seed in seeds}
    lines = []
    for seed_id, decisions in by_seed.items():
        seed = info.get(seed_id)
        lines.append(SeedStatus(
            seed_id=seed_id,
            condition=seed.condition if seed else None,
            group=seed.group if seed else None,
            candidates=len(decisions),
            accepted=decisions.count("accept"),
            rejected=decisions.count("reject"),
            undecided=decisions.count("undecided"),
        ))
    return sorted(lines, key=lambda s: (s.condition or "", s.group or "", s.seed_id))


def status_totals(lines: Iterable[SeedStatus]) -> dict[str, int]:
    totals = {"seeds": 0, "candidates": 0, "accepted": 0, "rejected": 0, "undecided": 0}
    for line in lines:
        totals["seeds"] += 1
        totals["candidates"] += line.candidates
        totals["accepted"] += line.accepted
        totals["rejected"] += line.rejected
        totals["undecided"] += line.undecided
    return totals
