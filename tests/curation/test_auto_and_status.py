"""The demo's automatic policy and the per-seed status."""

from __future__ import annotations

from dermforge.curation import (
    VerdictLog,
    create_policy,
    curation_status,
    first_k,
    list_policies,
    status_totals,
)
from dermforge.schemas import CurationVerdict, Seed
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated


def test_first_k_is_labelled_deterministic_and_respects_humans(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    log = VerdictLog(ws, keep_per_seed=4)
    seed = pop.candidates[0].source_id
    human_pick = [c for c in pop.candidates if c.source_id == seed][5]
    log.append(CurationVerdict(candidate_id=human_pick.candidate_id, decision="accept",
                               reviewer="rev-a", decided_at=BASE_TIME))
    verdicts = first_k(log.candidates().values(), log.latest(), 4)
    assert first_k(log.candidates().values(), log.latest(), 4) == verdicts
    assert {v.reviewer for v in verdicts} == {"auto:first-k"}
    assert human_pick.candidate_id not in {v.candidate_id for v in verdicts}
    log.append(verdicts)
    lines = {s.seed_id: s for s in curation_status(log.candidates().values(), log.latest(),
                                                   ws.manifest(Seed))}
    assert {s.accepted for s in lines.values()} == {4}
    assert {s.rejected for s in lines.values()} == {2}
    first_of_other = sorted((c for c in pop.candidates if c.source_id != seed),
                            key=lambda c: (c.created, c.index))[0]
    assert log.latest()[first_of_other.candidate_id].decision == "accept"
    assert first_k(log.candidates().values(), log.latest(), 4) == []  # nothing left to do
    assert status_totals(lines.values())["undecided"] == 0
    assert list_policies() == ["first-k"] and create_policy("first-k") is first_k


def test_status_counts_undecided(curation_ws: tuple[Workspace, Populated]) -> None:
    _, pop = curation_ws
    lines = curation_status(pop.candidates, {}, pop.seeds)
    assert len(lines) == 4 and all(s.undecided == 6 and s.accepted == 0 for s in lines)
    assert {s.condition for s in lines} == {"squamous cell carcinoma", "basal cell carcinoma"}
