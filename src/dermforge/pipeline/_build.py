"""The build stage: the workspace's records and blobs → a versioned release folder (typed
parquet shards, card, Croissant, release.json, MANIFEST.json); refuses what must not be
released, never overwrites, removes what a killed build left."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..builder import BuildParams, BuildResult, build_release
from ..curation import CurateParams
from ..errors import InputError
from ..store import Workspace
from ._common import Progress, as_workspace

__all__ = ["run_build"]


def run_build(workspace: Workspace | Path, params: BuildParams, curate: CurateParams, *,
              out: Path, version: str | None = None, previous: Path | None = None,
              created: datetime | None = None, git_revision: str | None = None,
              progress: Progress | None = None) -> BuildResult:
    """Build release ``version`` (else ``params.version``) of the workspace into the new
    folder ``out``. ``git_revision`` defaults to the last commit of the dermforge source;
    ``created`` to $SOURCE_DATE_EPOCH, else the newest verdict."""
    ws = as_workspace(workspace)
    version = version or params.version
    if version is None:
        raise InputError("no release version: pass --release-version X.Y.Z or set "
                         "build.version in params.yaml", fix="e.g. --release-version 1.0.0")

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress("building", done, total)

    return build_release(ws, version=version, out=out, previous=previous,
                         created=created, params=params, curate=curate,
                         git_revision=git_revision, progress=report)
