"""`dermforge curate signals`: advisory quality signals of every candidate (never verdicts)."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from .._params import load_section
from ..curation import SignalsParams, compute_signals
from ..errors import MissingInputError
from ..schemas import Candidate
from ..store import Workspace
from ._common import WorkspaceOption, err, out
from ._stageopts import ParamsOption

__all__ = ["signals"]


def signals(workspace: WorkspaceOption, params: ParamsOption = None) -> None:
    """Advisory quality signals of every candidate (skin tone, near-duplicates, sharpness).

    Measures each candidate against its seed and the experiments' test splits: ITA of the
    non-lesion skin and the FST group it implies, perceptual-hash distance to the seed and to
    every test-split image (leakage flag), sharpness. Writes records/signals.jsonl; the
    thresholds are in the `signals` section of params.yaml. Signals never decide anything.
    """
    settings = load_section(params, "signals", SignalsParams)
    ws = Workspace(workspace)
    manifest = ws.manifest(Candidate)
    if not manifest.exists() or not manifest.read():
        raise MissingInputError(f"no candidates in {manifest.path}",
                                fix=f"run `dermforge generate -w {ws.root}` first")
    tasks: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        def advance(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(what, total=total)
            progress.update(tasks[what], completed=done)

        run = compute_signals(ws, settings, progress=advance)
    out.print(f"{run.computed} candidates measured, {run.unchanged} already up to date; "
              f"compared with {run.test_images} test-split images")
    if run.test_missing:
        out.print(f"note: {run.test_missing} test-split images are not in the workspace and "
                  "were not compared (import them for a complete leakage check)")
    if run.flags:
        out.print("flags raised (advisory): " + ", ".join(
            f"{name} {count}" for name, count in sorted(run.flags.items())))
