"""Write an evaluation's reports into one folder, all at once (temp folder + rename).

``metrics.json`` (for `dvc metrics`), ``results.json`` (everything, with the settings),
``table2``/``table3``/``spillover`` as ``.md`` and ``.csv``, ``figure3.png``, ``validation.md``
and ``predictions.csv`` (every test image's predicted class in every run).

The reports hold no timings (the command prints them): the same release, images and settings
give byte-identical reports, so DVC's lock file stays stable across re-runs.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .._atomic import fsync_dir
from ..errors import InputError
from ._plot import figure3_png
from ._results import EvaluationResult, table_arms
from ._tables import (
    spillover_csv,
    spillover_markdown,
    table2_csv,
    table2_markdown,
    table3_csv,
    table3_markdown,
)
from ._validation import table2_comparisons, validation_markdown, validation_summary

__all__ = ["REPORT_FILES", "check_output_folder", "metrics", "write_reports"]

REPORT_FILES = (
    "metrics.json", "results.json", "table2.md", "table2.csv", "table3.md", "table3.csv",
    "spillover.md", "spillover.csv", "figure3.png", "validation.md", "predictions.csv",
)


def check_output_folder(out: Path) -> None:
    """Refuse an existing folder that is not an earlier evaluation's output: one with its
    results.json, or one holding report files only (a git checkout of a DVC project holds
    just the versioned metrics.json and figure3.png)."""
    if not out.exists() or (out / "results.json").is_file():
        return
    others = (sorted(p.name for p in out.iterdir() if p.name not in REPORT_FILES)
              if out.is_dir() else [out.name])
    if others:
        raise InputError(f"output folder {str(out)!r} exists and is not an evaluation's output "
                         f"(it holds {others[0]!r})",
                         fix="choose a new --out folder, or empty that one")


def write_reports(out: Path, result: EvaluationResult) -> list[Path]:
    """Replace ``out`` with a complete set of reports; refuse a folder that holds other data."""
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)
    try:
        for name, data in _render(result).items():
            (staging / name).write_bytes(data)
        fsync_dir(staging)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
            staging.rename(out)
            shutil.rmtree(old)
        else:
            staging.rename(out)
        fsync_dir(out.parent)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return [out / name for name in REPORT_FILES]


def _text(value: str) -> bytes:
    return value.encode("utf-8")


def _json(value: Any) -> bytes:
    return _text(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _render(result: EvaluationResult) -> dict[str, bytes]:
    return {
        "metrics.json": _json(metrics(result)),
        "results.json": _json(_details(result)),
        "table2.md": _text(table2_markdown(result)),
        "table2.csv": _text(table2_csv(result)),
        "table3.md": _text(table3_markdown(result)),
        "table3.csv": _text(table3_csv(result)),
        "spillover.md": _text(spillover_markdown(result)),
        "spillover.csv": _text(spillover_csv(result)),
        "figure3.png": figure3_png(result),
        "validation.md": _text(validation_markdown(result)),
        "predictions.csv": _text(_predictions(result)),
    }


def metrics(result: EvaluationResult) -> dict[str, Any]:
    """Accuracies by table cell (nested for `dvc metrics`), run accuracies and the summary."""
    table2: dict[str, Any] = {}
    table3: dict[str, Any] = {}
    for condition in result.grid.augmented:
        for experiment in result.grid.experiments:
            for group in result.test_groups(experiment):
                for arm, suffix in table_arms(result.config):
                    cell = result.cell(result.run_id(experiment, condition, suffix),
                                       condition, group)
                    if cell is not None:
                        table2.setdefault(condition, {}).setdefault(experiment, {}).setdefault(
                            group, {})[arm] = round(cell.accuracy, 6)
                for dose in result.config.doses:
                    cell = result.cell(result.run_id(experiment, condition, f"synthetic-{dose}"),
                                       condition, group)
                    if cell is not None:
                        table3.setdefault(condition, {}).setdefault(experiment, {}).setdefault(
                            group, {})[f"+{dose}"] = round(cell.accuracy, 6)
    runs = {spec.run_id: round(acc, 6) for spec in result.runs()
            if (acc := result.overall_accuracy(spec)) is not None}
    return {
        "settings": result.describe(),
        "release": {"name": result.release.name, "version": result.release.version,
                    "data_sha256": result.release.data_sha256},
        "table2": table2,
        "table3": table3,
        "run_accuracy": runs,
        "validation": validation_summary(table2_comparisons(result)),
        "not_computable": {c.condition: c.reason for c in result.grid.coverage
                           if not c.computable},
    }


def _details(result: EvaluationResult) -> dict[str, Any]:
    grid = result.grid
    runs = []
    for spec in grid.runs:
        runs.append({
            "run_id": spec.run_id, "experiment": spec.experiment, "condition": spec.condition,
            "arm": spec.arm, "n_synthetic": spec.n_synthetic, "n_base": len(spec.base),
            "added": list(spec.added), "n_selection": len(spec.selection),
            "n_test": len(spec.test),
            "outcomes": [{"repeat": o.repeat, "seed": o.seed, "selected_epoch": o.selected_epoch,
                          "train_losses": list(o.train_losses),
                          "selection_losses": list(o.selection_losses)}
                         for o in result.outcomes_of(spec.run_id)],
        })
    return {
        "config": result.config.model_dump(mode="json"),
        "backbone": asdict(result.backbone),
        "release": asdict(result.release),
        "source_images": result.source_images,
        "classes": list(grid.classes),
        "augmented": list(grid.augmented),
        "coverage": [asdict(c) for c in grid.coverage],
        "skipped": [asdict(s) for s in grid.skipped],
        "runs": runs,
    }


def _predictions(result: EvaluationResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run_id", "repeat", "item_id", "condition", "group", "predicted",
                     "correct"])
    classes = result.grid.classes
    for outcome in result.outcomes:
        for item_id, predicted in outcome.predictions.items():
            item = result.grid.items[item_id]
            writer.writerow([outcome.run_id, outcome.repeat, item_id, item.condition,
                             item.group, classes[predicted], int(classes[predicted] ==
                                                                 item.condition)])
    return out.getvalue()
