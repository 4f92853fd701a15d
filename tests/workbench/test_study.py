"""Reader study: the blinded pool and order, the accuracy interval, and `curate study-report`."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from dermforge.cli import app
from dermforge.curation import VerdictLog, reader_order, study_pool, study_report
from dermforge.curation._study import accuracy_line
from dermforge.schemas import CurationVerdict, GenerationRequest, StudyAnswer
from workbench.scenario import Scenario

AT = datetime(2026, 3, 3, tzinfo=UTC)


def accept_two_per_seed(scenario: Scenario) -> list[CurationVerdict]:
    verdicts = [CurationVerdict(candidate_id=c.candidate_id,
                                decision="accept" if c.index in (0, 1) else "reject",
                                reviewer="rev", decided_at=AT)
                for c in scenario.all_candidates]
    VerdictLog(scenario.workspace).append(verdicts)
    return verdicts


def test_pool_holds_accepted_images_and_their_crops_in_a_blinded_order(
        scenario: Scenario) -> None:
    accept_two_per_seed(scenario)
    log = VerdictLog(scenario.workspace)
    requests = {r.request_id: r for r in scenario.workspace.manifest(GenerationRequest)}
    pool = study_pool(log.candidates().values(), log.latest(), requests)
    assert sorted(i.truth for i in pool).count("real") == 4
    assert sorted(i.truth for i in pool).count("synthetic") == 8
    assert {i.image_sha256 for i in pool if i.truth == "real"} == {
        c.sha256 for c in scenario.crops.values()}
    alice, again, bob = (reader_order(pool, name) for name in ("alice", "alice", "bob"))
    assert alice == again
    assert [i.image_sha256 for i in alice] != [i.image_sha256 for i in bob]
    assert {i.image_sha256 for i in alice} == {i.image_sha256 for i in bob}
    for item in alice:  # the id the reader sees says nothing about the image
        assert len(item.item_id) == 16 and item.item_id not in item.image_sha256
        assert item.candidate_id is None or item.item_id not in item.candidate_id


def test_accuracy_interval_is_the_normal_one() -> None:
    line = accuracy_line("x", 8, 10)
    half = 1.959963984540054 * math.sqrt(0.8 * 0.2 / 10)
    assert line.accuracy == 0.8
    assert line.low == pytest.approx(0.8 - half) and line.high == pytest.approx(1.0)
    assert accuracy_line("none", 0, 0).accuracy is None
    assert accuracy_line("all", 5, 5).low == 1.0  # p = 1: zero width


def _answer(reader: str, sha: str, truth: str, guess: str, n: int) -> StudyAnswer:
    return StudyAnswer(reader=reader, item_id=f"{n:016x}", image_sha256=sha, truth=truth,
                       guess=guess, seed_id="abc", candidate_id=None if truth == "real" else "c",
                       position=n, answered_at=AT)


def test_report_uses_the_latest_answer_per_reader_and_image() -> None:
    answers = [
        _answer("alice", "a" * 64, "real", "synthetic", 0),
        _answer("alice", "a" * 64, "real", "real", 0),  # changed her mind: counts once
        _answer("alice", "b" * 64, "synthetic", "real", 1),
        _answer("bob", "a" * 64, "real", "real", 0),
        _answer("bob", "b" * 64, "synthetic", "synthetic", 1),
    ]
    lines = {line.label: line for line in study_report(answers)}
    assert (lines["all readers"].n, lines["all readers"].correct) == (4, 3)
    assert (lines["real images"].n, lines["real images"].correct) == (2, 2)
    assert (lines["synthetic images"].n, lines["synthetic images"].correct) == (2, 1)
    assert lines["reader alice"].accuracy == 0.5 and lines["reader bob"].accuracy == 1.0


def test_cli_study_report(scenario: Scenario) -> None:
    root = str(scenario.workspace.root)
    missing = CliRunner().invoke(app, ["curate", "study-report", "-w", root])
    assert missing.exit_code == 2 and "no answers" in missing.output
    scenario.workspace.manifest(StudyAnswer).append([
        _answer("carol", f"{n:064x}", "synthetic", "synthetic" if n < 6 else "real", n)
        for n in range(8)])
    result = CliRunner().invoke(app, ["curate", "study-report", "-w", root])
    assert result.exit_code == 0, result.output
    assert "reader carol" in result.output and "0.750" in result.output
    data = json.loads(CliRunner().invoke(app, ["curate", "study-report", "-w", root,
                                               "--json"]).output)
    assert data[0]["n"] == 8 and data[0]["correct"] == 6
    assert data[0]["ci95_low"] == pytest.approx(0.75 - 1.959964 * math.sqrt(0.75 * 0.25 / 8))
