"""A workspace with seeds and candidates (records written directly, small PNGs)."""

from __future__ import annotations

import pytest

from dermforge.store import Workspace
from release.factory import Populated, populate, seed_sources


@pytest.fixture
def curation_ws(demo_workspace: Workspace) -> tuple[Workspace, Populated]:
    """4 seeds (SCC and BCC × I-II and V-VI), 6 candidates each."""
    sources = seed_sources(demo_workspace, per_cell=1)
    return demo_workspace, populate(demo_workspace, sources, candidates_per_seed=6, size=16)
