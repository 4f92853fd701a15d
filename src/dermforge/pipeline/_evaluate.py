"""The evaluate stage: the paper's grid trained on a release, read as a dataset user reads
it → Table 2/3, spillover, Figure 3, metrics.json and validation.md in the output folder.

torch is imported only here, when the stage runs (``dermforge[eval]``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..evaluation import EvaluationConfig, EvaluationResult

__all__ = ["EvaluateRun", "default_cache_dir", "run_evaluate"]


@dataclass
class EvaluateRun:
    result: EvaluationResult
    written: list[Path]


def default_cache_dir() -> Path:
    """$DERMFORGE_CACHE_DIR, else $XDG_CACHE_HOME/dermforge/features (~/.cache/...)."""
    explicit = os.environ.get("DERMFORGE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dermforge" / "features"


def run_evaluate(release: Path, source_images: Path, config: EvaluationConfig, *, out: Path,
                 cache_dir: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> EvaluateRun:
    """Evaluate ``release`` (the real images from ``source_images``, md5-checked) and replace
    ``out`` with the reports. Refuses an ``out`` that holds anything but earlier reports,
    before any work."""
    from ..evaluation import check_output_folder, evaluate_release, require_torch, write_reports

    require_torch()
    check_output_folder(out)
    result = evaluate_release(release, source_images, config,
                              cache_dir=cache_dir or default_cache_dir(), progress=progress)
    return EvaluateRun(result, write_reports(out, result))
