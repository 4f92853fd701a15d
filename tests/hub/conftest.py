"""Fixtures for publishing: a release-like folder factory and a local Hub on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.helpers import TOKEN, LocalRelease, write_release
from servers.hub_server import HubServer


@pytest.fixture
def make_release(tmp_path: Path) -> Callable[..., LocalRelease]:
    def make(version: str = "1.0.0", name: str | None = None, **kw: int) -> LocalRelease:
        return write_release(tmp_path / (name or f"release-{version}"), version, **kw)
    return make


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with HubServer(token=TOKEN) as server:
        yield server
