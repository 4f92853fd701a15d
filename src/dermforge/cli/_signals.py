"""`dermforge curate signals`: advisory quality signals of every candidate (never verdicts)."""

from __future__ import annotations

from ._common import JsonOption, WorkspaceOption, out, print_json, progress_bars, say_cleaned
from ._stageopts import ParamsOption

__all__ = ["signals"]


def signals(workspace: WorkspaceOption, params: ParamsOption = None,
            as_json: JsonOption = False) -> None:
    """Advisory quality signals of every candidate (skin tone, near-duplicates, sharpness).

    Measures each candidate against its seed and the experiments' test splits: ITA of the
    non-lesion skin and the FST group it implies, perceptual-hash distance to the seed and to
    every test-split image (leakage flag), sharpness. Writes records/signals.jsonl; the
    thresholds are in the `signals` section of params.yaml. Signals never decide anything.
    """
    from .._params import load_section
    from ..curation import SignalsParams
    from ..pipeline import run_signals

    settings = load_section(params, "signals", SignalsParams)
    with progress_bars() as progress:
        stage = run_signals(workspace, settings, progress=progress)
    say_cleaned(stage.cleaned)
    run = stage.signals
    if as_json:
        print_json({"computed": run.computed, "unchanged": run.unchanged,
                    "test_images": run.test_images, "test_missing": run.test_missing,
                    "text_to_image_skipped": run.text_to_image,
                    "flags": dict(sorted(run.flags.items())), "written": stage.written})
        return
    out.print(f"{run.computed} candidates measured, {run.unchanged} already up to date; "
              f"compared with {run.test_images} test-split images")
    if run.text_to_image:
        out.print(f"note: {run.text_to_image} text-to-image candidates were not measured: "
                  "every signal compares an image with its seed photograph, and they have none")
    if run.test_missing:
        out.print(f"note: {run.test_missing} test-split images are not in the workspace and "
                  "were not compared (import them for a complete leakage check)")
    if run.flags:
        out.print("flags raised (advisory): " + ", ".join(
            f"{name} {count}" for name, count in sorted(run.flags.items())))
