"""Fixtures of the prepare tests: a demo workspace with 8 + 8 squamous cell carcinoma seeds."""

from __future__ import annotations

import pytest

from dermforge.sampling import SeedParams, sample_seeds
from dermforge.schemas import Seed, SourceImage
from dermforge.sources import Catalog
from dermforge.store import Workspace

SCC = "squamous cell carcinoma"


@pytest.fixture
def seeded(demo_workspace: Workspace, catalog: Catalog) -> tuple[Workspace, list[Seed]]:
    """The demo workspace with seeds.jsonl holding 8 + 8 SCC seeds drawn from it."""
    present = {row.source_id for row in demo_workspace.manifest(SourceImage)}
    seeds = sample_seeds(catalog, SeedParams(conditions=(SCC,), pool="workspace"), present)
    demo_workspace.manifest(Seed).rewrite(seeds)
    return demo_workspace, seeds
