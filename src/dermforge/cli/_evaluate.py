"""`dermforge evaluate`: the paper's VGG16 grid on a release, with reports beside the paper's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._attach import print_attached
from ._choices import Backbone, CacheMode, Device, Dtype, Selection
from ._common import JsonOption, ReleaseArgument, err, out, print_json, progress_bars
from ._stageopts import ConditionsOption, ParamsOption, split_conditions

__all__ = ["evaluate"]


def evaluate(
    release: ReleaseArgument,
    source_images: Annotated[Path, typer.Option(
        "--source-images", help="folder of the real <md5hash>.jpg images (md5-checked)")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the reports (replaced)")],
    backbone: Annotated[Backbone | None, typer.Option(
        help="vgg16 is the paper's; efficientnet-lite0's ImageNet weights ship offline (not "
        "comparable to the paper)")] = None,
    weights: Annotated[str | None, typer.Option(
        help="imagenet, random (pipeline checks only) or the path of a state_dict")] = None,
    epochs: Annotated[int | None, typer.Option(help="training epochs (recipe: 20)")] = None,
    selection: Annotated[Selection | None, typer.Option(
        help="faithful: the authors' test-loss choice after epoch 10; clean: a validation "
        "split carved from training data")] = None,
    repeats: Annotated[int | None, typer.Option(help="seeds per run; mean and spread")] = None,
    cache: Annotated[CacheMode | None, typer.Option(
        help="cached: backbone outputs on disk; exact: recompute every epoch")] = None,
    views: Annotated[int | None, typer.Option(
        help="cached: precomputed random training views per image, cycled by epoch")] = None,
    conditions: ConditionsOption = None,
    image_size: Annotated[int | None, typer.Option(help="network input side (recipe: 224)")
                          ] = None,
    dtype: Annotated[Dtype | None, typer.Option(
        help="backbone compute type (auto: decided by the hardware and the backbone's bf16 "
        "check; printed with the reason)")] = None,
    device: Annotated[Device | None, typer.Option(
        help="where the backbone runs (auto: a CUDA GPU if torch finds one, else MPS, else "
        "the CPU)")] = None,
    seed: Annotated[int | None, typer.Option(help="first training seed")] = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        help="feature cache (default: $DERMFORGE_CACHE_DIR or ~/.cache/dermforge/features)")
                         ] = None,
    params: ParamsOption = None,
    attach: Annotated[bool, typer.Option(
        "--attach", help="then attach the reports to RELEASE in place (as `dermforge "
        "attach RELEASE --evaluation OUT` does)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Train the paper's grid on a release and write Table 2/3, spillover, Figure 3 and
    validation.md (every number beside the paper's) to --out; with --attach, the release
    then carries them (validation/, release.json `evaluation`, the card)."""
    from .._params import load_section
    from ..evaluation import EvaluationConfig
    from ..pipeline import run_evaluate

    overrides: dict[str, Any] = {
        "backbone": backbone, "weights": weights, "epochs": epochs, "selection": selection,
        "repeats": repeats, "cache": cache, "views": views, "image_size": image_size,
        "dtype": dtype, "device": device, "seed": seed, "threads": threads,
        "conditions": split_conditions(conditions),
    }
    config = load_section(params, "evaluate", EvaluationConfig, overrides)
    with progress_bars() as progress:
        run = run_evaluate(release, source_images, config, out=out_dir, cache_dir=cache_dir,
                           progress=progress, attach=attach, notes=err.print)
    attached = None if run.attached is None else {
        "release": run.attached.path, "unchanged": run.attached.unchanged,
        "evaluation": run.attached.evaluation}
    _summary(run.result, out_dir, run.written, attached if as_json else None, as_json)
    if run.attached is not None and not as_json:
        print_attached(run.attached)


def _summary(result: Any, out_dir: Path, written: Any, attached: dict[str, Any] | None,
             as_json: bool) -> None:
    from ..evaluation import table2_comparisons, validation_summary

    summary = validation_summary(table2_comparisons(result))
    not_computable = {c.condition: c.reason for c in result.grid.coverage if not c.computable}
    if as_json:
        print_json({"backbone": result.config.backbone,
                    "comparable_to_paper": result.backbone.comparable_to_paper,
                    "classes": list(result.grid.classes), "runs": len(result.grid.runs),
                    "repeats": result.config.repeats, "device": result.backbone.device,
                    "dtype": result.backbone.dtype,
                    "dtype_reason": result.backbone.dtype_reason,
                    "seconds": result.timings.get("total", 0.0), **summary,
                    "not_computable_conditions": not_computable, "out": out_dir,
                    "files": written, "attached": attached})
        return
    label = ("" if result.backbone.comparable_to_paper
             else " (pipeline check: backbone not comparable to the paper)")
    info = result.backbone
    out.print(f"backbone: {info.name} on {info.device} ({info.device_detail}), {info.dtype}: "
              f"{info.dtype_reason}")
    out.print(f"classes: {', '.join(result.grid.classes)}")
    for condition, reason in not_computable.items():
        out.print(f"not computable: {condition}: {reason}")
    out.print(f"runs: {len(result.grid.runs)} x {result.config.repeats} repeat(s) in "
              f"{result.timings.get('total', 0.0):.1f} s{label}")
    out.print(f"paper's Table 2 cells computed: {summary['computed']} of "
              f"{summary['paper_cells']}; intervals overlapping: {summary['intervals_overlap']}; "
              f"direction agrees: {summary['direction_agrees']} of {summary['direction_cells']}")
    out.print(f"wrote {len(written)} files to {out_dir}")
