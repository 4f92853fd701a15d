"""`dermforge curate status|export|import|auto|migrate` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clirun import CliFailed, invoke
from dermforge.store import Workspace
from release.factory import Populated


def run(*args: str) -> str:
    result = invoke(*args)
    return result.output


def test_auto_status_export_import(curation_ws: tuple[Workspace, Populated],
                                   tmp_path: Path) -> None:
    ws, _ = curation_ws
    root = str(ws.root)
    before = json.loads(run("curate", "status", "-w", root, "--json"))
    assert before["totals"] == {"seeds": 4, "candidates": 24, "accepted": 0, "rejected": 0,
                                "undecided": 24}
    text = run("curate", "auto", "-w", root, "--policy", "first-k", "--keep-per-seed", "2")
    assert "auto:first-k" in text and "8 accepted" in text and "not a human review" in text
    assert "auto_verdicts.jsonl" in text and "(written)" in text
    assert not (ws.records_dir / "verdicts.jsonl").exists()
    assert "(unchanged)" in run("curate", "auto", "-w", root, "--policy", "first-k",
                                "--keep-per-seed", "2")
    after = json.loads(run("curate", "status", "-w", root, "--json"))["totals"]
    assert (after["accepted"], after["rejected"], after["undecided"]) == (8, 16, 0)
    assert "4 seeds, 24 candidates, 8 accepted" in run("curate", "status", "-w", root)
    sheet = tmp_path / "s.csv"
    run("curate", "export", str(sheet), "-w", root)
    lines = sheet.read_text().splitlines()
    assert len(lines) == 25 and "auto_decision" in lines[0] and "auto:first-k" in lines[1]
    assert "0 verdicts recorded, 0 unchanged, 24 rows without a decision skipped" in run(
        "curate", "import", str(sheet), "-w", root)
    with pytest.raises(CliFailed, match="'best' is not one of 'first-k'") as failed:
        run("curate", "auto", "-w", root, "--policy", "best")
    assert failed.value.exit_code == 2
