"""Every number beside the paper's: difference, interval overlap, direction of effect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._paper import (
    PAPER_CITATION,
    PAPER_SPILLOVER,
    PAPER_TABLE2,
    PAPER_TABLE2_N,
    PAPER_TABLE2_NOTES,
    PAPER_TABLE3,
    PAPER_TABLE3_DOSES,
    PaperAccuracy,
)
from ._metrics import CellAccuracy
from ._results import EvaluationResult, table_arms
from ._tables import ARM_TITLES, fmt_cell

__all__ = ["Comparison", "table2_comparisons", "validation_markdown", "validation_summary"]


@dataclass(frozen=True)
class Comparison:
    """One Table 2 cell: ours (None when not computable) beside the paper's."""

    condition: str
    train_group: str
    test_group: str
    arm: str
    ours: CellAccuracy | None
    ours_baseline: CellAccuracy | None
    paper: PaperAccuracy
    paper_baseline: PaperAccuracy
    paper_n: int
    reason: str

    @property
    def diff(self) -> float | None:
        return None if self.ours is None else self.ours.accuracy - self.paper.value

    @property
    def overlap(self) -> bool | None:
        if self.ours is None:
            return None
        return max(self.ours.low, self.paper.low) <= min(self.ours.high, self.paper.high)

    @property
    def direction_agrees(self) -> bool | None:
        """Whether "augmented ≥ Fitzpatrick only" holds for both or neither (arms only)."""
        if self.arm == "fitz_only" or self.ours is None or self.ours_baseline is None:
            return None
        ours_up = self.ours.accuracy >= self.ours_baseline.accuracy
        return ours_up == (self.paper.value >= self.paper_baseline.value)


def table2_comparisons(result: EvaluationResult) -> list[Comparison]:
    found = []
    arms = table_arms(result.config)
    for condition, by_train in PAPER_TABLE2.items():
        for train_group, by_test in by_train.items():
            experiment = f"train-{train_group}"
            for test_group, paper_cells in by_test.items():
                cells = [_ours(result, experiment, condition, suffix, test_group)
                         for _, suffix in arms]
                for (arm, suffix), paper, ours in zip(arms, paper_cells, cells, strict=True):
                    run_id = result.run_id(experiment, condition, suffix)
                    reason = "" if ours is not None else _reason(result, run_id, condition)
                    found.append(Comparison(
                        condition, train_group, test_group, arm, ours, cells[0], paper,
                        paper_cells[0], PAPER_TABLE2_N[condition][train_group][test_group],
                        reason))
    return found


def _ours(result: EvaluationResult, experiment: str, condition: str, suffix: str,
          group: str) -> CellAccuracy | None:
    if experiment not in result.grid.experiments:
        return None
    return result.cell(result.run_id(experiment, condition, suffix), condition, group)


def _reason(result: EvaluationResult, run_id: str, condition: str) -> str:
    if condition not in result.grid.augmented and condition in result.grid.classes:
        return "not evaluated (not augmented in this release, or left out by --conditions)"
    if not any(c.condition == condition for c in result.grid.coverage):
        return "not in the release's splits"
    return result.skipped_reason(run_id, condition)


def validation_summary(comparisons: list[Comparison]) -> dict[str, Any]:
    computed = [c for c in comparisons if c.ours is not None]
    directional = [c for c in computed if c.direction_agrees is not None]
    diffs = [abs(c.diff) for c in computed if c.diff is not None]
    return {
        "paper_cells": len(comparisons),
        "computed": len(computed),
        "not_computable": len(comparisons) - len(computed),
        "intervals_overlap": sum(1 for c in computed if c.overlap),
        "direction_cells": len(directional),
        "direction_agrees": sum(1 for c in directional if c.direction_agrees),
        "mean_abs_diff": sum(diffs) / len(diffs) if diffs else None,
        "n_matches_paper": sum(1 for c in computed if c.ours is not None
                               and c.ours.n == c.paper_n),
    }


def _yes(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "**no**")


def _heading(result: EvaluationResult) -> list[str]:
    info = result.describe()
    if info["comparable_to_paper"]:
        label = ("Comparison with the paper: the paper's backbone and recipe. Differences "
                 "remain expected (synthetic images, seeds, random seeds; see notes).")
    else:
        label = (f"**Pipeline check, not a reproduction**: backbone {info['backbone']} with "
                 f"weights {info['weights']} is not the paper's ImageNet VGG16, so these numbers "
                 "are not comparable to the paper's.")
    settings = [f"- {key}: {', '.join(value) if isinstance(value, list) else value}"
                for key, value in info.items()]
    return ["# Validation against Sagers et al. 2022", "", label, "",
            f"Paper: {PAPER_CITATION}", "", "Settings:", "", *settings, ""]


