"""Build a release folder from a workspace: check, then stream rows into shards, describe.

The folder is written under a temporary name beside ``out`` and renamed into place only when
complete; an existing release is never overwritten. Rows are sorted and every timestamp comes
from the inputs, so the same workspace gives byte-identical files.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .._atomic import fsync_dir
from .._clock import source_date
from ..curation import CurateParams
from ..errors import InputError, ReleaseError
from ..schemas import Release
from ..store import Workspace
from ._checks import find_refusals, raise_refusals
from ._db import BuildDB
from ._describe import describe
from ._diff import PreviousRelease, ReleaseDiff, diff_releases, read_previous
from ._index import WorkspaceIndex
from ._params import BuildParams
from ._shards import ShardInfo
from ._write import Progress, write_rows

__all__ = ["BuildResult", "build_release", "parse_version", "resolve_created"]


@dataclass(frozen=True)
class BuildResult:
    path: Path
    release: Release
    diff: ReleaseDiff
    shards: dict[str, list[ShardInfo]]


def parse_version(version: str) -> tuple[int, int, int]:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise InputError(f"--version {version!r} is not a semantic version X.Y.Z",
                         fix="use three numbers, e.g. --version 1.0.0")
    return int(parts[0]), int(parts[1]), int(parts[2])


def resolve_created(explicit: datetime | None, db: BuildDB) -> datetime:
    """--created, else $SOURCE_DATE_EPOCH, else the newest verdict — never the clock."""
    if explicit is not None:
        if explicit.tzinfo is None:
            raise InputError(f"--created {explicit.isoformat()!r} has no time zone",
                             fix="add one, e.g. 2026-01-31T12:00:00+00:00")
        return explicit.astimezone(UTC)
    fixed = source_date()
    if fixed is not None:
        return fixed
    newest = db.one("SELECT MAX(d.decided_us) FROM decisions d JOIN cands c USING (cid)")
    return datetime.fromtimestamp(newest // 1_000_000, UTC).replace(
        microsecond=newest % 1_000_000)


def _check_target(out: Path, version: str, previous: Path | None) -> None:
    parse_version(version)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} already exists: a built release is never overwritten",
                           fix="pass a new --out folder (and a new --version)")
    if previous is not None and out.resolve() == previous.resolve():
        raise ReleaseError("--out and --previous are the same folder",
                           fix="pass a new --out folder")


def _check_previous(prev: PreviousRelease, version: str, name: str) -> None:
    if prev.release.name != name:
        raise ReleaseError(f"--previous is release {prev.release.name!r}, not {name!r}",
                           fix="pass the previous release of the same dataset")
    if parse_version(version) <= parse_version(prev.release.version):
        raise ReleaseError(f"version {version} is not newer than the previous release "
                           f"{prev.release.version}", fix="pick a higher --version")


def build_release(
    workspace: Workspace,
    *,
    version: str,
    out: Path,
    previous: Path | None = None,
    created: datetime | None = None,
    params: BuildParams | None = None,
    curate: CurateParams | None = None,
    git_revision: str | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Check the workspace, then write release ``version`` into the new folder ``out``."""
    params = params or BuildParams()
    curate = curate or CurateParams()
    _check_target(out, version, previous)
    db = BuildDB()
    index: WorkspaceIndex | None = None
    try:
        prev = read_previous(previous, db) if previous is not None else None
        if prev is not None:
            _check_previous(prev, version, params.name)
        index = WorkspaceIndex.load(workspace, db)
        raise_refusals(find_refusals(db, keep_per_seed=curate.keep_per_seed,
                                     previous_version=prev.release.version if prev else None))
        if db.one("SELECT 1 FROM decisions d JOIN cands c USING (cid) "
                  "WHERE d.decision = 'accept' LIMIT 1") is None:
            raise ReleaseError("no candidate is accepted: the release would be empty",
                               fix="curate first (`dermforge curate import` or, for the demo, "
                               "`dermforge curate auto --policy first-k`)")
        when = resolve_created(created, db)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            written = write_rows(tmp, index, version=version, prev=prev, params=params,
                                 progress=progress)
            diff = diff_releases(db, prev)
            release = describe(tmp, written, diff, version=version, prev=prev, created=when,
                               params=params, curate=curate, git_revision=git_revision)
            fsync_dir(tmp)
            if out.is_dir():
                out.rmdir()  # empty (checked above); a concurrent build makes this fail loudly
            tmp.rename(out)
            fsync_dir(out.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        if index is not None:
            index.close()
        db.close()
    return BuildResult(out, release, diff, written.shards)
