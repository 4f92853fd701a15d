"""Fixtures of the evaluation tests: a tiny release, small configs, no downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evaluation.release_fixture import FixtureRelease, write_release


@pytest.fixture(autouse=True)
def _offline_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never download weights; keep torch's and dermforge's caches in temp dirs."""
    monkeypatch.setenv("DERMFORGE_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setenv("DERMFORGE_CACHE_DIR", str(tmp_path / "feature-cache"))
    yield


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> FixtureRelease:
    """Read-only tiny release: 4 conditions (psoriasis images missing), 2 augmented."""
    return write_release(tmp_path_factory.mktemp("fixture"))
