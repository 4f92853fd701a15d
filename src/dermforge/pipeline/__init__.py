"""The release pipeline, one function per stage: ``run_<stage>(workspace, params, …)``.

Each does exactly what its CLI command does — load its inputs, check them, persist its
records and blobs (its own blob layer), clean up what a killed run of it left — and returns
what it did; the CLI only prints, and ``dvc.yaml`` only calls the CLI. So a Python user
gets every check the command line has::

    from dermforge.pipeline import run_seeds, run_prepare
    from dermforge.sampling import SeedParams
    run_seeds("workspace", SeedParams(n_per_group=4))

Stages in pipeline order: import (sources) → seeds → splits → prepare → generate → curate
(the demo policy; human verdicts come from the workbench or a CSV) → signals → build →
evaluate → attach (the evaluation into the release) → sign (the distributable release: marked
images, release.sig; outside DVC, since signatures are not reproducible).
"""

from ._attach import run_attach
from ._build import run_build
from ._common import Progress, StageRun
from ._curate import run_curate
from ._evaluate import EvaluateRun, default_cache_dir, run_evaluate
from ._generate import GenerateRun, make_backend, run_generate
from ._prepare import PrepareRun, run_prepare
from ._seeds import SeedsRun, run_seeds
from ._sign import default_demo_keys, default_signed_cache, run_demo_keys, run_sign
from ._signals import SignalsStageRun, run_signals
from ._sources import DownloadRun, ImportRun, run_download, run_import
from ._splits import SplitsRun, run_splits

__all__ = [
    "DownloadRun",
    "EvaluateRun",
    "GenerateRun",
    "ImportRun",
    "PrepareRun",
    "Progress",
    "SeedsRun",
    "SignalsStageRun",
    "SplitsRun",
    "StageRun",
    "default_cache_dir",
    "default_demo_keys",
    "default_signed_cache",
    "make_backend",
    "run_attach",
    "run_build",
    "run_curate",
    "run_demo_keys",
    "run_download",
    "run_evaluate",
    "run_generate",
    "run_import",
    "run_prepare",
    "run_seeds",
    "run_sign",
    "run_signals",
    "run_splits",
]
