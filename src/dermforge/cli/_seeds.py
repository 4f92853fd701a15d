"""`dermforge seeds …`: sample the seed images of each condition and skin-type group."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from .._params import load_section
from ..sampling import Pool, SeedParams, sample_seeds
from ..schemas import Seed
from ..sources import load_catalog
from ..store import Workspace
from ._common import WorkspaceOption, out
from ._stageopts import (
    ConditionsOption,
    CsvOption,
    ParamsOption,
    present_ids,
    replace_records,
    split_conditions,
)

app = typer.Typer(help="Seed images: n per condition and skin-type group.", no_args_is_help=True)


@app.command("sample")
def sample_cmd(
    workspace: WorkspaceOption,
    params: ParamsOption = None,
    conditions: ConditionsOption = None,
    n_per_group: Annotated[int | None, typer.Option("--n-per-group", help="seeds per "
                                                    "condition and group")] = None,
    rng_seed: Annotated[int | None, typer.Option("--rng-seed", help="RNG seed")] = None,
    pool: Annotated[Pool | None, typer.Option("--pool", help="csv or workspace")] = None,
    csv: CsvOption = None,
) -> None:
    """Draw seeds (params.yaml `seeds`) and write records/seeds.jsonl."""
    settings = load_section(params, "seeds", SeedParams, {
        "conditions": split_conditions(conditions), "n_per_group": n_per_group,
        "rng_seed": rng_seed, "pool": pool})
    ws = Workspace(workspace)
    present = present_ids(ws) if settings.pool == "workspace" else None
    seeds = sample_seeds(load_catalog(csv), settings, present)
    manifest = ws.create().manifest(Seed)
    changed = replace_records(manifest, seeds)
    per_cell = Counter((s.condition, s.group) for s in seeds)
    pool_sizes = {(s.condition, s.group): s.sampling.pool_size for s in seeds}
    out.print(f"{len(seeds)} seeds (rng seed {settings.rng_seed}, pool {settings.pool}):")
    for (condition, group), n in per_cell.items():
        out.print(f"  {condition}, FST {group}: {n} of {pool_sizes[(condition, group)]}")
    verb = "wrote" if changed else "unchanged:"
    out.print(f"{verb} {manifest.path}")
