"""Build a release folder from a workspace: validate, join, stream into shards, describe.

The folder is written under a temporary name beside ``out`` and renamed into place only when
complete; an existing release is never overwritten. Rows are sorted and every timestamp comes
from the inputs, so the same workspace gives byte-identical files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from datasets import Features

from .. import __version__
from .._atomic import atomic_write_text, fsync_dir
from ..cards import CardInput, ConfigInfo, ReleaseFacts, croissant, render_card, render_changelog
from ..curation import CurateParams
from ..errors import InputError, IntegrityError, MissingInputError, ReleaseError
from ..schemas import Release, ReleaseRow, json_schema_text
from ..store import Workspace, sha256_file
from ._checks import find_refusals, raise_refusals
from ._diff import PreviousRelease, ReleaseDiff, diff_releases, read_previous
from ._features import CONFIGS, condition_names, config_features, to_arrow
from ._folder import RELEASE_JSON
from ._index import WorkspaceIndex
from ._manifest import write_manifest
from ._params import BuildParams
from ._rows import Lineage, lineage, release_row, seed_row
from ._shards import ShardInfo, ShardWriter

__all__ = ["BuildResult", "build_release", "parse_version", "resolve_created"]

Progress = Callable[[int, int], None]


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


def resolve_created(explicit: datetime | None, index: WorkspaceIndex) -> datetime:
    """--created, else $SOURCE_DATE_EPOCH, else the newest verdict — never the clock."""
    if explicit is not None:
        if explicit.tzinfo is None:
            raise InputError(f"--created {explicit.isoformat()!r} has no time zone",
                             fix="add one, e.g. 2026-01-31T12:00:00+00:00")
        return explicit.astimezone(UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not epoch.isdigit():
            raise InputError(f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds",
                             fix="unset it or set it to an integer Unix time")
        return datetime.fromtimestamp(int(epoch), UTC)
    times = [v.decided_at for cid, v in index.latest.items() if cid in index.candidates]
    return max(times).astimezone(UTC)


def _check_target(out: Path, version: str, previous: PreviousRelease | None,
                  name: str) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} already exists: a built release is never overwritten",
                           fix="pass a new --out folder (and a new --version)")
    if previous is None:
        return
    prev = previous.release
    if prev.name != name:
        raise ReleaseError(f"--previous is release {prev.name!r}, not {name!r}",
                           fix="pass the previous release of the same dataset")
    if parse_version(version) <= parse_version(prev.version):
        raise ReleaseError(f"version {version} is not newer than the previous release "
                           f"{prev.version}", fix="pick a higher --version")


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
    params = params or BuildParams()
    curate = curate or CurateParams()
    parse_version(version)
    prev = read_previous(previous) if previous is not None else None
    _check_target(out, version, prev, params.name)
    index = WorkspaceIndex.load(workspace)
    raise_refusals(find_refusals(
        index, keep_per_seed=curate.keep_per_seed,
        previous_version=prev.release.version if prev else None,
        previous_accepted=prev.synthetic if prev else ()))
    if not any(v.decision == "accept" for c, v in index.latest.items() if c in index.candidates):
        raise ReleaseError("no candidate is accepted: the release would be empty",
                           fix="curate first (`dermforge curate import` or, for the demo, "
                           "`dermforge curate auto --policy first-k`)")
    when = resolve_created(created, index)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        result = _write(tmp, index, version=version, prev=prev, created=when, params=params,
                        curate=curate, git_revision=git_revision, progress=progress)
        fsync_dir(tmp)
        if out.is_dir():
            out.rmdir()  # empty (checked above); a concurrent build makes this fail loudly
        tmp.rename(out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, result[0], result[1], result[2])


def _sorted_lineages(index: WorkspaceIndex, conditions: list[str]) -> list[Lineage]:
    lines = [lineage(index, c) for c in index.candidates.values()]
    order = {name: i for i, name in enumerate(conditions)}
    return sorted(lines, key=lambda ln: (order[ln.seed.condition], ln.seed.group,
                                         ln.seed.source_id, ln.candidate.created,
                                         ln.candidate.request_id, ln.candidate.index))


def _write(root: Path, index: WorkspaceIndex, *, version: str, prev: PreviousRelease | None,
           created: datetime, params: BuildParams, curate: CurateParams,
           git_revision: str | None,
           progress: Progress | None) -> tuple[Release, ReleaseDiff, dict[str, list[ShardInfo]]]:
    conditions = condition_names([s.condition for s in index.seeds.values()]
                                 + [m.condition for m in index.splits])
    features = {name: config_features(name, conditions) for name in CONFIGS}
    writers = {name: ShardWriter(root, name, features[name], params) for name in CONFIGS}
    facts = ReleaseFacts(conditions)
    lines = _sorted_lineages(index, conditions)
    seeds: dict[tuple[str, str, str], Lineage] = {}
    for line in lines:
        seeds.setdefault(line.seed_key, line)
    total, done = len(lines) + len(seeds), 0
    verdicts: dict[str, str | None] = {}
    try:
        for line in lines:
            c = line.candidate
            added = prev.added_in.get(c.candidate_id, version) if prev else version
            row = release_row(index, line, added)
            data = _blob(index.workspace, c.sha256, f"candidate {c.candidate_id}",
                         f"re-run generation for request {c.request_id}")
            image = {"image": {"bytes": data, "path": f"{c.candidate_id}.{_ext(data)}"}}
            writers["candidates"].add(to_arrow(row, features["candidates"], image), len(data))
            if row.verdict == "accept":
                added = prev.synthetic_added_in.get(c.candidate_id, version) if prev else version
                row = row.model_copy(update={"release_added": added})
                writers["synthetic"].add(to_arrow(row, features["synthetic"], image), len(data))
            facts.add_row(row)
            verdicts[c.candidate_id] = row.verdict
            done += 1
            if progress:
                progress(done, total)
        for key in sorted(seeds):
            _add_seed(index, seeds[key], writers["seeds"], facts,
                      prev.seeds_added_in.get(key, version) if prev else version)
            done += 1
            if progress:
                progress(done, total)
        for m in sorted(index.splits, key=lambda m: (m.experiment, m.source_id)):
            writers["splits"].add(to_arrow(m, features["splits"]))
            facts.add_split(m)
        shards = {name: w.close() for name, w in writers.items()}
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    synthetic = {cid for cid, v in verdicts.items() if v == "accept"}
    diff = diff_releases(prev, synthetic, verdicts)
    release = _describe(root, shards, facts, features, diff, version=version, prev=prev,
                        created=created, params=params, curate=curate,
                        git_revision=git_revision)
    return release, diff, shards


def _add_seed(index: WorkspaceIndex, line: Lineage, writer: ShardWriter, facts: ReleaseFacts,
              added: str) -> None:
    row = seed_row(line, added)
    fix = f"re-run `dermforge prepare` for seed {row.seed_id}"
    crop = _blob(index.workspace, row.crop_sha256, f"the crop of seed {row.seed_id}", fix)
    mask = _blob(index.workspace, row.mask_sha256, f"the mask of seed {row.seed_id}", fix)
    writer.add(to_arrow(row, writer.features, {
        "crop": {"bytes": crop, "path": f"{row.seed_id}-crop.{_ext(crop)}"},
        "mask": {"bytes": mask, "path": f"{row.seed_id}-mask.{_ext(mask)}"},
    }), len(crop) + len(mask))
    facts.add_seed(row)


def _blob(workspace: Workspace, sha: str, what: str, fix: str) -> bytes:
    try:
        return workspace.blobs.read(sha)
    except IntegrityError as exc:
        raise ReleaseError(f"{what}: its stored bytes do not match its sha256 {sha} "
                           f"({exc.message})",
                           fix=f"restore the blob (e.g. `dvc pull`), or delete "
                           f"{workspace.blobs.path(sha)} and {fix}") from None
    except MissingInputError:
        raise ReleaseError(f"{what}: its image {sha} is not in the store "
                           f"{workspace.blobs.root}",
                           fix=f"restore the blob (e.g. `dvc pull`), or {fix}") from None


def _ext(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "bin"


def _describe(root: Path, shards: dict[str, list[ShardInfo]], facts: ReleaseFacts,
              features: dict[str, Features], diff: ReleaseDiff, *, version: str,
              prev: PreviousRelease | None, created: datetime, params: BuildParams,
              curate: CurateParams, git_revision: str | None) -> Release:
    atomic_write_text(root / "provenance.schema.json", json_schema_text(ReleaseRow))
    configs = [ConfigInfo(name, CONFIGS[name], sum(s.rows for s in shards[name]),
                          sum(s.num_bytes for s in shards[name]),
                          sum(s.size for s in shards[name]),
                          tuple(s.path for s in shards[name])) for name in CONFIGS]
    counts = {c.name: c.rows for c in configs}
    counts.update({f"verdict_{k}": sum(n for (_, _, d), n in facts.curation.items() if d == k)
                   for k in ("accept", "reject", "undecided", "unreviewed")})
    changelog = diff.lines(counts)
    files = {s.path: sha256_file(root / s.path) for shard in shards.values() for s in shard}
    files["provenance.schema.json"] = sha256_file(root / "provenance.schema.json")
    release = Release(
        name=params.name, version=version, parent_version=prev.release.version if prev else None,
        created=created, dermforge_version=__version__, git_revision=git_revision,
        params={"build": params.model_dump(mode="json"),
                "curate": curate.model_dump(mode="json")},
        counts=counts, files=dict(sorted(files.items())), changelog=tuple(changelog))
    _dump(root / RELEASE_JSON, release.model_dump(mode="json"))
    card = CardInput(
        name=params.name, pretty_name=params.pretty_name, version=version,
        previous=release.parent_version, created=created, dermforge_version=__version__,
        homepage=params.homepage, creator=params.creator,
        keep_per_seed=curate.keep_per_seed, facts=facts, configs=configs,
        features=features, changelog=changelog)
    _dump(root / "croissant.json", croissant(card))
    atomic_write_text(root / "README.md", render_card(card))
    atomic_write_text(root / "CHANGELOG.md", render_changelog(card, prev.changelog if prev
                                                              else ""))
    write_manifest(root)
    return release


def _dump(path: Path, data: object) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n")
