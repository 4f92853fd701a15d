"""Incremental state (issue 15): manifests are read by cursors that parse only appended lines,
the workbench updates its per-seed state from them, and the verdict log checks only the seeds
an append touches. Correctness first: a file appended by another process is picked up, a
rewritten or edited one is read again in full, and after any random sequence of appends the
state equals the one a fresh read builds."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from dermforge.curation import Reviewer, VerdictLog
from dermforge.errors import InputError, RecordError
from dermforge.schemas import Assignment, CurationRule, CurationVerdict
from dermforge.store import Manifest, ManifestCursor
from dermforge.workbench import WorkbenchConfig, create_app
from dermforge.workbench._queue import queue
from dermforge.workbench._records import Records
from dermforge.workbench._state import review_state
from dermforge.workbench._views import seed_view
from workbench.scenario import Scenario

REVIEWERS = ("alice", "bob", "carol")


def verdict(cid: str, decision: str = "reject", reviewer: str = "alice",
            role: str = "reviewer") -> CurationVerdict:
    return CurationVerdict(candidate_id=cid, decision=decision,  # type: ignore[arg-type]
                           reviewer=reviewer, role=role,  # type: ignore[arg-type]
                           decided_at=datetime.now(UTC))


def append_elsewhere(workspace: Path, lines: list[CurationVerdict]) -> None:
    """Append through VerdictLog in another Python process."""
    data = "\n".join(v.model_dump_json() for v in lines)
    code = ("import sys; from dermforge.curation import VerdictLog; "
            "from dermforge.schemas import CurationVerdict; from dermforge.store import "
            "Workspace; log = VerdictLog(Workspace(sys.argv[1])); "
            "log.append([CurationVerdict.model_validate_json(x) "
            "for x in sys.stdin.read().splitlines()])")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code, str(workspace)], input=data, text=True,
                   check=True, env=env)


def flip_in_place(path: Path, line: int) -> None:
    """Edit one line of a file in place (same inode): accept ↔ reject (same length)."""
    lines = path.read_bytes().splitlines(keepends=True)
    edited = lines[line]
    for a, b in ((b'"accept"', b'"reject"'), (b'"reject"', b'"accept"')):
        if a in edited:
            lines[line] = edited.replace(a, b)
            break
    with path.open("r+b") as handle:
        handle.write(b"".join(lines))


def test_a_cursor_reads_only_appended_lines_and_rereads_a_rewrite(scenario: Scenario) -> None:
    log = Manifest(scenario.workspace.manifest(CurationVerdict).path, CurationVerdict)
    cids = [c.candidate_id for c in scenario.candidates[scenario.seeds[0].source_id]]
    log.append([verdict(cids[0]), verdict(cids[1])])
    cursor = ManifestCursor(log)
    assert cursor.refresh() == log.read()  # first read: every line is new
    assert cursor.refresh() == []  # unchanged: nothing read
    append_elsewhere(scenario.workspace.root, [verdict(cids[2], reviewer="bob")])
    new = cursor.refresh()  # another process's append: only its line
    assert new is not None and [v.reviewer for v in new] == ["bob"]
    assert cursor.reloads == 0 and cursor.records == log.read()
    log.rewrite(log.read()[1:])  # a rewrite (a migration, an import): read again in full
    assert cursor.refresh() is None and cursor.records == log.read() and cursor.reloads == 1


@pytest.mark.parametrize("line", [0, -1])
def test_a_cursor_rereads_a_file_edited_in_place(scenario: Scenario, line: int) -> None:
    """An edit that keeps the inode and grows the file is no append: the first bytes or the
    last line read before differ, so the whole file is read again."""
    log = Manifest(scenario.workspace.manifest(CurationVerdict).path, CurationVerdict)
    cids = [c.candidate_id for c in scenario.candidates[scenario.seeds[0].source_id]]
    log.append([verdict(cids[0], "accept"), verdict(cids[1], "reject")])
    cursor = ManifestCursor(log)
    cursor.refresh()
    flip_in_place(log.path, line)
    log.append([verdict(cids[2])])
    assert cursor.refresh() is None
    assert cursor.records == log.read()


def test_a_bad_appended_line_names_its_line_and_leaves_the_cursor(scenario: Scenario) -> None:
    log = Manifest(scenario.workspace.manifest(CurationVerdict).path, CurationVerdict)
    cid = scenario.candidates[scenario.seeds[0].source_id][0].candidate_id
    log.append([verdict(cid)])
    cursor = ManifestCursor(log)
    cursor.refresh()
    with log.path.open("ab") as handle:
        handle.write(b'{"candidate_id": 3}\n')
    for _ in range(2):
        with pytest.raises(RecordError, match="line 2"):
            cursor.refresh()
        assert len(cursor.records) == 1


def test_the_log_sees_another_processs_appends_before_checking(scenario: Scenario) -> None:
    """Keep-per-seed holds across processes: the long-lived log reads their lines first."""
    cids = [c.candidate_id for c in scenario.candidates[scenario.seeds[0].source_id]]
    log = VerdictLog(scenario.workspace, keep_per_seed=3)
    log.append(verdict(cids[0], "reject"))  # the log has read the file once
    append_elsewhere(scenario.workspace.root, [verdict(c, "accept") for c in cids[1:4]])
    with pytest.raises(InputError, match="more than the keep-per-seed"):
        log.append(verdict(cids[4], "accept"))
    assert [v.reviewer for v in log.history(cids[1])] == ["alice"]


def snapshot(records: Records, viewers: list[Reviewer | None]) -> dict[str, Any]:
    """Everything the app shows from the state, for every seed and viewer."""
    state = review_state(records)
    shown = queue(records)
    views = {(row.seed_id, v.name if v else None): seed_view(records, row.seed_id, 3, viewer=v)
             for row in shown.rows for v in viewers}
    return {"rows": shown.rows, "progress": shown.progress, "conditions": shown.conditions,
            "groups": shown.groups, "views": views,
            "decided": {name: state.decided(name) for name in REVIEWERS}}


def profile(name: str, role: str = "reviewer") -> Reviewer:
    return Reviewer(name=name, qualification="dermatologist",  # type: ignore[arg-type]
                    role=role, token_sha256="0" * 64,  # type: ignore[arg-type]
                    added_at=datetime.now(UTC))


@pytest.mark.parametrize("rule", ["single", "majority", "adjudicated"])
def test_random_appends_give_the_state_of_a_fresh_read(scenario: Scenario,
                                                       rule: CurationRule) -> None:
    ws = scenario.workspace
    cids = [c.candidate_id for cs in scenario.candidates.values() for c in cs]
    rng = random.Random(f"issue-15-{rule}")
    if rule != "single":  # assignments make "pending" decisions
        ws.manifest(Assignment).append([Assignment(candidate_id=c, reviewer=r)
                                        for c in cids[::3] for r in REVIEWERS[:2]])
    viewers = [None, profile("alice"), profile("carol", "adjudicator")]
    records, kept_log = Records(ws, rule), VerdictLog(ws, keep_per_seed=3, rule=rule)
    snapshot(records, viewers)
    for step in range(60):
        role = "adjudicator" if rule != "single" and rng.random() < 0.15 else "reviewer"
        line = verdict(rng.choice(cids), rng.choice(["accept", "reject", "undecided"]),
                       rng.choice(REVIEWERS), role)
        log = kept_log if step % 2 else VerdictLog(ws, keep_per_seed=3, rule=rule)
        with contextlib.suppress(InputError):  # keep-per-seed: refused, nothing written
            log.append(line)
        if step % 7 == 0:
            assert snapshot(records, viewers) == snapshot(Records(ws, rule), viewers)
    assert snapshot(records, viewers) == snapshot(Records(ws, rule), viewers)
    assert records.verdicts() == VerdictLog(ws).all()
    # and it got there incrementally: the log (created after the first look) was never
    # read in full, the state built once
    assert records.log_cursor(automatic=False).reloads == 0
    assert review_state(records).builds == 1


def test_the_app_picks_up_appends_and_rewrites(scenario: Scenario) -> None:
    ws = scenario.workspace
    seed_id = scenario.seeds[0].source_id
    cids = [c.candidate_id for c in scenario.candidates[seed_id]]
    http = TestClient(create_app(WorkbenchConfig(ws, poll_seconds=0)),
                      base_url="http://127.0.0.1")

    def decisions() -> list[Any]:
        state = http.get(f"/api/seed/{seed_id}").json()
        return [(c["verdict"] or {}).get("decision") for c in state["candidates"]]

    assert decisions() == [None] * 8
    reply = http.post("/api/verdict", json={"candidate_id": cids[0], "decision": "accept",
                                            "reviewer": "alice", "seen": 0})
    assert reply.json()["state"]["accepted"] == 1
    append_elsewhere(ws.root, [verdict(cids[1], "reject", "bob")])
    assert decisions()[:3] == ["accept", "reject", None]
    log = ws.manifest(CurationVerdict)
    log.rewrite(log.read()[1:])  # e.g. a migration rewriting the log: read again in full
    assert decisions()[:3] == [None, "reject", None]
    time.sleep(0.05)  # past the file system's clock tick: the edit gets a new mtime
    flip_in_place(log.path, 0)  # an edit in place, same size: read again too
    assert decisions()[:3] == [None, "accept", None]
    assert http.get("/seeds").status_code == 200
