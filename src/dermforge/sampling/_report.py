"""Markdown views of the splits: counts per experiment, and Table 2's N beside the paper's."""

from __future__ import annotations

from collections.abc import Sequence

from .._paper import PAPER_TABLE2_N, PAPER_TABLE2_NOTES
from ..schemas import FST_GROUPS, FstGroup
from ._params import SplitParams
from ._splits import SplitCounts, experiment_name

__all__ = ["TABLE2_NOTE", "splits_markdown", "table2_rows"]

#: Printed under the comparison table (the paper's N excludes the seeds, as here).
TABLE2_NOTE = (
    "N counts the test images of a condition and skin-type group with a known skin type; "
    "seeds are in no test set (§2.4), so a group that gave seeds is tested without them."
)


def table2_rows(
    counts: SplitCounts, conditions: Sequence[str]
) -> list[tuple[str, FstGroup, FstGroup, int, int]]:
    """(condition, trained on, tested on, N computed, N printed) for every N the paper prints."""
    rows: list[tuple[str, FstGroup, FstGroup, int, int]] = []
    for condition in conditions:
        for train_group, tests in PAPER_TABLE2_N.get(condition, {}).items():
            for test_group, paper_n in tests.items():
                trained: FstGroup = _group(train_group)
                tested: FstGroup = _group(test_group)
                rows.append((condition, trained, tested,
                             counts.test_n(trained, condition, tested), paper_n))
    return rows


def _group(name: str) -> FstGroup:
    for group in FST_GROUPS:
        if group == name:
            return group
    raise ValueError(f"not a skin-type group: {name!r}")


def splits_markdown(counts: SplitCounts, params: SplitParams, seeds_from: str) -> str:
    lines = [
        "**Experiment splits (Sagers et al. 2022, §2.4)**", "",
        f"Conditions: {', '.join(params.conditions)}. Seeds: {seeds_from}. "
        f"Images: {'every CSV row' if params.pool == 'csv' else 'those in the workspace'} "
        "with a known skin type.", "",
        "| experiment | condition | train | seed | " + " | ".join(
            f"test {g}" for g in FST_GROUPS) + " |",
        "|---|---|---:|---:|" + "---:|" * len(FST_GROUPS),
    ]
    for train_group in params.train_groups:
        experiment = experiment_name(train_group)
        for condition in params.conditions:
            train = sum(counts.get(experiment, condition, g, "train") for g in FST_GROUPS)
            seed = sum(counts.get(experiment, condition, g, "seed") for g in FST_GROUPS)
            tests = [counts.get(experiment, condition, g, "test") for g in FST_GROUPS]
            lines.append(f"| {experiment} | {condition} | {train} | {seed} | "
                         + " | ".join(str(n) if n else "—" for n in tests) + " |")
    lines += _comparison(counts, params.conditions)
    return "\n".join(lines) + "\n"


def _comparison(counts: SplitCounts, conditions: Sequence[str]) -> list[str]:
    rows = table2_rows(counts, conditions)
    if not rows:
        return []
    lines = ["", "**Test-set sizes beside the paper's (Table 2 N; basal cell carcinoma: §3.3)**",
             "", "| condition | trained on | tested on | N (dermforge) | N (paper) | |",
             "|---|---|---|---:|---:|---|"]
    notes: list[str] = []
    for condition, trained, tested, computed, printed in rows:
        mark = "same"
        if computed != printed:
            note = PAPER_TABLE2_NOTES.get((condition, trained, tested))
            if note is not None:
                notes.append(f"{condition}, trained on {trained}, tested on {tested}: {note}")
                mark = f"differs, note {len(notes)}"
            else:
                mark = "differs"
        lines.append(f"| {condition} | FST {trained} | FST {tested} | {computed} | "
                     f"{printed} | {mark} |")
    lines += ["", TABLE2_NOTE]
    lines += [f"{i}. {note}" for i, note in enumerate(notes, start=1)]
    return lines
