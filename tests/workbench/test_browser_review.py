"""Looking closely, in a real browser (Debian chromium via Playwright): a whole seed reviewed
with the keyboard only, zoom to full resolution, flicker between seed and candidate, the mask
tint on and off, and the index's filters, thumbnails and "next undecided" key; with the
screenshots the docs use (workbench-index, workbench-flicker)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dermforge.curation import VerdictLog
from dermforge.schemas import CurationVerdict
from dermforge.workbench import WorkbenchConfig
from dermforge.workbench._queue import index_rows
from dermforge.workbench._records import Records
from workbench.live import running
from workbench.scenario import VARIANTS, Scenario
from workbench.screenshots import save_screenshot
from workbench.test_browser import EDGE, start

EDGE_COUNT = (
    "() => { const c = document.getElementById('overlay');"
    " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
    f" let n = 0; for (let i = 0; i < d.length; i += 4)"
    f" if ([d[i], d[i+1], d[i+2]].join() === '{EDGE}') n++; return n; }}")


def csp_watch(page: Any) -> list[str]:
    """Console errors of the page (a refused inline script or style shows up here)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def review_order(scenario: Scenario) -> list[str]:
    return [r.seed_id for r in index_rows(Records(scenario.workspace))]


def test_a_whole_seed_by_keyboard_only(scenario: Scenario, page: Any) -> None:
    ws = scenario.workspace
    order = review_order(scenario)
    errors = csp_watch(page)
    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        start(page, base + "/")
        assert page.url.endswith(f"/seed/{order[0]}")
        page.keyboard.press("?")
        assert page.locator("#help").is_visible()
        assert "flicker" in page.locator("#help").inner_text()
        page.keyboard.press("a")  # held back while the help is open
        page.keyboard.press("Escape")
        assert page.locator("#help").is_hidden()
        for number in range(1, 9):  # each decision selects the next candidate
            key = "a" if number <= 4 else "r"
            decision = "accept" if key == "a" else "reject"
            page.wait_for_selector(f"#card-{number}.selected")
            page.keyboard.press(key)
            page.wait_for_selector(f"#card-{number} [data-decision={decision}]")
        page.wait_for_selector("#message:has-text('seed done')")
        assert "1 of 4 seeds reviewed by a person" in page.locator("#progress-text").inner_text()
        with page.expect_navigation():
            page.keyboard.press("n")
        assert page.url.endswith(f"/seed/{order[1]}")
    ids = {c.candidate_id: c.index for c in scenario.candidates[order[0]]}
    verdicts = VerdictLog(ws).all()
    assert len(verdicts) == 8
    assert {ids[v.candidate_id]: v.decision for v in verdicts} == {
        i: "accept" if i < 4 else "reject" for i in range(8)}
    assert errors == []


