"""`dermforge prepare`: crop, mask and prompt every seed; contact sheets for a look by eye."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    JsonOption,
    WorkspaceOption,
    out,
    print_json,
    progress_bars,
    say_cleaned,
    say_written,
)
from ._stageopts import ParamsOption


def prepare(
    workspace: WorkspaceOption,
    params: ParamsOption = None,
    annotations: Annotated[Path | None, typer.Option(
        "--annotations", help="YAML/CSV of per-seed boxes, masks, body parts, nouns "
        "(overrides prepare.annotations)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Crop, mask and prompt every seed; write a contact sheet per condition.

    Writes records/crops.jsonl, masks.jsonl and prompts.jsonl from records/seeds.jsonl, and
    one contact sheet per condition to <workspace>/reports/prepare/.
    """
    from .._params import load_section
    from ..pipeline import run_prepare
    from ..prepare import PrepareParams
    from ..prompts import PromptParams

    settings = load_section(params, "prepare", PrepareParams)
    vocabulary = load_section(params, "prompts", PromptParams)
    with progress_bars() as progress:
        run = run_prepare(workspace, settings, vocabulary, annotations=annotations,
                          params_dir=_params_dir(params), progress=progress)
    say_cleaned(run.cleaned)
    crops = run.prepared.crops
    methods = Counter(crop.method for crop in crops)
    if as_json:
        print_json({"crops": len(crops), "crop_methods": dict(methods),
                    "masks": len(run.prepared.masks), "prompts": len(run.prompts),
                    "written": run.written, "contact_sheets": run.sheets})
        return
    out.print(f"{len(crops)} crops ({', '.join(f'{k} {v}' for k, v in methods.items())}), "
              f"{len(run.prepared.masks)} masks, {len(run.prompts)} prompts")
    say_written(run.written)
    for sheet in run.sheets:
        out.print(f"contact sheet: {sheet}")


def _params_dir(params: Path | None) -> Path:
    from .._params import DEFAULT_PARAMS_FILE

    if params is not None:
        return params.parent
    return DEFAULT_PARAMS_FILE.parent if DEFAULT_PARAMS_FILE.is_file() else Path()
