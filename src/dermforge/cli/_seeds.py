"""`dermforge seeds …`: sample the seed images of each condition and skin-type group."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from ._choices import Pool
from ._common import JsonOption, WorkspaceOption, out, print_json, say_cleaned, say_written
from ._stageopts import ConditionsOption, CsvOption, ParamsOption, split_conditions

app = typer.Typer(help="Seed images: n per condition and skin-type group.", no_args_is_help=True)


@app.command("sample")
def sample_cmd(
    workspace: WorkspaceOption,
    params: ParamsOption = None,
    conditions: ConditionsOption = None,
    n_per_group: Annotated[int | None, typer.Option("--n-per-group", help="seeds per "
                                                    "condition and group")] = None,
    rng_seed: Annotated[int | None, typer.Option("--rng-seed", help="RNG seed")] = None,
    pool: Annotated[Pool | None, typer.Option(
        "--pool", help="draw from the whole CSV, or only from images in the workspace")] = None,
    csv: CsvOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draw seeds (params.yaml `seeds`) and write records/seeds.jsonl."""
    from .._params import load_section
    from ..pipeline import run_seeds
    from ..sampling import SeedParams
    from ..sources import load_catalog

    settings = load_section(params, "seeds", SeedParams, {
        "conditions": split_conditions(conditions), "n_per_group": n_per_group,
        "rng_seed": rng_seed, "pool": pool})
    run = run_seeds(workspace, settings, catalog=load_catalog(csv))
    say_cleaned(run.cleaned)
    per_cell = Counter((s.condition, s.group) for s in run.seeds)
    pool_sizes = {(s.condition, s.group): s.sampling.pool_size for s in run.seeds}
    if as_json:
        print_json({"seeds": len(run.seeds), "rng_seed": settings.rng_seed,
                    "pool": settings.pool, "written": run.written,
                    "cells": [{"condition": c, "group": g, "seeds": n,
                               "pool_size": pool_sizes[(c, g)]}
                              for (c, g), n in per_cell.items()]})
        return
    out.print(f"{len(run.seeds)} seeds (rng seed {settings.rng_seed}, pool {settings.pool}):")
    for (condition, group), n in per_cell.items():
        out.print(f"  {condition}, FST {group}: {n} of {pool_sizes[(condition, group)]}")
    say_written(run.written)
