"""A team in a real browser (Debian chromium via Playwright): two reviewers, each signed in
with their own token, disagree on a candidate without seeing each other's decision; it
appears in the adjudication queue; the adjudicator decides; the built release's row shows
all three verdicts and the rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from dermforge.builder import build_release
from dermforge.curation import CurateParams, add_reviewer
from dermforge.workbench import WorkbenchConfig
from workbench.live import running
from workbench.scenario import Scenario
from workbench.screenshots import save_screenshot

SERVER_TOKEN = "server-token-nobody-uses-0123456789"


@contextmanager
def signed_in(browser: Any, url: str) -> Iterator[Any]:
    """A fresh browser context (its own cookies) opened at ``url`` (``?token=…``)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    try:
        tab.goto(url)
        assert "token=" not in tab.url  # the token moved into an HttpOnly cookie
        yield tab
    finally:
        context.close()
    assert not errors, errors


def review(tab: Any, number: int, key: str, shown: str) -> None:
    tab.wait_for_selector("body[data-ready='1']")
    tab.keyboard.press(str(number))
    tab.keyboard.press(key)
    tab.wait_for_selector(f"#card-{number} [data-field=decision][data-decision={shown}]")


def test_disagreement_is_adjudicated_and_released_with_every_verdict(
        scenario: Scenario, browser: Any, tmp_path: Path) -> None:
    ws = scenario.workspace
    _, ann = add_reviewer(ws, "ann", "dermatologist")
    _, bob = add_reviewer(ws, "bob", "resident")
    _, boss = add_reviewer(ws, "boss", "dermatologist", adjudicator=True)
    seed = scenario.seeds[0].source_id
    first = scenario.candidates[seed][0].candidate_id
    config = WorkbenchConfig(ws, token=SERVER_TOKEN, poll_seconds=0, rule="adjudicated")
    with running(config, host="0.0.0.0") as base:
        with signed_in(browser, f"{base}/seed/{seed}?token={ann}") as tab:
            review(tab, 1, "a", "accept")
        with signed_in(browser, f"{base}/seed/{seed}?token={bob}") as tab:
            # blinded: ann's decision is not shown to bob before he decides
            badge = tab.locator("#card-1 [data-field=decision]")
            assert badge.get_attribute("data-decision") == "none"
            review(tab, 1, "r", "undecided")  # they disagree: it waits for the adjudicator
        with signed_in(browser, f"{base}/adjudicate?token={ann}") as tab:
            assert "only an adjudicator" in tab.content()
        with signed_in(browser, f"{base}/adjudicate?token={boss}") as page:
            item = page.locator(f".adjudicate-item[data-candidate='{first}']")
            assert "ann" in item.inner_text() and "bob" in item.inner_text()
            save_screenshot(page, "workbench-adjudicate")
            item.locator("button[data-decision=accept]").click()
            page.wait_for_selector(f".adjudicate-item[data-candidate='{first}']"
                                  "[data-decided=accept]")
            assert "adjudicator boss" in item.locator(".message").inner_text()
            page.reload()
            assert page.locator(".adjudicate-item").count() == 0
    out = tmp_path / "release"
    build_release(ws, version="1.0.0", out=out, curate=CurateParams(rule="adjudicated"))
    rows = pq.read_table(sorted((out / "data" / "synthetic").glob("*.parquet"))).to_pylist()
    row = next(r for r in rows if r["image_id"] == first)
    assert (row["verdict"], row["reviewer"], row["curation_rule"]) == (
        "accept", "boss", "adjudicated")
    assert [(v["reviewer"], v["reviewer_qualification"], v["role"], v["decision"])
            for v in row["verdicts"]] == [
        ("ann", "dermatologist", "reviewer", "accept"),
        ("bob", "resident", "reviewer", "reject"),
        ("boss", "dermatologist", "adjudicator", "accept")]
