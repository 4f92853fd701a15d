"""`dermforge evaluate`: the paper's VGG16 grid on a release, with reports beside the paper's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .._params import load_section
from ..pipeline import run_evaluate
from ._attach import print_attached
from ._common import out, progress_bars
from ._stageopts import ConditionsOption, ParamsOption, split_conditions

__all__ = ["evaluate"]


def evaluate(
    release: Annotated[Path, typer.Argument(help="release folder (written by `dermforge build`)")],
    source_images: Annotated[Path, typer.Option(
        "--source-images", help="folder of the real <md5hash>.jpg images (md5-checked)")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the reports (replaced)")],
    backbone: Annotated[str | None, typer.Option(
        help="vgg16 (the paper's) or efficientnet-lite0 (ImageNet weights ship offline; "
        "not comparable to the paper)")] = None,
    weights: Annotated[str | None, typer.Option(
        help="imagenet, random (pipeline checks only) or the path of a state_dict")] = None,
    epochs: Annotated[int | None, typer.Option(help="training epochs (recipe: 20)")] = None,
    selection: Annotated[str | None, typer.Option(
        help="faithful (the authors' test-loss choice after epoch 10) or clean "
        "(a validation split carved from training data)")] = None,
    repeats: Annotated[int | None, typer.Option(help="seeds per run; mean and spread")] = None,
    cache: Annotated[str | None, typer.Option(
        help="cached (backbone outputs on disk) or exact (recompute every epoch)")] = None,
    views: Annotated[int | None, typer.Option(
        help="cached: precomputed random training views per image, cycled by epoch")] = None,
    conditions: ConditionsOption = None,
    image_size: Annotated[int | None, typer.Option(help="network input side (recipe: 224)")
                          ] = None,
    dtype: Annotated[str | None, typer.Option(help="backbone compute type: bf16 or fp32")] = None,
    seed: Annotated[int | None, typer.Option(help="first training seed")] = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        help="feature cache (default: $DERMFORGE_CACHE_DIR or ~/.cache/dermforge/features)")
                         ] = None,
    params: ParamsOption = None,
    attach: Annotated[bool, typer.Option(
        "--attach", help="then attach the reports to RELEASE in place (as `dermforge "
        "attach RELEASE --evaluation OUT` does)")] = False,
) -> None:
    """Train the paper's grid on a release and write Table 2/3, spillover, Figure 3 and
    validation.md (every number beside the paper's) to --out; with --attach, the release
    then carries them (validation/, release.json `evaluation`, the card)."""
    from ..evaluation import EvaluationConfig

    overrides: dict[str, Any] = {
        "backbone": backbone, "weights": weights, "epochs": epochs, "selection": selection,
        "repeats": repeats, "cache": cache, "views": views, "image_size": image_size,
        "dtype": dtype, "seed": seed, "threads": threads,
        "conditions": split_conditions(conditions),
    }
    config = load_section(params, "evaluate", EvaluationConfig, overrides)
    with progress_bars() as progress:
        run = run_evaluate(release, source_images, config, out=out_dir, cache_dir=cache_dir,
                           progress=progress, attach=attach)
    _summary(run.result, out_dir, len(run.written))
    if run.attached is not None:
        print_attached(run.attached)


def _summary(result: Any, out_dir: Path, files: int) -> None:
    from ..evaluation import table2_comparisons, validation_summary

    summary = validation_summary(table2_comparisons(result))
    label = ("" if result.backbone.comparable_to_paper
             else " (pipeline check: backbone not comparable to the paper)")
    out.print(f"classes: {', '.join(result.grid.classes)}")
    for coverage in result.grid.coverage:
        if not coverage.computable:
            out.print(f"not computable: {coverage.condition}: {coverage.reason}")
    out.print(f"runs: {len(result.grid.runs)} x {result.config.repeats} repeat(s) in "
              f"{result.timings.get('total', 0.0):.1f} s{label}")
    out.print(f"paper's Table 2 cells computed: {summary['computed']} of "
              f"{summary['paper_cells']}; intervals overlapping: {summary['intervals_overlap']}; "
              f"direction agrees: {summary['direction_agrees']} of {summary['direction_cells']}")
    out.print(f"wrote {files} files to {out_dir}")
