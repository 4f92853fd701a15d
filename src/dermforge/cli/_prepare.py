"""`dermforge prepare`: crop, mask and prompt every seed; contact sheets for a look by eye."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._atomic import atomic_write_bytes
from .._params import DEFAULT_PARAMS_FILE, load_section
from ..errors import InputError, MissingInputError
from ..prepare import (
    Annotations,
    Prepared,
    PrepareParams,
    SheetItem,
    contact_sheet,
    load_annotations,
    prepare_seeds,
    sheet_filename,
)
from ..prompts import PromptParams, SlotOverrides, render_prompts
from ..schemas import Crop, Mask, Prompt, Seed
from ..store import Workspace
from ._common import WorkspaceOption, err, out
from ._stageopts import ParamsOption, replace_records


def prepare(
    workspace: WorkspaceOption,
    params: ParamsOption = None,
    annotations: Annotated[Path | None, typer.Option(
        "--annotations", help="YAML/CSV of per-seed boxes, masks, body parts, nouns "
        "(overrides prepare.annotations)")] = None,
) -> None:
    """Crop, mask and prompt every seed; write a contact sheet per condition.

    Writes records/crops.jsonl, masks.jsonl and prompts.jsonl from records/seeds.jsonl, and
    one contact sheet per condition to <workspace>/reports/prepare/.
    """
    settings = load_section(params, "prepare", PrepareParams)
    vocabulary = load_section(params, "prompts", PromptParams)
    params_dir = _params_dir(params)
    ws = Workspace(workspace)
    seeds = _seeds(ws)
    notes = _annotations(annotations, settings, params_dir)
    overrides = {sid: SlotOverrides(a.spec.body_part, a.spec.noun)
                 for sid, a in (notes.by_id.items() if notes else ())}
    prompts = render_prompts(seeds, vocabulary, overrides)
    with Progress(TextColumn("preparing seeds"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("prepare", total=len(seeds))
        prepared = prepare_seeds(ws, seeds, settings, notes, params_dir,
                                 on_seed=lambda _s: progress.advance(task))
    _write(ws, prepared, prompts)
    _sheets(ws, seeds, prepared, prompts)


def _params_dir(params: Path | None) -> Path:
    if params is not None:
        return params.parent
    return DEFAULT_PARAMS_FILE.parent if DEFAULT_PARAMS_FILE.is_file() else Path()


def _seeds(ws: Workspace) -> list[Seed]:
    manifest = ws.manifest(Seed)
    seeds = manifest.read() if manifest.exists() else []
    if not seeds:
        raise MissingInputError(f"no seeds in {manifest.path}",
                                fix=f"run `dermforge seeds sample -w {ws.root}` first")
    return seeds


def _annotations(option: Path | None, settings: PrepareParams,
                 params_dir: Path) -> Annotations | None:
    if option is not None:
        return load_annotations(option)
    if settings.annotations is None:
        return None
    path = Path(settings.annotations)
    if not path.is_absolute():
        path = params_dir / path
    if not path.is_file():
        raise InputError(f"prepare.annotations: {str(path)!r} does not exist",
                         fix="correct prepare.annotations (relative to the params file)")
    return load_annotations(path)


def _write(ws: Workspace, prepared: Prepared, prompts: list[Prompt]) -> None:
    methods = Counter(crop.method for crop in prepared.crops)
    out.print(f"{len(prepared.crops)} crops ({', '.join(f'{k} {v}' for k, v in methods.items())}"
              f"), {len(prepared.masks)} masks, {len(prompts)} prompts")
    crops, masks, texts = ws.manifest(Crop), ws.manifest(Mask), ws.manifest(Prompt)
    written = [(crops.path, replace_records(crops, prepared.crops)),
               (masks.path, replace_records(masks, prepared.masks)),
               (texts.path, replace_records(texts, prompts))]
    for path, changed in written:
        out.print(f"{'wrote' if changed else 'unchanged:'} {path}")


def _sheets(ws: Workspace, seeds: list[Seed], prepared: Prepared, prompts: list[Prompt]) -> None:
    conditions = list(dict.fromkeys(seed.condition for seed in seeds))
    for condition in conditions:
        items = [SheetItem(seed, crop, mask, prompt, ws.blobs.read(crop.sha256),
                           ws.blobs.read(mask.sha256))
                 for seed, crop, mask, prompt in zip(seeds, prepared.crops, prepared.masks,
                                                     prompts, strict=True)
                 if seed.condition == condition]
        path = ws.reports_dir / "prepare" / sheet_filename(condition)
        data = contact_sheet(condition, items)
        if not (path.is_file() and path.read_bytes() == data):
            atomic_write_bytes(path, data)
        out.print(f"contact sheet: {path}")
