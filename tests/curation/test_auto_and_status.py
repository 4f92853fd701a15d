"""The demo's automatic policy (its own log, never the human one) and the per-seed status."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dermforge.curation import (
    VerdictLog,
    apply_policy,
    create_policy,
    curation_status,
    first_k,
    list_policies,
    status_totals,
)
from dermforge.errors import InputError, MissingInputError
from dermforge.schemas import CurationVerdict, Seed
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated

LATER = BASE_TIME + timedelta(days=1)


def test_first_k_is_labelled_deterministic_and_leaves_judged_candidates_alone(
        curation_ws: tuple[Workspace, Populated]) -> None:
    _, pop = curation_ws
    seed = pop.candidates[0].source_id
    pick = [c for c in pop.candidates if c.source_id == seed][5]
    human = {pick.candidate_id: CurationVerdict(candidate_id=pick.candidate_id,
                                                decision="accept", reviewer="rev-a",
                                                decided_at=LATER)}
    verdicts = first_k(pop.candidates, human, 4)
    assert first_k(pop.candidates, human, 4) == verdicts
    assert {v.reviewer for v in verdicts} == {"auto:first-k"}
    assert pick.candidate_id not in {v.candidate_id for v in verdicts}
    ids = {c.candidate_id for c in pop.candidates if c.source_id == seed}
    mine = [v for v in verdicts if v.candidate_id in ids]
    assert [v.decision for v in mine] == ["accept"] * 3 + ["reject"] * 2  # theirs counts
    assert list_policies() == ["first-k"] and create_policy("first-k") is first_k


def test_apply_policy_writes_only_its_own_log_byte_identically(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    seed = pop.candidates[0].source_id
    mine = [c for c in pop.candidates if c.source_id == seed]
    log = VerdictLog(ws, keep_per_seed=4)
    log.append([CurationVerdict(candidate_id=mine[5].candidate_id, decision="accept",
                                reviewer="rev-a", decided_at=LATER),
                CurationVerdict(candidate_id=mine[0].candidate_id, decision="reject",
                                reviewer="rev-a", decided_at=LATER)])
    human_bytes = log.path.read_bytes()
    first = apply_policy(ws, "first-k", 4)
    assert first.changed and first.path == log.auto_path and first.reviewer == "auto:first-k"
    assert (first.verdicts, first.accepted, first.judged_by_people) == (22, 15, 2)
    auto_bytes = log.auto_path.read_bytes()
    assert log.path.read_bytes() == human_bytes  # the human log is never written
    again = apply_policy(ws, "first-k", 4)
    assert not again.changed and log.auto_path.read_bytes() == auto_bytes
    latest = log.latest()
    assert latest[mine[5].candidate_id].reviewer == "rev-a"
    assert latest[mine[0].candidate_id].decision == "reject"  # the person's reject stands
    assert [latest[c.candidate_id].decision for c in mine] == [
        "reject", "accept", "accept", "accept", "reject", "accept"]
    lines = curation_status(pop.candidates, latest, ws.manifest(Seed))
    assert {s.accepted for s in lines} == {4} and status_totals(lines)["undecided"] == 0
    # a person rejects an automatic accept: the next run re-decides around it
    log.append(CurationVerdict(candidate_id=mine[1].candidate_id, decision="reject",
                               reviewer="rev-b", decided_at=LATER))
    apply_policy(ws, "first-k", 4)
    latest = log.latest()
    assert [latest[c.candidate_id].decision for c in mine] == [
        "reject", "reject", "accept", "accept", "accept", "accept"]
    assert {v.reviewer for v in log.automatic()} == {"auto:first-k"}
    assert len(log.all()) == 3


def test_apply_policy_refuses_a_merged_state_over_the_rule_and_writes_nothing(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    seed = pop.candidates[0].source_id
    mine = [c for c in pop.candidates if c.source_id == seed]
    VerdictLog(ws, keep_per_seed=3).append([
        CurationVerdict(candidate_id=c.candidate_id, decision="accept", reviewer="rev-a",
                        decided_at=LATER) for c in mine[:3]])
    with pytest.raises(InputError) as info:
        apply_policy(ws, "first-k", 2)
    assert f"seed {seed}: 3 accepted (3 by people" in str(info.value)
    assert not VerdictLog(ws).auto_path.exists()
    with pytest.raises(InputError, match="unknown curation policy 'best'"):
        apply_policy(ws, "best", 2)


def test_apply_policy_needs_candidates(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "empty").create()
    with pytest.raises(MissingInputError, match=r"candidates\.jsonl"):
        apply_policy(ws, "first-k", 4)


def test_status_counts_undecided(curation_ws: tuple[Workspace, Populated]) -> None:
    _, pop = curation_ws
    lines = curation_status(pop.candidates, {}, pop.seeds)
    assert len(lines) == 4 and all(s.undecided == 6 and s.accepted == 0 for s in lines)
    assert {s.condition for s in lines} == {"squamous cell carcinoma", "basal cell carcinoma"}
