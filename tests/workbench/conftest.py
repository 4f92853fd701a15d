"""Fixtures of the workbench tests: a curation workspace built once per session from the real
demo images (copied per test), live servers, and a headless Debian chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dermforge.curation import SignalsParams, compute_signals
from dermforge.sources import Catalog, demo_images_dir, import_folder
from dermforge.store import Workspace
from needs import require
from workbench.scenario import Scenario, build_scenario

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def _scenario_template(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Scenario:
    workspace = Workspace(tmp_path_factory.mktemp("wb-template") / "ws")
    import_folder(demo_images_dir(), workspace, catalog)
    scenario = build_scenario(workspace, catalog, per_group=1, size=128)
    compute_signals(workspace, SignalsParams())
    return scenario


@pytest.fixture
def scenario(_scenario_template: Scenario, tmp_path: Path) -> Scenario:
    """4 seeds (SCC, BCC × FST I-II, V-VI) with 8 known candidates each and their signals,
    in a private copy of the workspace."""
    root = tmp_path / "ws"
    shutil.copytree(_scenario_template.workspace.root, root)
    template = _scenario_template
    return Scenario(Workspace(root), template.seeds, template.crops, template.masks,
                    template.candidates, template.leak_source)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One chromium for the workbench tests; Playwright's sync API keeps an event loop
    running on this thread while it is open, so it closes after each module."""
    require(CHROMIUM.is_file(), f"{CHROMIUM} is not installed (Debian package 'chromium'; "
            ".ci/run installs it): the browser tests need a real chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser context (empty localStorage and cookies) and page; page errors fail."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert not errors, errors