def test_zoom_flicker_and_tint(scenario: Scenario, page: Any) -> None:
    seed_id = review_order(scenario)[0]
    candidates = scenario.candidates[seed_id]
    crop = scenario.crops[seed_id].sha256
    errors = csp_watch(page)
    with running(WorkbenchConfig(scenario.workspace, poll_seconds=0)) as base:
        start(page, f"{base}/seed/{seed_id}")
        page.wait_for_selector("#overlay[data-drawn=overlay]")
        # zoom: the selected candidate at full resolution, the seed, any image by click
        page.keyboard.press("3")
        page.keyboard.press("z")
        page.wait_for_selector("#zoom[data-ready='1']")
        assert page.locator("#zoom-img").get_attribute("src").endswith(candidates[2].sha256)
        assert page.evaluate("() => document.getElementById('zoom-img').naturalWidth") == 128
        assert "candidate 3 · 128×128 px, full resolution" in page.locator("#zoom-label"
                                                                         ).inner_text()
        page.keyboard.press("Escape")
        assert page.locator("#zoom").is_hidden()
        page.keyboard.press("Shift+Z")
        page.wait_for_selector("#zoom[data-ready='1'][data-showing=seed]")
        assert page.locator("#zoom-img").get_attribute("src").endswith(crop)
        page.keyboard.press("Escape")
        page.click("#card-6 img.zoomable")
        page.wait_for_selector("#zoom[data-ready='1'][data-showing='candidate 6']")
        assert page.locator("#zoom-img").get_attribute("src").endswith(candidates[5].sha256)
        page.click("#zoom-close")
        # side by side: seed and the selected candidate
        assert page.locator("#compare-seed-box").is_visible()
        assert page.locator("#compare-candidate").get_attribute("src").endswith(
            candidates[5].sha256)
        # flicker: one box, seed and candidate alternating with a label saying which
        page.keyboard.press("3")
        page.keyboard.press("f")
        assert page.locator("#compare").get_attribute("data-mode") == "flicker"
        assert page.locator("#compare-seed-box").is_hidden()
        shown = []
        for _ in range(2):
            for showing, text in (("seed", "showing: seed"), ("candidate", "showing: candidate 3")):
                page.wait_for_selector(f"#compare-label[data-showing={showing}]", timeout=2000)
                assert page.locator("#compare-label").inner_text() == text
                visible = "#flicker-seed" if showing == "seed" else "#compare-candidate"
                assert "shown" in page.locator(visible).get_attribute("class")
                shown.append(showing)
        assert shown == ["seed", "candidate"] * 2
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_selector("#compare-label[data-showing=candidate]")
        save_screenshot(page, "workbench-flicker")
        page.keyboard.press("f")
        assert page.locator("#compare").get_attribute("data-mode") == "side"
        assert page.locator("#compare-seed-box").is_visible()
        # the mask tint off and on again
        assert page.evaluate(EDGE_COUNT) > 100
        page.keyboard.press("t")
        page.wait_for_selector("#overlay[data-drawn=crop]")
        assert page.evaluate(EDGE_COUNT) == 0
        page.keyboard.press("t")
        page.wait_for_selector("#overlay[data-drawn=overlay]")
        assert page.evaluate(EDGE_COUNT) > 100
        # signals in plain words, with the legend
        leak = VARIANTS.index("leak") + 1
        assert "looks like a test image" in page.locator(f"#card-{leak} .flags").inner_text()
        assert "blurrier than the seed" in page.locator("#legend").inner_text()
    assert VerdictLog(scenario.workspace).all() == []  # looking decides nothing
    assert errors == []


def test_the_index_filters_and_the_next_undecided_key(scenario: Scenario, page: Any) -> None:
    ws = scenario.workspace
    order = review_order(scenario)
    by_id = {c.source_id: c for c in scenario.seeds}

    def log(seed_id: str, upto: int, reviewer: str) -> None:
        VerdictLog(ws).append([
            CurationVerdict(candidate_id=c.candidate_id,
                            decision="accept" if c.index in (0, 1, 6, 7) else "reject",
                            reviewer=reviewer, decided_at=datetime.now(UTC))
            for c in scenario.candidates[seed_id][:upto]])

    log(order[0], 8, "alice")
    log(order[1], 3, "bob")
    errors = csp_watch(page)
    with running(WorkbenchConfig(ws, poll_seconds=0)) as base:
        start(page, base + "/seeds")
        assert page.locator("tr[data-seed]").count() == 4
        page.wait_for_function("() => [...document.querySelectorAll('img.thumb')]"
                               ".every((i) => i.complete && i.naturalWidth > 0)")
        assert page.locator(f"tr[data-seed='{order[0]}'] td.kept").inner_text() == "4/4"
        assert "alice 8" in page.locator("#people").inner_text()
        save_screenshot(page, "workbench-index")
        with page.expect_navigation():
            page.select_option("select[name=status]", "partly")  # applies at once
        assert "status=partly" in page.url
        assert [page.locator("tr[data-seed]").nth(0).get_attribute("data-seed")] == [order[1]]
        assert page.locator("tr[data-seed]").count() == 1
        with page.expect_navigation():
            page.select_option("select[name=status]", "all")
        group = by_id[order[2]].group
        with page.expect_navigation():
            page.select_option("select[name=group]", group)
        assert {page.locator("tr[data-seed]").nth(i).get_attribute("data-seed")
                for i in range(page.locator("tr[data-seed]").count())} == {
            s.source_id for s in scenario.seeds if s.group == group}
        page.goto(base + "/seeds")
        with page.expect_navigation():
            page.keyboard.press("n")
        assert page.url.endswith(f"/seed/{order[1]}")  # the first with undecided candidates
    assert errors == []
