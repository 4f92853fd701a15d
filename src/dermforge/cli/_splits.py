"""`dermforge splits`: the paper's train/test/seed membership lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._common import JsonOption, err, say_cleaned
from ._stageopts import ConditionsOption, CsvOption, ParamsOption, split_conditions


def splits(
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="workspace: reads its seeds.jsonl, writes splits.jsonl")] = None,
    paper: Annotated[bool, typer.Option(
        "--paper", help="the paper's configuration from the CSV alone (seven conditions; "
        "8 + 8 seeds of the three augmented ones); no workspace or images needed")] = False,
    as_json: JsonOption = False,
    params: ParamsOption = None,
    conditions: ConditionsOption = None,
    csv: CsvOption = None,
) -> None:
    """Train/test/seed membership of every image, per experiment (train-I-II, train-V-VI).

    Prints counts and the test-set sizes beside Table 2's N as markdown; --json prints one
    row per image and experiment (source_id, experiment, role, condition, fitzpatrick, group).
    """
    from .._params import load_section
    from ..errors import InputError
    from ..pipeline import run_splits
    from ..sampling import SplitParams, count_splits, splits_markdown
    from ..sources import load_catalog

    if paper and (params is not None or conditions):
        raise InputError("--paper uses the paper's own configuration; it takes no "
                         "--params or -c/--condition", fix="drop --paper or those options")
    if not paper and workspace is None:
        raise InputError("dermforge splits needs --workspace (or --paper)",
                         fix="pass --workspace WS after `dermforge seeds sample -w WS`")
    settings = (SplitParams() if paper else load_section(
        params, "splits", SplitParams, {"conditions": split_conditions(conditions)}))
    run = run_splits(workspace, settings, paper=paper, catalog=load_catalog(csv))
    say_cleaned(run.cleaned)
    for path, changed in run.written.items():
        err.print(f"{'wrote' if changed else 'unchanged:'} {path} ({len(run.rows)} rows)")
    if as_json:
        body = ",\n".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False)
                          for r in run.rows)
        typer.echo("[\n" + body + "\n]")
    else:
        typer.echo(splits_markdown(count_splits(run.rows), settings, run.seeds_from), nl=False)
