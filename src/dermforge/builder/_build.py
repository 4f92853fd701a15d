"""Build a release folder from a workspace: check, then stream rows into shards, describe.

The folder is written under a temporary name beside ``out`` (``.NAME.partial-PID-…``) and
renamed into place only when complete; an existing release is never overwritten, also not by
a build racing this one. Rows are sorted and every timestamp comes from the inputs, so the
same workspace and code give byte-identical files.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .._atomic import storage_errors
from .._clock import source_date
from ..curation import CurateParams
from ..errors import InputError, ReleaseError, StorageError
from ..schemas import Release
from ..store import Workspace
from ._checks import find_refusals, raise_refusals
from ._db import BuildDB
from ._describe import describe
from ._diff import PreviousRelease, ReleaseDiff, diff_releases, read_previous
from ._index import WorkspaceIndex
from ._params import BuildParams
from ._partial import clean_partials
from ._partial import partial as _partial
from ._provenance import git_revision as code_revision
from ._render import default_workers
from ._shards import ShardInfo
from ._write import Progress, write_rows

__all__ = ["BuildResult", "build_release", "parse_version", "resolve_created"]


@dataclass(frozen=True)
class BuildResult:
    path: Path
    release: Release
    diff: ReleaseDiff
    shards: dict[str, list[ShardInfo]]
    #: partial folders of killed builds (beside ``path``) that this build removed
    cleaned: list[Path] = field(default_factory=list)


def parse_version(version: str) -> tuple[int, int, int]:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise InputError(f"release version {version!r} is not a semantic version X.Y.Z",
                         fix="use three numbers, e.g. --release-version 1.0.0")
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
    workers: int | None = None,
) -> BuildResult:
    """Check the workspace, then write release ``version`` into the new folder ``out``.

    ``git_revision`` defaults to the last commit of the dermforge source (see
    :func:`dermforge.builder.git_revision`). Partial folders that killed builds left beside
    ``out`` are removed first (``BuildResult.cleaned``). Another build finishing ``out``
    first is a ReleaseError; a full disk a StorageError; in both cases nothing is left.
    ``workers``: processes that render rows (default: one per usable CPU on Linux, else 1 =
    this process only; more than 1 also scans a large candidates manifest in a process of
    its own); the release is byte-identical for any number.
    """
    params = params or BuildParams()
    curate = curate or CurateParams()
    _check_target(out, version, previous)
    revision = git_revision if git_revision is not None else code_revision()
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(_scratch_db())
        prev = read_previous(previous, db) if previous is not None else None
        if prev is not None:
            _check_previous(prev, version, params.name)
        workers = default_workers() if workers is None else workers
        index = WorkspaceIndex.load(workspace, db, curate.rule, side_scan=workers > 1)
        stack.callback(index.close)
        _refuse(db, curate, prev)
        when = resolve_created(created, db)
        cleaned = clean_partials(out)
        with _partial(out) as tmp:
            written = write_rows(tmp, index, version=version, params=params,
                                 progress=progress,
                                 workers=workers)
            diff = diff_releases(db, prev)
            release = describe(tmp, written, diff, version=version, prev=prev, created=when,
                               params=params, curate=curate, git_revision=revision)
    return BuildResult(out, release, diff, written.shards, cleaned)


def _refuse(db: BuildDB, curate: CurateParams, prev: PreviousRelease | None) -> None:
    raise_refusals(find_refusals(db, keep_per_seed=curate.keep_per_seed,
                                 previous_version=prev.release.version if prev else None))
    if db.one("SELECT 1 FROM decisions d JOIN cands c USING (cid) "
              "WHERE d.decision = 'accept' LIMIT 1") is None:
        raise ReleaseError("no candidate is accepted: the release would be empty",
                           fix="curate first (`dermforge curate import` or, for the demo, "
                           "`dermforge curate auto --policy first-k`)")


@contextlib.contextmanager
def _scratch_db() -> Iterator[BuildDB]:
    """The build's scratch database, deleted at the end; SQLite failing to write it (a full
    or size-limited temp file system) is a StorageError, not a traceback."""
    with storage_errors(Path(tempfile.gettempdir())), _scratch_errors():
        db = BuildDB()
    try:
        with _scratch_errors():
            yield db
    finally:
        db.close()


@contextlib.contextmanager
def _scratch_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "full" not in str(exc) and "I/O error" not in str(exc):
            raise
        raise StorageError(f"could not write the build's scratch database in "
                           f"{tempfile.gettempdir()}: {exc}",
                           fix="free space in the temp folder's file system (or point TMPDIR "
                           "at a larger one), then build again; nothing was kept") from None
