"""`dermforge splits`: the paper's train/test/seed membership lists."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .._params import load_section
from ..errors import InputError, MissingInputError
from ..sampling import SplitParams, build_splits, count_splits, paper_splits, splits_markdown
from ..schemas import Seed, SplitMembership
from ..sources import load_catalog
from ..store import Workspace
from ._common import err
from ._stageopts import (
    ConditionsOption,
    CsvOption,
    ParamsOption,
    present_ids,
    replace_records,
    split_conditions,
)


class SplitFormat(StrEnum):
    md = "md"
    json = "json"


def splits(
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="workspace: reads its seeds.jsonl, writes splits.jsonl")] = None,
    paper: Annotated[bool, typer.Option(
        "--paper", help="the paper's configuration from the CSV alone (seven conditions; "
        "8 + 8 seeds of the three augmented ones); no workspace or images needed")] = False,
    fmt: Annotated[SplitFormat, typer.Option("--format", "-f")] = SplitFormat.md,
    params: ParamsOption = None,
    conditions: ConditionsOption = None,
    csv: CsvOption = None,
) -> None:
    """Train/test/seed membership of every image, per experiment (train-I-II, train-V-VI).

    --format md prints counts and the test-set sizes beside Table 2's N; json prints one
    row per image and experiment (source_id, experiment, role, condition, fitzpatrick, group).
    """
    catalog = load_catalog(csv)
    if paper:
        if params is not None or conditions:
            raise InputError("--paper uses the paper's own configuration; it takes no "
                             "--params or --conditions", fix="drop --paper or those options")
        settings = SplitParams()
        seeds, rows = paper_splits(catalog)
        seeds_from = f"{len(seeds)} sampled by the paper's configuration (seeds section defaults)"
    else:
        if workspace is None:
            raise InputError("dermforge splits needs --workspace (or --paper)",
                             fix="pass --workspace WS after `dermforge seeds sample -w WS`")
        settings = load_section(params, "splits", SplitParams,
                                {"conditions": split_conditions(conditions)})
        ws = Workspace(workspace)
        seeds = _workspace_seeds(ws)
        present = present_ids(ws) if settings.pool == "workspace" else None
        rows = build_splits(catalog, seeds, settings, present)
        seeds_from = f"{len(seeds)} from {ws.manifest(Seed).path}"
    if workspace is not None:
        manifest = Workspace(workspace).create().manifest(SplitMembership)
        changed = replace_records(manifest, rows)
        err.print(f"{'wrote' if changed else 'unchanged:'} {manifest.path} ({len(rows)} rows)")
    if fmt is SplitFormat.json:
        body = ",\n".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) for r in rows)
        typer.echo("[\n" + body + "\n]")
    else:
        typer.echo(splits_markdown(count_splits(rows), settings, seeds_from), nl=False)


def _workspace_seeds(ws: Workspace) -> list[Seed]:
    manifest = ws.manifest(Seed)
    if not manifest.exists():
        raise MissingInputError(f"no seeds in {ws.root}: {manifest.path} does not exist",
                                fix=f"run `dermforge seeds sample -w {ws.root}` first")
    return manifest.read()
