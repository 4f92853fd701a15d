"""A Figure-3-style grouped bar chart: accuracy per test group and training arm, with the
95% intervals as error bars and the paper's values as markers."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from .._paper import PAPER_TABLE2
from ..errors import MissingExtraError
from ._results import EvaluationResult, table_arms
from ._tables import ARM_TITLES

__all__ = ["figure3_png"]

_COLOURS = {"fitz_only": "#9e9e9e", "seed": "#4a90d9", "synthetic": "#e07b39"}


def figure3_png(result: EvaluationResult) -> bytes:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError:
        raise MissingExtraError("matplotlib", "eval") from None
    conditions = result.grid.augmented or ("(none)",)
    experiments = result.grid.experiments
    fig, axes = plt.subplots(len(conditions), len(experiments), squeeze=False,
                             figsize=(4.2 * len(experiments), 3.2 * len(conditions)))
    arms = table_arms(result.config)
    for row, condition in enumerate(conditions):
        for col, experiment in enumerate(experiments):
            ax = axes[row][col]
            groups = result.test_groups(experiment)
            ax.set_title(f"{condition}\ntrained on FST {experiment.removeprefix('train-')}",
                         fontsize=9)
            ax.set_ylim(0, 1)
            ax.set_xticks(range(len(groups)), [f"FST {g}" for g in groups], fontsize=8)
            drawn = False
            for index, (arm, suffix) in enumerate(arms):
                for x, group in enumerate(groups):
                    cell = result.cell(result.run_id(experiment, condition, suffix),
                                       condition, group)
                    offset = x + (index - 1) * 0.26
                    paper = PAPER_TABLE2.get(condition, {}).get(
                        experiment.removeprefix("train-"), {}).get(group)
                    if paper is not None:
                        ax.plot(offset, paper[index].value, marker="D", color="black",
                                markersize=4)
                    if cell is None:
                        continue
                    drawn = True
                    ax.bar(offset, cell.accuracy, width=0.24, color=_COLOURS[arm],
                           yerr=[[cell.accuracy - cell.low], [cell.high - cell.accuracy]],
                           capsize=2)
            if not drawn:
                reason = result.skipped_reason(
                    result.run_id(experiment, condition, "seed"), condition)
                ax.text(0.5, 0.5, "not computable:\n" + textwrap.fill(reason, 45),
                        ha="center", va="center", fontsize=7, transform=ax.transAxes,
                        bbox={"facecolor": "white", "edgecolor": "#cccccc"})
            if col == 0:
                ax.set_ylabel("accuracy")
    label = "pipeline check, not comparable to the paper" if not \
        result.backbone.comparable_to_paper else "paper's backbone"
    fig.suptitle(f"Accuracy by training data ({result.backbone.name}; {label})", fontsize=10)
    handles: list[Any] = [Patch(color=_COLOURS[arm], label=ARM_TITLES[arm]) for arm, _ in arms]
    handles.append(Line2D([], [], marker="D", color="black", linestyle="", label="paper"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
