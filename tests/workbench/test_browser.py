"""The workbench in a real browser (Debian chromium, headless, via Playwright): keyboard
curation with a screenshot, a full curation that the release builder accepts, an inert HTML
note, the token on a non-local bind, a conflict between reviewers, the automatic policy's
verdicts shown and overruled, and the reader study."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from typer.testing import CliRunner

from dermforge.cli import app
from dermforge.curation import VerdictLog, apply_policy, latest_signals
from dermforge.schemas import CurationVerdict, StudyAnswer
from dermforge.workbench import WorkbenchConfig
from workbench.live import running
from workbench.scenario import VARIANTS, Scenario
from workbench.screenshots import save_screenshot

REPO = Path(__file__).resolve().parents[2]
#: candidate number (1-based) → decision: the four plausible variants are kept
PLAN = {n: ("accept" if VARIANTS[n - 1] in ("mild", "flipped", "warmer", "rotated")
            else "reject") for n in range(1, 9)}
KEY = {"accept": "a", "reject": "r", "undecided": "u"}
EDGE = "255,214,0"  # the overlay's outline colour


def start(page: Any, url: str, reviewer: str = "alice") -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1'] #reviewer-input", state="visible")
    page.fill("#reviewer-input", reviewer)
    page.press("#reviewer-input", "Enter")
    page.wait_for_selector("#reviewer-dialog", state="hidden")


def decide(page: Any, number: int, decision: str) -> None:
    page.keyboard.press(str(number))
    page.keyboard.press(KEY[decision])
    page.wait_for_selector(f"#card-{number} [data-field=decision][data-decision={decision}]")


def curate_seed_by_keyboard(page: Any) -> None:
    for number, decision in PLAN.items():
        decide(page, number, decision)


def status_of(scenario: Scenario) -> dict[str, Any]:
    out = CliRunner().invoke(app, ["curate", "status", "-w", str(scenario.workspace.root),
                                   "--json"]).output
    return {s["seed_id"]: s for s in json.loads(out)["seeds"]}


def test_curate_a_seed_by_keyboard(scenario: Scenario, page: Any, tmp_path: Path) -> None:
    ws = scenario.workspace
    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        start(page, base + "/")
        seed_id = page.url.rsplit("/", 1)[1]
        candidates = {c.index + 1: c for c in scenario.candidates[seed_id]}
        page.wait_for_selector("#overlay[data-drawn=overlay]")
        assert page.locator(".card").count() == 8
        assert page.locator(".card .signals").count() == 8
        assert page.locator("#card-6 .flag-test-leak").inner_text() == "looks like a test image"
        assert page.locator("#card-5 .flag-seed-copy").count() == 1
        page.keyboard.press("6")  # reasons and a score by click, then the key
        page.check("input[name=reason][value=test-leak]")
        page.check("input[name=photorealism][value='2']")
        page.keyboard.press("r")
        page.wait_for_selector("#card-6 [data-decision=reject]")
        page.keyboard.press("5")
        page.fill("#note", "a copy of the seed")
        page.keyboard.press("Escape")
        page.keyboard.press("r")
        page.wait_for_selector("#card-5 [data-decision=reject]")
        curate_seed_by_keyboard(page)
        assert "seed done" in page.locator("#message").inner_text()
        assert page.locator("#accepted-count").inner_text() == "4"
        latest = VerdictLog(ws).latest()
        assert {n: latest[c.candidate_id].decision for n, c in candidates.items()} == PLAN
        assert {latest[c.candidate_id].reviewer for c in candidates.values()} == {"alice"}
        leak = latest[candidates[6].candidate_id]
        assert leak.reason_codes == ("test-leak",) and leak.photorealism == 2
        assert latest[candidates[5].candidate_id].note == "a copy of the seed"
        line = status_of(scenario)[seed_id]
        assert (line["accepted"], line["rejected"], line["undecided"]) == (4, 4, 0)
        # the keep-per-seed rule: a fifth accept is refused in the page, nothing is written
        before = len(VerdictLog(ws).all())
        page.keyboard.press("3")
        page.keyboard.press("a")
        page.wait_for_selector("#message[data-kind=error]")
        assert "keep-per-seed" in page.locator("#message").inner_text()
        assert len(VerdictLog(ws).all()) == before
        edge = page.evaluate(
            "() => { const c = document.getElementById('overlay');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            f" let n = 0; for (let i = 0; i < d.length; i += 4)"
            f" if ([d[i], d[i+1], d[i+2]].join() === '{EDGE}') n++; return n; }}")
        assert edge > 100  # the mask's outline is drawn over the crop
        save_screenshot(page, "workbench-seed")
        shot = tmp_path / "workbench-seed.png"
        page.screenshot(path=str(shot), full_page=True)
        (REPO / "artifacts").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "artifacts" / "workbench-seed.png")
        with page.expect_navigation():
            page.keyboard.press("ArrowRight")
        assert page.url.rsplit("/", 1)[1] != seed_id
    assert shot.stat().st_size > 50_000


def test_full_curation_through_the_app_is_accepted_by_the_builder(
        scenario: Scenario, page: Any, tmp_path: Path) -> None:
    from dermforge.builder import build_release

    ws = scenario.workspace
    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        start(page, base + "/seeds")
        page.click("table.seeds a >> nth=0")
        for position in range(len(scenario.seeds)):
            page.wait_for_selector(f"#progress-text:has-text('seed {position + 1} of 4')")
            page.wait_for_selector("body[data-ready='1']")
            curate_seed_by_keyboard(page)
            if position + 1 < len(scenario.seeds):
                with page.expect_navigation():
                    page.keyboard.press("ArrowRight")
        assert "32/32 candidates decided" in page.locator("#progress-text").inner_text()
        page.goto(base + "/seeds")
        assert page.locator("table.seeds tr.done").count() == len(scenario.seeds)
        save_screenshot(page, "workbench-seeds")
    assert all(s["undecided"] == 0 and s["accepted"] == 4 for s in status_of(scenario).values())
    out = tmp_path / "release"
    build_release(ws, version="1.0.0", out=out)
    synthetic = pq.read_table(sorted((out / "data" / "synthetic").glob("*.parquet"))).to_pylist()
    candidates = pq.read_table(sorted((out / "data" / "candidates").glob("*.parquet"))
                               ).to_pylist()
    assert len(synthetic) == 16 and len(candidates) == 32
    assert {row["reviewer"] for row in synthetic} == {"alice"}
    assert {row["verdict"] for row in candidates} == {"accept", "reject"}
    kept = {c.candidate_id for seed in scenario.seeds for c in scenario.candidates[seed.source_id]
            if PLAN[c.index + 1] == "accept"}
    assert {row["image_id"] for row in synthetic} == kept
    # the advisory signals travel with every row of the candidates config
    signals = latest_signals(ws)
    for row in candidates:
        record = signals[row["image_id"]]
        assert (row["signal_ita"], row["signal_nearest_test_distance"]) == (
            record.ita, record.nearest_test_distance)
        assert row["signal_flags"] == list(record.flags)
    leaks = {c.candidate_id for seed in scenario.seeds
             for c in scenario.candidates[seed.source_id] if VARIANTS[c.index] == "leak"}
    assert {row["image_id"] for row in candidates if "test-leak" in row["signal_flags"]} == leaks


def test_an_html_note_and_name_are_shown_as_text(scenario: Scenario, page: Any) -> None:
    note = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    with running(WorkbenchConfig(scenario.workspace, poll_seconds=0)) as base:
        start(page, base + "/", reviewer="<b>eve</b>")
        page.keyboard.press("1")
        page.fill("#note", note)
        page.keyboard.press("Escape")
        page.keyboard.press("r")
        page.wait_for_selector("#card-1 [data-decision=reject]")
        page.reload()
        page.wait_for_selector("#card-1 [data-decision=reject]")
        assert page.locator("#card-1 [data-field=note]").inner_text() == note
        assert page.locator("#card-1 [data-field=info]").inner_text().startswith("<b>eve</b>")
        assert page.locator("#card-1 [data-field=note] *").count() == 0
        assert page.locator("img[src=x], b:has-text('eve')").count() == 0
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.__pwned") is None
    verdict = next(iter(VerdictLog(scenario.workspace).latest().values()))
    assert verdict.note == note and verdict.reviewer == "<b>eve</b>"


def test_a_non_local_bind_refuses_a_browser_without_the_token(
        scenario: Scenario, page: Any) -> None:
    token = "browser-test-token-0123456789"
    config = WorkbenchConfig(scenario.workspace, token=token, poll_seconds=0)
    with running(config, host="0.0.0.0") as base:
        response = page.goto(base + "/")
        assert response.status == 401 and "token required" in page.content()
        start(page, f"{base}/?token={token}")
        assert "token" not in page.url
        decide(page, 1, "accept")
    assert len(VerdictLog(scenario.workspace).all()) == 1


def test_a_conflicting_decision_is_shown(scenario: Scenario, page: Any) -> None:
    ws = scenario.workspace
    seed_id = scenario.seeds[0].source_id
    first, second = scenario.candidates[seed_id][0], scenario.candidates[seed_id][1]

    def bob(candidate_id: str, decision: str) -> None:
        VerdictLog(ws).append(CurationVerdict(candidate_id=candidate_id, decision=decision,
                                              reviewer="bob", decided_at=datetime.now(UTC)))

    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        start(page, f"{base}/seed/{seed_id}")
        bob(first.candidate_id, "reject")  # after alice's page loaded
        decide(page, 1, "accept")
        banner = page.locator("#conflict")
        assert banner.is_visible() and "bob → reject" in banner.inner_text()
        assert "latest verdict wins" in banner.inner_text()
        assert page.locator("#card-1 [data-field=dispute]").inner_text() == (
            "disputed: bob reject · alice accept")
        save_screenshot(page, "workbench-conflict", full_page=True)
    with running(WorkbenchConfig(ws, poll_seconds=0.3)) as base:  # a page that polls
        page.goto(f"{base}/seed/{seed_id}")  # the name is remembered (cookie)
        page.wait_for_selector("body[data-ready='1'] #reviewer-label:has-text('alice')")
        page.wait_for_timeout(400)
        assert page.locator("#conflict").is_hidden()
        bob(second.candidate_id, "reject")  # the page notices without any action
        page.wait_for_selector("#card-2 [data-decision=reject]")
        page.wait_for_selector("#conflict:has-text('Candidate 2')")
        assert page.locator("#card-2").get_attribute("class").split().count("changed") == 1
    history = VerdictLog(ws).history(first.candidate_id)
    assert [(v.reviewer, v.decision) for v in history] == [("bob", "reject"),
                                                           ("alice", "accept")]


def test_the_policys_verdicts_are_shown_and_a_person_overrules_them(
        scenario: Scenario, page: Any) -> None:
    ws = scenario.workspace
    apply_policy(ws, "first-k", 4)  # accepts candidates 1-4 of each seed
    automatic = ws.auto_verdicts().path.read_bytes()
    seed_id = scenario.seeds[0].source_id
    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        start(page, f"{base}/seed/{seed_id}")
        page.wait_for_selector("#card-1 [data-field=decision][data-decision=accept]")
        assert page.locator("#card-1 [data-field=info]").inner_text().startswith("auto:first-k")
        assert page.locator("#accepted-count").inner_text() == "4"
        save_screenshot(page, "workbench-auto-verdicts")
        page.keyboard.press("5")  # the policy's accepts count towards keep-per-seed
        page.keyboard.press("a")
        page.wait_for_selector("#message[data-kind=error]")
        assert "keep-per-seed" in page.locator("#message").inner_text()
        decide(page, 1, "reject")  # a person overrules the policy ...
        assert page.locator("#card-1 [data-field=info]").inner_text().startswith("alice")
        decide(page, 5, "accept")  # ... which frees the place
    latest = VerdictLog(ws).latest()
    first, fifth = scenario.candidates[seed_id][0], scenario.candidates[seed_id][4]
    assert (latest[first.candidate_id].reviewer, latest[first.candidate_id].decision) == (
        "alice", "reject")
    assert latest[fifth.candidate_id].reviewer == "alice"
    assert [v.reviewer for v in VerdictLog(ws).all()] == ["alice", "alice"]
    assert ws.auto_verdicts().path.read_bytes() == automatic  # the app never writes it


def test_the_reader_study_in_the_browser(scenario: Scenario, page: Any) -> None:
    ws = scenario.workspace
    VerdictLog(ws).append([
        CurationVerdict(candidate_id=c.candidate_id, decision="accept" if c.index < 2 else
                        "reject", reviewer="rev", decided_at=c.created)
        for c in scenario.all_candidates])
    with running(WorkbenchConfig(ws, study=True, study_size=128)) as base:
        start(page, base + "/", reviewer="erin")
        for n in range(12):
            page.wait_for_selector(f"#study-progress:has-text('{n} of 12 answered')")
            page.wait_for_function(
                "() => { const i = document.getElementById('study-image');"
                " return !i.hidden && i.complete && i.naturalWidth === 128; }")
            if n == 0:
                save_screenshot(page, "workbench-study")
            page.keyboard.press("r" if n % 2 else "s")
        page.wait_for_selector("#study-message:has-text('Done')")
    answers = ws.manifest(StudyAnswer).read()
    assert len(answers) == 12 and {a.reader for a in answers} == {"erin"}
    assert sorted(a.truth for a in answers).count("real") == 4
    result = CliRunner().invoke(app, ["curate", "study-report", "-w", str(ws.root), "--json"])
    report = {line["label"]: line for line in json.loads(result.output)}
    assert report["reader erin"]["n"] == 12
    correct = sum(a.guess == a.truth for a in answers)
    assert report["all readers"]["correct"] == correct


def test_the_qualification_is_chosen_beside_the_name_and_remembered(
        scenario: Scenario, page: Any) -> None:
    ws = scenario.workspace
    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        page.goto(base + "/")
        page.wait_for_selector("body[data-ready='1'] #reviewer-input", state="visible")
        page.fill("#reviewer-input", "alice")
        page.select_option("#qualification-input", "dermatologist")
        page.press("#reviewer-input", "Enter")
        page.wait_for_selector("#reviewer-dialog", state="hidden")
        decide(page, 1, "reject")
        page.reload()  # remembered like the name: no question, the next verdict carries it
        page.wait_for_selector("body[data-ready='1'] #reviewer-label:has-text('alice')")
        decide(page, 2, "reject")
        page.click("#reviewer-change")
        assert page.locator("#qualification-input").input_value() == "dermatologist"
    verdicts = VerdictLog(ws).all()
    assert [(v.reviewer, v.reviewer_qualification) for v in verdicts] == [
        ("alice", "dermatologist")] * 2
