"""`dermforge attach RELEASE --evaluation EVAL_DIR`: the release carries its validation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import JsonOption, ReleaseArgument, err, out, print_json, say_cleaned

__all__ = ["attach", "print_attached"]


def attach(
    release: ReleaseArgument,
    evaluation: Annotated[Path, typer.Option(
        "--evaluation", help="the --out folder of `dermforge evaluate` on this release")],
    new_release: Annotated[Path | None, typer.Option(
        "--out", help="write the validated release to this new folder (default: replace "
        "RELEASE in place, atomically)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Attach an evaluation to a release: validation/ (metrics.json, validation.md, the
    tables as CSV, figure3.png), release.json `evaluation`, the card's validation section,
    croissant.json and MANIFEST.json.

    The evaluation must be of this release (name, version) and of its data files as
    listed now; the release must pass `dermforge verify`. A validated release refuses
    another evaluation (attaching the same one again changes nothing).

    Exit codes: 0 attached (or already attached); 1 refused (another release or other
    data, a release failing verify, validated already, --out exists); 2 RELEASE is not a
    release, or the evaluation folder is incomplete.

    --json prints {"release", "name", "version", "unchanged", "evaluation": {…}}, the
    evaluation as release.json records it.
    """
    from ..pipeline import run_attach

    result = run_attach(release, evaluation, out=new_release)
    say_cleaned(result.cleaned)
    if as_json:
        print_json({"release": result.path, "name": result.release.name,
                    "version": result.release.version, "unchanged": result.unchanged,
                    "evaluation": result.evaluation})
        return
    print_attached(result)


def print_attached(result: Any) -> None:
    """The attachment in a few lines (also printed by `evaluate --attach`)."""
    e = result.evaluation
    if result.unchanged:
        err.print(f"{result.path} already carries this evaluation: nothing was written")
    label = "" if e.comparable_to_paper else " (pipeline check: not comparable to the paper)"
    out.print(f"validation attached: backbone {e.backbone}{label}; paper's Table 2 cells "
              f"computed {e.computed} of {e.paper_cells}; intervals overlapping "
              f"{e.intervals_overlap}; direction agrees {e.direction_agrees} of "
              f"{e.direction_cells}")
    for condition, reason in sorted(e.not_computable_conditions.items()):
        out.print(f"  not computable: {condition}: {reason}")
    out.print(f"release: {result.path}")
