"""The verdict logs: the human log append-only (latest wins, history kept, checks under a
lock), the automatic log outranked by any person's verdict, an unmigrated log refused."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest

from dermforge.curation import MERGE_RULE, VerdictLog, merge_latest, winning_verdict
from dermforge.errors import InputError, RecordError
from dermforge.schemas import CurationVerdict
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated


def verdict(cid: str, decision: str = "accept", minutes: int = 0,
            reviewer: str = "rev-a") -> CurationVerdict:
    return CurationVerdict(candidate_id=cid, decision=decision,  # type: ignore[arg-type]
                           reviewer=reviewer,
                           decided_at=BASE_TIME + timedelta(days=1, minutes=minutes))


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


def test_a_person_outranks_the_policy_whatever_the_order(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    a, b, c = (x.candidate_id for x in pop.candidates[:3])
    log = VerdictLog(ws)
    log.append([verdict(a, "reject", 0), verdict(b, "accept", 0)])
    ws.auto_verdicts().append([verdict(a, "accept", 5, "auto:first-k"),  # later, still loses
                               verdict(c, "accept", 5, "auto:first-k"),
                               verdict(c, "reject", 6, "auto:first-k")])  # last line wins
    latest = log.latest()
    assert (latest[a].reviewer, latest[a].decision) == ("rev-a", "reject")
    assert latest[b].reviewer == "rev-a"
    assert (latest[c].reviewer, latest[c].decision) == ("auto:first-k", "reject")
    assert latest == merge_latest(log.human_latest(), {c: log.automatic()[-1],
                                                       a: log.automatic()[0]})
    assert winning_verdict(None, 1) == 1 and winning_verdict(2, 1) == 2
    assert "outranks" in MERGE_RULE and "auto_verdicts.jsonl" in MERGE_RULE
    assert [v.candidate_id for v in log.history(a)] == [a]  # people's history only


def test_the_human_log_refuses_automatic_names_and_bad_fields(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    cid = pop.candidates[0].candidate_id
    log = VerdictLog(ws)
    bad = [verdict(cid, reviewer="auto:me"),
           verdict(cid).model_copy(update={"reason_codes": ("<b>x</b>",)}),
           verdict(cid).model_copy(update={"decided_at": BASE_TIME.replace(year=2999)}),
           verdict(cid).model_copy(update={"decided_at": BASE_TIME - timedelta(days=1)}),
           verdict(cid).model_copy(update={"note": "x" * 2001}),
           verdict(cid, reviewer="a\nb")]
    for index, item in enumerate(bad):
        with pytest.raises(InputError) as info:
            log.append(item, labels=[f"item {index}"])
        assert f"item {index}: field '" in str(info.value), str(info.value)
    assert not log.path.exists()


def test_an_unmigrated_mixed_log_is_refused_by_name(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    cid = pop.candidates[0].candidate_id
    ws.manifest(CurationVerdict).append([verdict(cid), verdict(cid, reviewer="auto:first-k")])
    log = VerdictLog(ws)
    for read in (log.latest, log.all, lambda: log.append(verdict(pop.candidates[1].candidate_id))):
        with pytest.raises(RecordError) as info:
            read()
        err = info.value
        assert (err.path, err.line, err.field) == (str(log.path), 2, "reviewer")
        assert "'auto:first-k'" in str(err) and f"dermforge curate migrate -w {ws.root}" in str(err)
    assert len(log.path.read_text().splitlines()) == 2
    # and a person's name in the automatic log is refused too
    ws.auto_verdicts().append([verdict(cid, reviewer="rev-z")])
    with pytest.raises(RecordError, match="not an automatic policy") as info:
        VerdictLog(ws).automatic()
    assert info.value.line == 1


def test_logs_written_before_qualifications_still_read(
        curation_ws: tuple[Workspace, Populated]) -> None:
    """Adding the optional reviewer_qualification needs no migration: old lines read as
    'not stated'; a bad stated value is named by file, line and field."""
    ws, pop = curation_ws
    cid, other = pop.candidates[0].candidate_id, pop.candidates[1].candidate_id
    log = VerdictLog(ws)
    old_line = verdict(cid).model_dump_json(exclude={"reviewer_qualification"})
    assert "reviewer_qualification" not in old_line
    log.path.parent.mkdir(parents=True, exist_ok=True)
    log.path.write_text(old_line + "\n")
    assert log.latest()[cid].reviewer_qualification is None
    log.append(verdict(other).model_copy(update={"reviewer_qualification": "resident"}))
    assert VerdictLog(ws).latest()[other].reviewer_qualification == "resident"
    with log.path.open("a") as handle:
        handle.write(old_line.replace('"note":""', '"note":"","reviewer_qualification":"nurse"')
                     + "\n")
    with pytest.raises(RecordError) as info:
        VerdictLog(ws).latest()
    assert (info.value.line, info.value.field) == (3, "reviewer_qualification")
    assert "'dermatologist'" in str(info.value)


def test_an_automatic_verdict_has_no_qualification() -> None:
    with pytest.raises(ValueError, match="automatic policy"):
        CurationVerdict(candidate_id="c", decision="accept", reviewer="auto:first-k",
                        decided_at=BASE_TIME, reviewer_qualification="dermatologist")
