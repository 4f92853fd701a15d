"""A workspace ready to release (records written directly, small PNGs) and a built release."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dermforge.builder import build_release
from dermforge.store import Workspace
from release.factory import Ready, make_ready


@pytest.fixture(scope="session")
def _ready_template(tmp_path_factory: pytest.TempPathFactory) -> Ready:
    return make_ready(tmp_path_factory.mktemp("template") / "ws")


@pytest.fixture
def ready(_ready_template: Ready, tmp_path: Path) -> Ready:
    """A private copy of a ready-to-release workspace."""
    root = tmp_path / "ws"
    shutil.copytree(_ready_template.workspace.root, root)
    return Ready(Workspace(root), _ready_template.populated, _ready_template.verdicts)


@pytest.fixture(scope="session")
def _built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ready, Path]:
    root = tmp_path_factory.mktemp("built")
    ready = make_ready(root / "ws")
    out = root / "release-1.0.0"
    build_release(ready.workspace, version="1.0.0", out=out)
    return ready, out


@pytest.fixture
def built(_built: tuple[Ready, Path]) -> tuple[Ready, Path]:
    """A release built once per session; do not modify it (use ``release_copy``)."""
    return _built


@pytest.fixture
def release_copy(_built: tuple[Ready, Path], tmp_path: Path) -> Path:
    """A private copy of the session's release, free to tamper with."""
    copy = tmp_path / "release-copy"
    shutil.copytree(_built[1], copy)
    return copy
