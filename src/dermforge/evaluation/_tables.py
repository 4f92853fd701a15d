"""Table 2, Table 3 and the spillover table in the paper's layout (Markdown) and long CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from ..schemas import FST_GROUPS
from ._metrics import CellAccuracy
from ._results import EvaluationResult, table_arms

__all__ = [
    "ARM_TITLES",
    "fmt_cell",
    "spillover_csv",
    "spillover_markdown",
    "table2_csv",
    "table2_markdown",
    "table3_csv",
    "table3_markdown",
]

ARM_TITLES = {"fitz_only": "Fitzpatrick", "seed": "+Seed", "synthetic": "+Synthetic & Seed"}
_NC = "n/c"  # not computable


def fmt_cell(cell: CellAccuracy | None) -> str:
    if cell is None:
        return _NC
    spread = f" ±{cell.sd:.3f}" if cell.repeats > 1 else ""
    return f"{cell.accuracy:.3f}{spread} ({cell.low:.2f}-{cell.high:.2f})"


def _train_group(experiment: str) -> str:
    return experiment.removeprefix("train-")


def _to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _accuracy(cell: CellAccuracy | None) -> float | None:
    return None if cell is None else cell.accuracy


def _n(result: EvaluationResult, experiment: str, condition: str, group: str) -> int | None:
    cell = result.cell(f"{experiment}/fitz_only", condition, group)
    return None if cell is None else cell.n


def _caption(result: EvaluationResult) -> str:
    info = result.describe()
    generators = ", ".join(info["generators"]) or "none"
    return (f"backbone {info['backbone']} ({info['weights']}), selection {info['selection']}, "
            f"{info['epochs']} epochs, {info['repeats']} repeat(s), cache {info['cache']} "
            f"({info['views']} views), {info['dtype']}, {info['image_size']} px; synthetic "
            f"images: {generators}; n/c = not computable (see validation.md)")


def _reasons(result: EvaluationResult, condition: str) -> list[str]:
    return [f"- {s.scope if s.scope != 'condition' else condition}: {s.reason}"
            for s in result.grid.skipped if s.condition == condition]


def table2_markdown(result: EvaluationResult) -> str:
    lines = ["# Table 2: accuracy by training data (95% CI)", "", _caption(result), ""]
    experiments = result.grid.experiments
    for condition in result.grid.augmented:
        lines += [f"## {condition.capitalize()}: classification accuracy (95% CI), N", ""]
        header = ["FST"]
        for index, experiment in enumerate(experiments):
            arms = [f"{_train_group(experiment)}: {ARM_TITLES[a]}" for a, _ in table_arms(
                result.config)]
            header += (["N", *arms] if index == 0 else [*arms, "N"])
        lines += ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        for group in FST_GROUPS:
            row: list[str] = [group]
            for index, experiment in enumerate(experiments):
                trained_here = _train_group(experiment) == group
                n = _n(result, experiment, condition, group)
                cells = ["—" if trained_here else fmt_cell(result.cell(
                    result.run_id(experiment, condition, suffix), condition, group))
                    for _, suffix in table_arms(result.config)]
                n_text = "—" if trained_here or n is None else str(n)
                row += ([n_text, *cells] if index == 0 else [*cells, n_text])
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", *_reasons(result, condition), ""]
    return "\n".join(lines).rstrip() + "\n"


def table2_csv(result: EvaluationResult) -> str:
    rows = []
    for condition in result.grid.augmented:
        for experiment in result.grid.experiments:
            for group in FST_GROUPS:
                if _train_group(experiment) == group:
                    continue
                for arm, suffix in table_arms(result.config):
                    run_id = result.run_id(experiment, condition, suffix)
                    cell = result.cell(run_id, condition, group)
                    rows.append(_cell_row([condition, experiment, group, arm, run_id], cell,
                                          result, run_id, condition))
    return _to_csv(["condition", "experiment", "test_group", "arm", "run_id", "n", "accuracy",
                    "low", "high", "sd", "repeats", "status"], rows)


def _cell_row(keys: list[str], cell: CellAccuracy | None, result: EvaluationResult,
              run_id: str, condition: str) -> list[str]:
    if cell is None:
        return [*keys, "", "", "", "", "", "", result.skipped_reason(run_id, condition)]
    return [*keys, str(cell.n), _number(cell.accuracy), _number(cell.low), _number(cell.high),
            _number(cell.sd), str(cell.repeats), "ok"]


def table3_markdown(result: EvaluationResult) -> str:
    doses = result.config.doses
    lines = ["# Table 3: accuracy by number of added synthetic images (with the seeds)", "",
             _caption(result), ""]
    for condition in result.grid.augmented:
        lines += [f"## {condition.capitalize()}", ""]
        header = ["trained on", "FST", *(f"+{d} images" for d in doses), "N"]
        lines += ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * (len(doses) + 1)]
        for experiment in result.grid.experiments:
            for group in result.test_groups(experiment):
                cells = [result.cell(result.run_id(experiment, condition, f"synthetic-{d}"),
                                     condition, group) for d in doses]
                text = [_NC if c is None else f"{c.accuracy:.2f}" for c in cells]
                n = _n(result, experiment, condition, group)
                lines.append(f"| {_train_group(experiment)} | {group} | " + " | ".join(text)
                             + f" | {'' if n is None else n} |")
        lines += ["", *_reasons(result, condition), ""]
    return "\n".join(lines).rstrip() + "\n"


def table3_csv(result: EvaluationResult) -> str:
    rows = []
    for condition in result.grid.augmented:
        for experiment in result.grid.experiments:
            for group in result.test_groups(experiment):
                for dose in result.config.doses:
                    run_id = result.run_id(experiment, condition, f"synthetic-{dose}")
                    cell = result.cell(run_id, condition, group)
                    rows.append(_cell_row([condition, experiment, group, str(dose), run_id],
                                          cell, result, run_id, condition))
    return _to_csv(["condition", "experiment", "test_group", "dose", "run_id", "n", "accuracy",
                    "low", "high", "sd", "repeats", "status"], rows)


def spillover_rows(result: EvaluationResult) -> list[list[str]]:
    """Every class's accuracy before (Fitzpatrick only) and after augmenting a condition."""
    rows = []
    after_suffix = table_arms(result.config)[2][1]
    for augmented in result.grid.augmented:
        for experiment in result.grid.experiments:
            after_id = result.run_id(experiment, augmented, after_suffix)
            for klass in result.grid.classes:
                for group in result.test_groups(experiment):
                    before = result.cell(f"{experiment}/fitz_only", klass, group)
                    seed = result.cell(result.run_id(experiment, augmented, "seed"), klass, group)
                    after = result.cell(after_id, klass, group)
                    delta = (None if before is None or after is None
                             else after.accuracy - before.accuracy)
                    rows.append([augmented, experiment, klass, group,
                                 "" if before is None else str(before.n),
                                 _number(_accuracy(before)), _number(_accuracy(seed)),
                                 _number(_accuracy(after)), _number(delta)])
    return rows


def spillover_csv(result: EvaluationResult) -> str:
    return _to_csv(["augmented", "experiment", "class", "test_group", "n", "fitz_only", "seed",
                    "synthetic", "delta"], spillover_rows(result))


def spillover_markdown(result: EvaluationResult) -> str:
    lines = ["# Spillover: accuracy of every class before and after augmenting one", "",
             _caption(result) + f"; after = +seed + {result.config.synthetic} synthetic", ""]
    header = "| augmented | trained on | class | FST | N | Fitzpatrick | +Seed | after | Δ |"
    lines += [header, "|---|---|---|---|---:|---:|---:|---:|---:|"]
    for row in spillover_rows(result):
        shown = [f"{float(v):.3f}" if v else _NC for v in row[5:8]]
        delta = f"{float(row[8]):+.3f}" if row[8] else _NC
        lines.append(f"| {row[0]} | {_train_group(row[1])} | {row[2]} | {row[3]} | {row[4]} | "
                     + " | ".join(shown) + f" | {delta} |")
    return "\n".join(lines) + "\n"
