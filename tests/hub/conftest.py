"""Fixtures for publishing: releases built by `dermforge build` and a local Hub on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.helpers import TOKEN, LocalRelease, make_workspace, write_release
from servers.hub_server import HubServer


@pytest.fixture(scope="session")
def hub_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ready-to-release workspace per session; releases build from copies of it."""
    return make_workspace(tmp_path_factory.mktemp("hub-ws") / "ws")


@pytest.fixture
def make_release(tmp_path: Path, hub_workspace: Path) -> Callable[..., LocalRelease]:
    """``make_release(version="1.0.0", shards=2)``: a built release (2 synthetic shards)."""
    def make(version: str = "1.0.0", name: str | None = None, shards: int = 2,
             **kw: int) -> LocalRelease:
        return write_release(tmp_path / (name or f"release-{version}"), version,
                             hub_workspace, shards=shards, **kw)
    return make


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with HubServer(token=TOKEN) as server:
        yield server
