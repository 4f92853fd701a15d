"""The evaluate stage: the paper's grid trained on a release, read as a dataset user reads
it → Table 2/3, spillover, Figure 3, metrics.json and validation.md in the output folder.

torch is imported only here, when the stage runs (``dermforge[eval]``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._attach import run_attach

if TYPE_CHECKING:
    from ..builder import AttachResult
    from ..evaluation import EvaluationConfig, EvaluationResult

__all__ = ["EvaluateRun", "default_cache_dir", "run_evaluate"]


@dataclass
class EvaluateRun:
    result: EvaluationResult
    written: list[Path]
    #: the attachment to the release (``attach=True``)
    attached: AttachResult | None = None


def default_cache_dir() -> Path:
    """$DERMFORGE_CACHE_DIR, else $XDG_CACHE_HOME/dermforge/features (~/.cache/...)."""
    explicit = os.environ.get("DERMFORGE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dermforge" / "features"


def run_evaluate(release: Path, source_images: Path, config: EvaluationConfig, *, out: Path,
                 cache_dir: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None,
                 attach: bool = False,
                 notes: Callable[[str], None] | None = None) -> EvaluateRun:
    """Evaluate ``release`` (the real images from ``source_images``, md5-checked) and replace
    ``out`` with the reports. Refuses an ``out`` that holds anything but earlier reports,
    before any work. ``attach``: then attach the reports to the release in place
    (:func:`run_attach`); a folder that is no release is refused before any work.
    ``notes`` hears the device and dtype chosen and why, and any cache not reused."""
    from ..builder import ReleaseFolder
    from ..evaluation import check_output_folder, evaluate_release, require_torch, write_reports

    require_torch()
    check_output_folder(out)
    if attach:
        _ = ReleaseFolder(release).release  # NotAReleaseError / ReleaseError before the work
    result = evaluate_release(release, source_images, config,
                              cache_dir=cache_dir or default_cache_dir(), progress=progress,
                              notes=notes)
    written = write_reports(out, result)
    return EvaluateRun(result, written, run_attach(release, out) if attach else None)
