"""What an evaluation produced: every run's predictions, and the table cells derived from them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..schemas import FST_GROUPS, FstGroup
from ._config import EvaluationConfig
from ._grid import Grid, RunSpec, slug
from ._metrics import CellAccuracy, cell_accuracy, summarize

__all__ = ["BackboneInfo", "EvaluationResult", "ReleaseInfo", "RunOutcome", "table_arms"]


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    repeat: int
    seed: int
    selected_epoch: int | None
    train_losses: tuple[float, ...]
    selection_losses: tuple[float, ...]
    predictions: dict[str, int]  # test item id → predicted class index
    seconds: float
    log_probs: tuple[tuple[float, ...], ...] = ()  # per test item (spec order), per class


@dataclass(frozen=True)
class BackboneInfo:
    name: str
    weights_id: str
    comparable_to_paper: bool
    dtype: str  # the compute type used ("auto" resolved)
    device: str = "cpu"  # where the backbone ran ("auto" resolved)
    device_detail: str = ""  # the GPU's name, or the CPU's capability and bf16 flags
    dtype_reason: str = ""  # why this dtype (printed and recorded)
    device_reason: str = ""
    torch: str = ""


@dataclass(frozen=True)
class ReleaseInfo:
    path: str
    manifest_sha256: str | None
    split_rows: int
    synthetic_rows: int
    generators: tuple[str, ...]  # "backend/model" of the synthetic images
    #: the release evaluated (release.json) and the digest of its data files as MANIFEST.json
    #: lists them; None for a folder that is no dermforge release (no release.json)
    name: str | None = None
    version: str | None = None
    data_sha256: str | None = None


def table_arms(config: EvaluationConfig) -> tuple[tuple[str, str], ...]:
    """Table 2's three columns: (arm key, run id suffix); the key matches PAPER_ARMS order."""
    return (("fitz_only", "fitz_only"), ("seed", "seed"),
            ("synthetic", f"synthetic-{config.synthetic}"))


@dataclass(frozen=True)
class EvaluationResult:
    config: EvaluationConfig
    release: ReleaseInfo
    source_images: str
    backbone: BackboneInfo
    grid: Grid
    outcomes: tuple[RunOutcome, ...]
    timings: dict[str, float] = field(default_factory=dict)

    def outcomes_of(self, run_id: str) -> list[RunOutcome]:
        return [o for o in self.outcomes if o.run_id == run_id]

    def run_id(self, experiment: str, condition: str, arm: str) -> str:
        """The run behind a Table 2 / Table 3 column (``arm``: fitz_only, seed, synthetic-N)."""
        if arm == "fitz_only":
            return f"{experiment}/fitz_only"
        return f"{experiment}/{slug(condition)}/{arm}"

    def test_groups(self, experiment: str) -> tuple[FstGroup, ...]:
        spec = next((r for r in self.grid.runs if r.experiment == experiment), None)
        if spec is None:
            return ()
        groups = {self.grid.items[i].group for i in spec.test}
        return tuple(g for g in FST_GROUPS if g in groups)

    def cell(self, run_id: str, condition: str, group: str) -> CellAccuracy | None:
        """Accuracy of ``condition`` on its test images of ``group`` in a run; None when the
        run was not computed or has no such test image."""
        outcomes = self.outcomes_of(run_id)
        if not outcomes or condition not in self.grid.classes:
            return None
        spec = self.grid.run(run_id)
        members = [i for i in spec.test if self.grid.items[i].condition == condition
                   and self.grid.items[i].group == group]
        if not members:
            return None
        index = self.grid.classes.index(condition)
        return summarize(len(members),
                         [cell_accuracy(index, members, o.predictions) for o in outcomes])

    def skipped_reason(self, run_id: str, condition: str | None) -> str:
        for skipped in self.grid.skipped:
            if skipped.scope == run_id or run_id.startswith(skipped.scope + "/") or (
                    skipped.scope == "condition" and skipped.condition == condition):
                return skipped.reason
        return "not computed"

    def overall_accuracy(self, spec: RunSpec) -> float | None:
        outcomes = self.outcomes_of(spec.run_id)
        if not outcomes:
            return None
        labels = {i: self.grid.classes.index(self.grid.items[i].condition) for i in spec.test}
        per = [sum(o.predictions[i] == labels[i] for i in spec.test) / len(spec.test)
               for o in outcomes]
        return sum(per) / len(per)

    def runs(self) -> Iterator[RunSpec]:
        return iter(self.grid.runs)

    def describe(self) -> dict[str, Any]:
        """The labels every report carries: what produced these numbers."""
        return {
            "backbone": self.backbone.name,
            "weights": self.backbone.weights_id,
            "comparable_to_paper": self.backbone.comparable_to_paper,
            "selection": self.config.selection,
            "cache": self.config.cache,
            "views": self.config.views,
            "dtype": self.backbone.dtype,
            "dtype_reason": self.backbone.dtype_reason,
            "device": self.backbone.device,
            "device_detail": self.backbone.device_detail,
            "torch": self.backbone.torch,
            "epochs": self.config.epochs,
            "image_size": self.config.image_size,
            "repeats": self.config.repeats,
            "generators": list(self.release.generators),
        }
