"""Candidate and seed rows → arrow record batches, a chunk at a time, here or in workers.

Rendering a row (its records parsed again, their values put into the row's arrow columns
as ``_rows`` says, its images read and re-hashed) is most of a build's time and needs
nothing but the workspace index (read from a snapshot of the build's database), so chunks
are rendered in forked worker processes (Linux) while this process writes the shards.
Chunks are cut in the fixed row order, are at most :data:`CHUNK_ROWS` rows or
:data:`CHUNK_BYTES` image bytes, at most ``2 × workers`` of them are in flight, and the
results are taken in the order submitted: the release is byte-identical for any number of
workers, and memory stays bounded.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast

import pyarrow as pa
from datasets import Features

from ..cards import ReleaseFacts
from ..errors import IntegrityError, MissingInputError, ReleaseError
from ..schemas import SeedRow
from ..store import Workspace
from ._db import BuildDB
from ._diff import PreviousRelease
from ._features import to_arrow
from ._index import WorkspaceIndex, key_text
from ._rows import (
    Labels,
    Lineage,
    RequestColumns,
    candidate_columns,
    counted_verdicts,
    lineage,
    request_columns,
    seed_row,
)
from ._sidescan import Failure

__all__ = [
    "CHUNK_BYTES",
    "CHUNK_ROWS",
    "PARALLEL_FROM",
    "Chunk",
    "Ref",
    "Render",
    "Rendered",
    "Renderer",
    "SeedRef",
    "blob",
    "candidate_lineage",
    "chunks",
    "default_workers",
    "image_ext",
    "render_pool",
]

T = TypeVar("T")
CHUNK_ROWS = 256
CHUNK_BYTES = 4 * 2**20
#: a candidate's image bytes are estimated from its recorded width × height (a stat of each
#: blob in this process cost more than a tenth of a large build): 4 bytes a pixel, raw
#: RGBA, more than a PNG, JPEG or WebP of a photo takes
BYTES_PER_PIXEL = 4
#: below this many candidates a build renders in its own process (forking costs more)
PARALLEL_FROM = 2000


def default_workers() -> int:
    """Worker processes for rendering: the usable CPUs (1 = none: in this process)."""
    if sys.platform != "linux":
        return 1  # workers are forked, and re-open the scanned files via /proc/self/fd
    return max(1, len(os.sched_getaffinity(0)))


@dataclass
class Rendered:
    """One chunk: its rows for ``candidates`` and (the accepted ones) for ``synthetic``.

    The synthetic rows are the accepted candidates' rows with their own ``release_added``;
    they are taken from ``candidates`` where the chunk is written (:attr:`synthetic`), so
    a worker neither builds nor sends their image bytes a second time.
    """

    candidates: pa.RecordBatch
    #: per candidate: id, seed key (as text), verdict, image bytes
    rows: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    facts: ReleaseFacts | None = None
    #: (seed key as text, its pickled validated ``SeedRow``) of the seed keys met
    seeds: list[tuple[str, bytes]] = field(default_factory=list)
    #: positions (in ``candidates``) of the accepted rows, and the release each of them
    #: became synthetic in
    accepted: list[int] = field(default_factory=list)
    synthetic_added: list[str] = field(default_factory=list)

    @functools.cached_property
    def synthetic(self) -> pa.RecordBatch:
        """The ``synthetic`` rows: the accepted candidates with their ``release_added``,
        laid out as ``from_pylist`` lays them out (dataset_info's ``num_bytes`` counts the
        buffers, and ``take`` gives a validity bitmap also to a column without nulls)."""
        taken = self.candidates.take(pa.array(self.accepted, pa.int64()))
        column = taken.schema.get_field_index("release_added")
        taken = taken.set_column(column, taken.schema.field(column),
                                 pa.array(self.synthetic_added, pa.string()))
        return pa.RecordBatch.from_arrays([_pylist_layout(c) for c in taken.columns],
                                          schema=taken.schema)


def _pylist_layout(array: pa.Array) -> pa.Array:
    """``array`` without the validity bitmaps of arrays (or children) that hold no null."""
    kind = array.type
    children: list[pa.Array] | None = None
    if pa.types.is_struct(kind):
        children = [_pylist_layout(array.field(i)) for i in range(kind.num_fields)]
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        children = [_pylist_layout(array.values)]
    elif pa.types.is_nested(kind):
        raise TypeError(f"release columns are structs, lists and scalars, not {kind}")
    own = array.buffers()[:kind.num_buffers]
    if array.null_count == 0:
        own = [None, *own[1:]]
    return pa.Array.from_buffers(kind, len(array), own, null_count=array.null_count,
                                 offset=array.offset, children=children)


@dataclass
class Renderer:
    index: WorkspaceIndex
    features: Features
    seed_features: Features
    conditions: list[str]
    version: str
    prev: PreviousRelease | None

    def render(self, kind: str, refs: Chunk) -> Rendered:
        if kind == "seeds":
            return self.seeds(cast(list[SeedRef], refs))
        return self.candidates(cast(list[Ref], refs))

    def seeds(self, refs: list[SeedRef]) -> Rendered:
        """Rows of ``seeds`` (in ``Rendered.candidates``), one per seed key, from the
        ``SeedRow`` that the candidates' pass made of its records (``Rendered.seeds``);
        rows: (row key, "", None, image bytes)."""
        facts = ReleaseFacts(self.conditions)
        out: list[dict[str, Any]] = []
        rows: list[tuple[str, str, str | None, int]] = []
        for _, made in refs:
            # made by this build's own candidates pass (its scratch database), not input
            row: SeedRow = pickle.loads(made)  # noqa: S301
            fix = f"re-run `dermforge prepare` for seed {row.seed_id}"
            crop = blob(self.index.workspace, row.crop_sha256, f"the crop of seed {row.seed_id}",
                        fix)
            mask = blob(self.index.workspace, row.mask_sha256, f"the mask of seed {row.seed_id}",
                        fix)
            out.append(to_arrow(row, self.seed_features, {
                "crop": {"bytes": crop, "path": f"{row.seed_id}-crop.{image_ext(crop)}"},
                "mask": {"bytes": mask, "path": f"{row.seed_id}-mask.{image_ext(mask)}"}}))
            facts.add_seed(row)
            rows.append((f"{row.seed_id}/{row.crop_sha256}/{row.mask_sha256}", "", None,
                         len(crop) + len(mask)))
        return Rendered(pa.RecordBatch.from_pylist(out, schema=self.schemas[1]), rows, facts)

    def candidates(self, refs: list[Ref]) -> Rendered:
        """Rows of ``candidates`` and ``synthetic``; a candidate and its verdicts are read at
        the offsets that the chunk carries (no lookup by key). The ``SeedRow`` of each seed
        key met goes with them (``Rendered.seeds``): its records are at hand here."""
        facts = ReleaseFacts(self.conditions)
        candidates: list[dict[str, Any]] = []
        accepted: list[int] = []
        synthetic_added: list[str] = []
        rows: list[tuple[str, str, str | None, int]] = []
        seeds: dict[str, bytes] = {}
        shared: RequestColumns | None = None
        index = self.index
        for cid, at, human, auto in refs:
            c = index.candidates.at(at)
            assert c is not None  # every id of table cands comes from candidates.jsonl
            if shared is None or (c.request_id, c.source_id) != (
                    shared.line.candidate.request_id, shared.line.candidate.source_id):
                shared = request_columns(index, lineage(index, c), self.labels)
                seed_text = self._seed(shared.line, seeds)
            added = (self.prev.added_in(cid) if self.prev else None) or self.version
            single = index.rule == "single"  # else the offsets are not read
            verdict, weighed = counted_verdicts(
                index, cid, index.verdicts.at(human) if single else None,
                index.auto_verdicts.at(auto) if single else None)
            row, counted = candidate_columns(index, c, verdict, weighed, shared, added)
            data = blob(index.workspace, c.sha256, f"candidate {cid}",
                        f"re-run generation for request {c.request_id}")
            row["image"] = {"bytes": data, "path": f"{cid}.{image_ext(data)}"}
            if counted.verdict == "accept":  # the same row, with when it became synthetic
                accepted.append(len(candidates))
                synthetic_added.append(
                    (self.prev.synthetic_added_in(cid) if self.prev else None) or self.version)
            candidates.append(row)
            facts.add_row(counted)
            rows.append((cid, seed_text, counted.verdict, len(data)))
        return Rendered(pa.RecordBatch.from_pylist(candidates, schema=self.schemas[0]), rows,
                        facts, list(seeds.items()), accepted, synthetic_added)

    def _seed(self, line: Lineage, seeds: dict[str, bytes]) -> str:
        """The lineage's seed key as text ("" for text-to-image: no seed photograph, no
        seeds row), its ``SeedRow`` put into ``seeds`` if not there yet."""
        if line.seed_key is None:
            return ""
        key = key_text(line.seed_key)
        if key not in seeds:
            added = (self.prev.seed_added_in(line.seed_key) if self.prev else None) \
                or self.version
            seeds[key] = pickle.dumps(seed_row(line, added), protocol=pickle.HIGHEST_PROTOCOL)
        return key

    @functools.cached_property
    def schemas(self) -> tuple[pa.Schema, pa.Schema]:
        """The arrow schemas of candidate and seed rows (``Features`` builds them anew on
        every access)."""
        return self.features.arrow_schema, self.seed_features.arrow_schema

    @functools.cached_property
    def labels(self) -> Labels:
        """Class-label columns' names → index (as ``ClassLabel.str2int``)."""
        return {name: {label: i for i, label in enumerate(self.features[name].names)}
                for name in ("condition", "fst_group")}


