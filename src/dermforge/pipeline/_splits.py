"""The splits stage: train/test/seed membership of every image per experiment →
records/splits.jsonl (seeds never in a test set)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MissingInputError
from ..sampling import SplitParams, build_splits, paper_splits
from ..schemas import Seed, SourceImage, SplitMembership
from ..sources import Catalog, load_catalog
from ..store import Workspace
from ._common import StageRun, as_workspace, stage

__all__ = ["SplitsRun", "run_splits"]


@dataclass
class SplitsRun(StageRun):
    seeds: list[Seed] = field(default_factory=list)
    rows: list[SplitMembership] = field(default_factory=list)
    seeds_from: str = ""


def run_splits(workspace: Workspace | Path | None, params: SplitParams, *,
               paper: bool = False, catalog: Catalog | None = None) -> SplitsRun:
    """Membership rows for the workspace's seeds (or, with ``paper``, the paper's own
    configuration from the CSV alone); written to the workspace's records/splits.jsonl when
    a workspace is given."""
    catalog = catalog or load_catalog()
    if paper:
        seeds, rows = paper_splits(catalog)
        run = SplitsRun(seeds=seeds, rows=rows, seeds_from=f"{len(seeds)} sampled by the "
                        "paper's configuration (seeds section defaults)")
        return run if workspace is None else _persist(as_workspace(workspace), run)
    if workspace is None:
        raise MissingInputError("the splits stage needs a workspace (or the paper's "
                                "configuration)", fix="pass a workspace after "
                                "`dermforge seeds sample -w WS`, or --paper")
    ws = as_workspace(workspace)
    seeds = ws.require(Seed, made_by="dermforge seeds sample")
    present = ({row.source_id for row in ws.manifest(SourceImage)}
               if params.pool == "workspace" else None)
    rows = build_splits(catalog, seeds, params, present)
    run = SplitsRun(seeds=seeds, rows=rows,
                    seeds_from=f"{len(seeds)} from {ws.manifest(Seed).path}")
    return _persist(ws, run)


def _persist(ws: Workspace, run: SplitsRun) -> SplitsRun:
    with stage(ws, "splits", outputs=[SplitMembership]) as cleaned:
        manifest = ws.manifest(SplitMembership)
        run.written[manifest.path] = manifest.replace(run.rows)
    run.cleaned = cleaned
    return run
