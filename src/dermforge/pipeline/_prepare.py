"""The prepare stage: per seed a square crop, its inpainting mask and its prompt →
records/crops.jsonl, masks.jsonl, prompts.jsonl, the prepare blob layer, and one contact
sheet per condition in reports/prepare/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .._atomic import atomic_write_bytes
from ..errors import InputError
from ..prepare import (
    PREPARE_LAYER,
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
from ._common import Progress, StageRun, as_workspace, stage

__all__ = ["PrepareRun", "run_prepare"]


@dataclass
class PrepareRun(StageRun):
    prepared: Prepared = field(default_factory=lambda: Prepared([], []))
    prompts: list[Prompt] = field(default_factory=list)
    sheets: list[Path] = field(default_factory=list)


def run_prepare(workspace: Workspace | Path, params: PrepareParams, prompts: PromptParams, *,
                annotations: Path | None = None, params_dir: Path = Path(),
                progress: Progress | None = None) -> PrepareRun:
    """Crop, mask and prompt every seed of records/seeds.jsonl.

    ``annotations`` (else ``params.annotations``, relative to ``params_dir``, the folder of
    the params file) gives per-seed boxes, masks, body parts and nouns. Blobs are
    content-addressed, so a re-run rewrites nothing that did not change.
    """
    ws = as_workspace(workspace)
    with stage(ws, "prepare", outputs=[Crop, Mask, Prompt], layer=PREPARE_LAYER) as cleaned:
        seeds = ws.require(Seed, made_by="dermforge seeds sample")
        notes = _annotations(annotations, params, params_dir)
        overrides = {sid: SlotOverrides(a.spec.body_part, a.spec.noun)
                     for sid, a in (notes.by_id.items() if notes else ())}
        texts = render_prompts(seeds, prompts, overrides)
        done = 0

        def advance(_seed: Seed) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress("preparing seeds", done, len(seeds))

        prepared = prepare_seeds(ws, seeds, params, notes, params_dir, on_seed=advance)
        run = PrepareRun(cleaned=cleaned, prepared=prepared, prompts=texts)
        crops, masks, prompts_ = ws.manifest(Crop), ws.manifest(Mask), ws.manifest(Prompt)
        run.written[crops.path] = crops.replace(prepared.crops)
        run.written[masks.path] = masks.replace(prepared.masks)
        run.written[prompts_.path] = prompts_.replace(texts)
        run.sheets = _sheets(ws, seeds, prepared, texts)
    return run


def _annotations(option: Path | None, params: PrepareParams,
                 params_dir: Path) -> Annotations | None:
    if option is not None:
        return load_annotations(option)
    if params.annotations is None:
        return None
    path = Path(params.annotations)
    if not path.is_absolute():
        path = params_dir / path
    if not path.is_file():
        raise InputError(f"prepare.annotations: {str(path)!r} does not exist",
                         fix="correct prepare.annotations (relative to the params file)")
    return load_annotations(path)


def _sheets(ws: Workspace, seeds: list[Seed], prepared: Prepared,
            prompts: list[Prompt]) -> list[Path]:
    written = []
    for condition in dict.fromkeys(seed.condition for seed in seeds):
        items = [SheetItem(seed, crop, mask, prompt, ws.blobs.read(crop.sha256),
                           ws.blobs.read(mask.sha256))
                 for seed, crop, mask, prompt in zip(seeds, prepared.crops, prepared.masks,
                                                     prompts, strict=True)
                 if seed.condition == condition]
        path = ws.reports_dir / "prepare" / sheet_filename(condition)
        data = contact_sheet(condition, items)
        if not (path.is_file() and path.read_bytes() == data):
            atomic_write_bytes(path, data)
        written.append(path)
    return written