def candidate_lineage(index: WorkspaceIndex, cid: str) -> Lineage:
    candidate = index.candidates.get(cid)
    assert candidate is not None  # every id of table cands comes from candidates.jsonl
    return lineage(index, candidate)


#: a row to render: candidate id, and the offsets of the candidate, its human and its
#: automatic verdict in their manifests (None: not given / no such verdict)
Ref = tuple[str, int | None, int | None, int | None]
#: a seeds row to render: its seed key (as text), and its pickled ``SeedRow``
SeedRef = tuple[str, bytes]
Chunk = list[Ref] | list[SeedRef]


def chunks(items: Iterable[tuple[T, int]]) -> Iterator[list[T]]:
    """Rows (from (row, its images' bytes or an upper estimate) in row order) in chunks of
    at most :data:`CHUNK_ROWS` rows or :data:`CHUNK_BYTES` image bytes."""
    chunk: list[T] = []
    size = 0
    for cid, nbytes in items:
        size += nbytes
        chunk.append(cid)
        if len(chunk) >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


# --- workers --------------------------------------------------------------------------------
_WORKER: Renderer | None = None


def _attach(snapshot: Path) -> None:
    assert _WORKER is not None  # set before the pool forks
    db = BuildDB.reader(snapshot)
    _WORKER.index.reattach(db)
    if _WORKER.prev is not None:
        _WORKER.prev = replace(_WORKER.prev, db=db)