def validation_markdown(result: EvaluationResult) -> str:
    comparisons = table2_comparisons(result)
    summary = validation_summary(comparisons)
    lines = _heading(result)
    lines += ["## Summary", "",
              f"- Table 2 cells in the paper: {summary['paper_cells']}; computed here: "
              f"{summary['computed']}; not computable: {summary['not_computable']}",
              f"- 95% intervals overlapping the paper's: {summary['intervals_overlap']} of "
              f"{summary['computed']}",
              f"- direction of effect (augmented ≥ Fitzpatrick only) as in the paper: "
              f"{summary['direction_agrees']} of {summary['direction_cells']}",
              f"- test-set N equal to the paper's: {summary['n_matches_paper']} of "
              f"{summary['computed']}"]
    if summary["mean_abs_diff"] is not None:
        lines.append(f"- mean |ours − paper|: {summary['mean_abs_diff']:.3f}")
    lines += ["", *_coverage_lines(result), "", "## Table 2, cell by cell", "",
              "| condition | trained on | FST | arm | N (ours/paper) | ours | paper | diff | "
              "overlap | direction agrees |", "|---|---|---|---|---|---|---|---:|---|---|"]
    for c in comparisons:
        paper = f"{c.paper.value:.3f} ({c.paper.low:.2f}-{c.paper.high:.2f})"
        ours = fmt_cell(c.ours) if c.ours is not None else f"n/c: {c.reason}"
        n = f"{'—' if c.ours is None else c.ours.n}/{c.paper_n}"
        diff = "" if c.diff is None else f"{c.diff:+.3f}"
        lines.append(f"| {c.condition} | {c.train_group} | {c.test_group} | "
                     f"{ARM_TITLES[c.arm]} | {n} | {ours} | {paper} | {diff} | "
                     f"{_yes(c.overlap)} | {_yes(c.direction_agrees)} |")
    lines += ["", *_table3_lines(result), "", *_spillover_lines(result), "", "## Notes", ""]
    lines += [f"- N of {' / '.join(key)}: {note}" for key, note in PAPER_TABLE2_NOTES.items()]
    untrained = sorted({o.run_id for o in result.outcomes if o.selected_epoch is None})
    if untrained:
        lines.append(f"- {len(untrained)} run(s) kept the untrained head, because no epoch "
                     f"after {result.config.select_after_epoch} beat that epoch's selection "
                     f"loss (the authors' script does the same): {', '.join(untrained)}")
    lines.append(f"- selection: {result.config.selection} "
                 + ("(the authors' rule: lowest loss on the test set after epoch "
                    f"{result.config.select_after_epoch}; it peeks at the test data)"
                    if result.config.selection == "faithful" else
                    "(lowest loss on a validation split carved from the training images)"))
    return "\n".join(lines) + "\n"


def _coverage_lines(result: EvaluationResult) -> list[str]:
    lines = ["## Classes and images", "",
             f"The classifier covers {len(result.grid.classes)} classes: "
             f"{', '.join(result.grid.classes)}.", "",
             "| condition | images in splits | present | missing | computable |",
             "|---|---:|---:|---:|---|"]
    for c in result.grid.coverage:
        status = "yes" if c.computable else f"**no**: {c.reason}"
        lines.append(f"| {c.condition} | {c.images} | {c.present} | {c.missing} | {status} |")
    skipped = [s for s in result.grid.skipped if s.scope != "condition"]
    if skipped:
        lines += ["", "Runs not computed:", ""] + [f"- {s.scope}: {s.reason}" for s in skipped]
    return lines


def _table3_lines(result: EvaluationResult) -> list[str]:
    lines = ["## Table 3 (dose response), ours beside the paper's", "",
             "| condition | FST | " + " | ".join(f"+{d} ours/paper" for d in PAPER_TABLE3_DOSES)
             + " |", "|---|---|" + "---|" * len(PAPER_TABLE3_DOSES)]
    for condition, by_train in PAPER_TABLE3.items():
        for train_group, by_test in by_train.items():
            experiment = f"train-{train_group}"
            for group, values in by_test.items():
                cells = []
                for dose, paper in zip(PAPER_TABLE3_DOSES, values, strict=True):
                    ours = _ours(result, experiment, condition, f"synthetic-{dose}", group)
                    cells.append(f"{'n/c' if ours is None else f'{ours.accuracy:.2f}'}/"
                                 f"{paper:.2f}")
                lines.append(f"| {condition} | {group} | " + " | ".join(cells) + " |")
    return lines


def _spillover_lines(result: EvaluationResult) -> list[str]:
    lines = ["## Spillover (§3.3), ours beside the paper's", "",
             "| augmented | trained on | class | FST | before ours/paper | after ours/paper |",
             "|---|---|---|---|---|---|"]
    after = table_arms(result.config)[2][1]
    for (augmented, train_group, klass, group), (before, later) in PAPER_SPILLOVER.items():
        experiment = f"train-{train_group}"
        ours_before = _ours(result, experiment, klass, "fitz_only", group)
        ours_after = (None if experiment not in result.grid.experiments else result.cell(
            result.run_id(experiment, augmented, after), klass, group))
        text = [f"{'n/c' if o is None else f'{o.accuracy:.3f}'}/{p:.3f}"
                for o, p in ((ours_before, before), (ours_after, later))]
        lines.append(f"| {augmented} | {train_group} | {klass} | {group} | {text[0]} | "
                     f"{text[1]} |")
    return lines
