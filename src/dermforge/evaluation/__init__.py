"""Reference evaluation of a release: the Groh et al. VGG16 recipe over Sagers et al.'s grid.

Reads a release as a dataset user does (``datasets.load_dataset``) plus the real source images,
trains the paper's grid on frozen-backbone features (cached on disk), and writes Table 2,
Table 3, the spillover table, a Figure-3-style chart and a validation report beside the
paper's numbers. torch is optional (the ``eval`` extra): the names backed by torch load on
first use and raise MissingExtraError when it is not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._config import CacheMode, Device, Dtype, EvaluationConfig, Selection
from ._grid import ConditionCoverage, Grid, Item, RunSpec, Skipped, build_grid, synthetic_pool
from ._hardware import (
    AccuracyCheck,
    ComputeChoice,
    HardwareCapability,
    choose_dtype,
    probe_hardware,
    resolve_device,
)
from ._images import RealImages, open_rgb, scan_real_images
from ._metrics import Z95, CellAccuracy, normal_interval, summarize
from ._release import ReleaseInputs, SyntheticRow, load_release
from ._reports import REPORT_FILES, check_output_folder, metrics, write_reports
from ._results import BackboneInfo, EvaluationResult, ReleaseInfo, RunOutcome
from ._torch import require_torch
from ._validation import Comparison, table2_comparisons, validation_summary

if TYPE_CHECKING:
    from ._backbones import Backbone, create_backbone, list_backbones
    from ._features import FeatureCache, FeatureSpace
    from ._runner import Notes, Progress, evaluate_release
    from ._transforms import ViewMaker, test_transform, train_transform

__all__ = [
    "REPORT_FILES",
    "Z95",
    "AccuracyCheck",
    "Backbone",
    "BackboneInfo",
    "CacheMode",
    "CellAccuracy",
    "Comparison",
    "ComputeChoice",
    "ConditionCoverage",
    "Device",
    "Dtype",
    "EvaluationConfig",
    "EvaluationResult",
    "FeatureCache",
    "FeatureSpace",
    "Grid",
    "HardwareCapability",
    "Item",
    "Notes",
    "Progress",
    "RealImages",
    "ReleaseInfo",
    "ReleaseInputs",
    "RunOutcome",
    "RunSpec",
    "Selection",
    "Skipped",
    "SyntheticRow",
    "ViewMaker",
    "build_grid",
    "check_output_folder",
    "choose_dtype",
    "create_backbone",
    "evaluate_release",
    "list_backbones",
    "load_release",
    "metrics",
    "normal_interval",
    "open_rgb",
    "probe_hardware",
    "require_torch",
    "resolve_device",
    "scan_real_images",
    "summarize",
    "synthetic_pool",
    "table2_comparisons",
    "test_transform",
    "train_transform",
    "validation_summary",
    "write_reports",
]

#: Names whose modules import torch: loaded on first access.
_TORCH_BACKED = {
    "Backbone": "._backbones",
    "create_backbone": "._backbones",
    "list_backbones": "._backbones",
    "FeatureCache": "._features",
    "FeatureSpace": "._features",
    "Notes": "._runner",
    "Progress": "._runner",
    "evaluate_release": "._runner",
    "ViewMaker": "._transforms",
    "test_transform": "._transforms",
    "train_transform": "._transforms",
}


def __getattr__(name: str) -> Any:
    module = _TORCH_BACKED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require_torch()
    return getattr(importlib.import_module(module, __name__), name)