def _render(kind: str, ids: Chunk) -> Rendered | Failure:
    assert _WORKER is not None
    try:
        return _WORKER.render(kind, ids)
    except Exception as exc:  # re-raised in the parent, as it was
        return Failure.of(exc)


def _take(future: Future[Rendered | Failure]) -> Rendered:
    result = future.result()
    if isinstance(result, Failure):
        raise result.exception() from None
    return result


Render = Callable[[str, Iterable[Chunk]], Iterator[Rendered]]


@contextlib.contextmanager
def render_pool(renderer: Renderer, workers: int) -> Iterator[Render]:
    """A function giving ``renderer.render(kind, chunk)`` of every chunk, in order: in
    ``workers`` forked processes when there are more than one (else in this one), at most
    ``2 × workers`` chunks ahead."""
    if workers <= 1:
        yield lambda kind, parts: (renderer.render(kind, chunk) for chunk in parts)
        return
    global _WORKER  # what the forked workers render with
    _WORKER = renderer
    snapshot = renderer.index.db.snapshot()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_attach, initargs=(snapshot,))

    def ordered(kind: str, parts: Iterable[Chunk]) -> Iterator[Rendered]:
        pending: deque[Future[Rendered | Failure]] = deque()
        for chunk in parts:
            pending.append(pool.submit(_render, kind, chunk))
            if len(pending) >= 2 * workers:
                yield _take(pending.popleft())
        while pending:
            yield _take(pending.popleft())

    try:
        yield ordered
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _WORKER = None
        snapshot.unlink(missing_ok=True)


def blob(workspace: Workspace, sha: str, what: str, fix: str) -> bytes:
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


def image_ext(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "bin"
