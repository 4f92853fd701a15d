"""The verdict log: append-only, latest wins, history kept, checks under a lock."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest

from dermforge.curation import VerdictLog
from dermforge.errors import InputError
from dermforge.schemas import CurationVerdict
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated


def verdict(cid: str, decision: str = "accept", minutes: int = 0,
            reviewer: str = "rev-a") -> CurationVerdict:
    return CurationVerdict(candidate_id=cid, decision=decision,  # type: ignore[arg-type]
                           reviewer=reviewer, decided_at=BASE_TIME + timedelta(minutes=minutes))


def test_latest_wins_and_history_is_kept(curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    log = VerdictLog(ws)
    cid = pop.candidates[0].candidate_id
    log.append(verdict(cid, "accept"))
    log.append([verdict(cid, "reject", 1, "rev-b"), verdict(pop.candidates[1].candidate_id)])
    assert log.latest()[cid].decision == "reject"
    assert [v.decision for v in log.history(cid)] == ["accept", "reject"]
    assert len(log.all()) == 3
    lines = log.path.read_text().splitlines()
    assert len(lines) == 3 and '"accept"' in lines[0]  # nothing rewritten


def test_unknown_candidate_is_refused_and_nothing_written(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    log = VerdictLog(ws)
    with pytest.raises(InputError) as info:
        log.append([verdict(pop.candidates[0].candidate_id), verdict("nope-00")],
                   labels=["row 2", "row 3"])
    assert "row 3" in str(info.value) and "'nope-00'" in str(info.value)
    assert log.all() == []


def test_keep_per_seed_names_the_seed(curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    seed = pop.candidates[0].source_id
    mine = [c for c in pop.candidates if c.source_id == seed]
    log = VerdictLog(ws, keep_per_seed=2)
    log.append([verdict(c.candidate_id) for c in mine[:2]])
    with pytest.raises(InputError) as info:
        log.append(verdict(mine[2].candidate_id))
    assert seed in str(info.value) and "keep-per-seed" in str(info.value)
    # rejecting one first makes room: the latest verdict counts, not the history
    log.append([verdict(mine[0].candidate_id, "reject", 1), verdict(mine[2].candidate_id)])
    accepted = [c for c, v in log.latest().items() if v.decision == "accept"]
    assert sorted(accepted) == sorted([mine[1].candidate_id, mine[2].candidate_id])


def _append_many(root: str, ids: list[str], reviewer: str, keep: int) -> int:
    log = VerdictLog(Workspace(Path(root)), keep_per_seed=keep)
    refused = 0
    for i, cid in enumerate(ids):
        try:
            log.append(verdict(cid, "accept", i, reviewer))
        except InputError:
            refused += 1
    return refused


def test_two_processes_append_without_losing_lines_or_breaking_the_rule(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    keep = 3
    ids = [c.candidate_id for c in pop.candidates]  # 4 seeds x 6 candidates
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        refused = pool.starmap(_append_many, [(str(ws.root), ids, "rev-a", keep),
                                              (str(ws.root), ids[::-1], "rev-b", keep)])
    log = VerdictLog(ws)
    everything = log.all()  # every line parses
    assert len(everything) + sum(refused) == 2 * len(ids)
    per_seed: dict[str, int] = {}
    by_id = {c.candidate_id: c for c in pop.candidates}
    for cid, v in log.latest().items():
        if v.decision == "accept":
            per_seed[by_id[cid].source_id] = per_seed.get(by_id[cid].source_id, 0) + 1
    assert per_seed and max(per_seed.values()) == keep
    assert {v.reviewer for v in everything} == {"rev-a", "rev-b"}
