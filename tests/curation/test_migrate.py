"""`dermforge curate migrate`: an old mixed verdict log split in two, nothing lost."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from clirun import CliFailed, invoke
from dermforge.curation import VerdictLog, first_k, latest_verdicts, migrate_verdicts
from dermforge.schemas import CurationVerdict
from dermforge.store import Workspace
from release.factory import BASE_TIME, Populated

LATER = BASE_TIME + timedelta(days=1)


def mixed_log(ws: Workspace, pop: Populated) -> list[CurationVerdict]:
    """What the old `curate auto` and reviewers wrote into one file, in that order."""
    seed = pop.candidates[0].source_id
    mine = [c for c in pop.candidates if c.source_id == seed]
    people = [CurationVerdict(candidate_id=mine[4].candidate_id, decision="accept",
                              reviewer="rev-a", decided_at=LATER)]
    human_latest = latest_verdicts(people)
    auto = first_k(pop.candidates, human_latest, 3)
    later = [CurationVerdict(candidate_id=mine[0].candidate_id, decision="reject",
                             reason_codes=("artifact",), reviewer="rev-b",
                             decided_at=LATER + timedelta(hours=1))]
    lines = [*people, *auto, *later]
    ws.manifest(CurationVerdict).append(lines)
    return lines


def lines_of(*paths: Path) -> Counter[bytes]:
    return Counter(line for p in paths if p.exists() for line in p.read_bytes().splitlines())


def test_migrate_moves_automatic_lines_and_loses_nothing(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    written = mixed_log(ws, pop)
    log = VerdictLog(ws)
    old_bytes = log.path.read_bytes()
    before_lines = lines_of(log.path, log.auto_path)
    old_state = latest_verdicts(written)  # what the single log meant
    with pytest.raises(CliFailed) as refused:
        invoke("curate", "status", "-w", str(ws.root))
    assert refused.value.exit_code == 2 and "curate migrate" in refused.value.output
    result = migrate_verdicts(ws)
    assert (result.moved, result.kept, result.changed) == (23, 2, ())
    assert result.backup is not None and result.backup.read_bytes() == old_bytes
    assert result.backup.name.startswith("verdicts.jsonl.pre-migrate-")
    assert hashlib.sha256(old_bytes).hexdigest()[:12] in result.backup.name
    assert lines_of(log.path, log.auto_path) == before_lines  # the union, line for line
    assert [v.reviewer for v in log.all()] == ["rev-a", "rev-b"]
    assert [v for v in written if v.reviewer.startswith("auto:")] == log.automatic()
    assert log.latest() == old_state
    # idempotent: a second run moves nothing and changes nothing
    files = {p: p.read_bytes() for p in (log.path, log.auto_path, result.backup)}
    again = migrate_verdicts(ws)
    assert (again.moved, again.backup) == (0, None)
    assert {p: p.read_bytes() for p in files} == files


def test_a_migration_killed_between_its_two_rewrites_is_finished_by_a_rerun(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    written = mixed_log(ws, pop)
    log = VerdictLog(ws)
    automatic = [v for v in written if v.reviewer.startswith("auto:")]
    ws.auto_verdicts().rewrite(automatic)  # the first rewrite happened, then the kill
    result = migrate_verdicts(ws)
    assert result.moved == len(automatic)
    assert log.automatic() == automatic  # not moved twice
    assert [v.reviewer for v in log.all()] == ["rev-a", "rev-b"]


def test_cli_migrate_reports_and_says_when_there_is_nothing_to_do(
        curation_ws: tuple[Workspace, Populated]) -> None:
    ws, pop = curation_ws
    mixed_log(ws, pop)
    stale = ws.records_dir / ".verdicts.jsonl.k1ll3d.tmp"
    stale.write_bytes(b"half a rewrite")
    text = invoke("curate", "migrate", "-w", str(ws.root)).output
    assert "moved 23 automatic verdicts" in text and "pre-migrate-" in text
    assert f"removed {stale}" in text and not stale.exists()
    assert "nothing to migrate" in invoke("curate", "migrate", "-w", str(ws.root)).output
    assert "4 seeds, 24 candidates" in invoke("curate", "status", "-w", str(ws.root)).output
