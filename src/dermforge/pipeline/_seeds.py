"""The seeds stage: n seeds per condition and skin-type group → records/seeds.jsonl."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..sampling import SeedParams, sample_seeds
from ..schemas import Seed, SourceImage
from ..sources import Catalog, load_catalog
from ..store import Workspace
from ._common import StageRun, as_workspace, stage

__all__ = ["SeedsRun", "run_seeds"]


@dataclass
class SeedsRun(StageRun):
    seeds: list[Seed] = field(default_factory=list)
    path: Path = Path()
    changed: bool = False


def run_seeds(workspace: Workspace | Path, params: SeedParams, *,
              catalog: Catalog | None = None) -> SeedsRun:
    """Draw the seeds ``params`` describe (from the images present in the workspace when
    ``params.pool`` is 'workspace') and write records/seeds.jsonl if they changed."""
    ws = as_workspace(workspace)
    with stage(ws, "seeds", outputs=[Seed]) as cleaned:
        present = ({row.source_id for row in ws.manifest(SourceImage)}
                   if params.pool == "workspace" else None)
        seeds = sample_seeds(catalog or load_catalog(), params, present)
        manifest = ws.manifest(Seed)
        changed = manifest.replace(seeds)
    return SeedsRun(cleaned=cleaned, written={manifest.path: changed}, seeds=seeds,
                    path=manifest.path, changed=changed)
