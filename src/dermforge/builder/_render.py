"""Candidate and seed rows → arrow record batches, a chunk at a time, here or in workers.

Rendering a chunk (its rows' columns taken from the scan's column files by the lines SQLite
joins for them, ``_assemble``; its images read and re-hashed; the card's counts of it) is most
of a build's time and needs nothing but the workspace index (read from a snapshot of the
build's database) and the column files, so chunks are rendered in forked worker processes
(Linux) while this process writes the shards.
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
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from datasets import Features

from ..cards import ReleaseFacts
from ..errors import IntegrityError, MissingInputError, ReleaseError
from ..store import Workspace
from ._assemble import (
    SEED_LINES,
    LineRow,
    Tables,
    Unfit,
    assemble,
    candidate_columns,
    candidate_lines,
    check_fit,
    complete,
    facts_of,
    label,
    lines_of,
    raise_incomplete,
    seed_columns,
    seed_facts,
    verdict_columns,
)
from ._columns import SPECS, column_path, read_columns
from ._db import BuildDB
from ._features import FST_NAMES
from ._index import WorkspaceIndex
from ._rows import Lineage, lineage
from ._sidescan import Failure

__all__ = [
    "CHUNK_BYTES",
    "CHUNK_ROWS",
    "PARALLEL_FROM",
    "Chunk",
    "Render",
    "Rendered",
    "Renderer",
    "blob",
    "candidate_lineage",
    "chunks",
    "default_workers",
    "image_ext",
    "pylist_layout",
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
    #: per row: its key (candidate id; a seeds row's seed/crop/mask), verdict, image bytes
    rows: list[tuple[str, str | None, int]] = field(default_factory=list)
    facts: ReleaseFacts | None = None
    #: positions (in ``candidates``) of the accepted rows, and the release each of them
    #: became synthetic in
    accepted: list[int] = field(default_factory=list)
    synthetic_added: list[str] = field(default_factory=list)

    @functools.cached_property
    def synthetic(self) -> pa.RecordBatch:
        """The ``synthetic`` rows: the accepted candidates with their ``release_added``."""
        taken = self.candidates.take(pa.array(self.accepted, pa.int64()))
        column = taken.schema.get_field_index("release_added")
        taken = taken.set_column(column, taken.schema.field(column),
                                 pa.array(self.synthetic_added, pa.string()))
        return pylist_layout(taken)


def pylist_layout(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` laid out as ``from_pylist`` lays it out: dataset_info's ``num_bytes``
    counts the buffers, and ``take`` (and other kernels) give a validity bitmap also to a
    column without nulls."""
    return pa.RecordBatch.from_arrays([_pylist_layout(c) for c in batch.columns],
                                      schema=batch.schema)


def _pylist_layout(array: pa.Array, parent: pa.Array | None = None) -> pa.Array:
    """``array`` without the validity bitmaps of arrays (or children) that hold no null;
    a struct's child counts no null where the struct itself is null (``parent``), as
    ``from_pylist`` fills it there, where ``take`` leaves nulls."""
    kind = array.type
    children: list[pa.Array] | None = None
    if pa.types.is_struct(kind):
        children = [_pylist_layout(array.field(i), array) for i in range(kind.num_fields)]
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        children = [_pylist_layout(array.values)]
    elif pa.types.is_nested(kind):
        raise TypeError(f"release columns are structs, lists and scalars, not {kind}")
    own = array.buffers()[:kind.num_buffers]
    nulls = array.null_count
    if nulls and parent is not None and parent.null_count and not pc.any(
            pc.and_(pc.is_null(array), pc.is_valid(parent))).as_py():
        nulls = 0  # null only where the struct is: no null of its own
    if nulls == 0:
        own = [None, *own[1:]]
    return pa.Array.from_buffers(kind, len(array), own, null_count=nulls,
                                 offset=array.offset, children=children)


@dataclass
class Renderer:
    index: WorkspaceIndex
    features: Features
    seed_features: Features
    conditions: list[str]
    version: str

    def render(self, kind: str, keys: list[str]) -> Rendered:
        if kind == "seeds":
            return self.seeds(keys)
        return self.candidates(keys)

    def candidates(self, cids: list[str]) -> Rendered:
        """Rows of ``candidates`` and ``synthetic``, column by column (``_assemble``); the
        first row whose lineage is incomplete raises, after the images of the rows before
        it were read."""
        index, rows = self.index, candidate_lines(self.index.db.conn, cids)
        cols = candidate_columns(self.tables, rows)
        sources = cols["source_sha256"].to_pylist()
        bad = next((i for i, row in enumerate(rows)
                    if not complete(row) or (sources[i] is None and not row[1])), None)
        images, sizes = self._images(cids[:bad], cols["image_sha256"].to_pylist(),
                                     cols["request_id"].to_pylist())
        if bad is not None:
            raise_incomplete(index, cids[bad], self.version)
        check_fit(self.unfit, [*((t, [row[at] for row in rows]) for t, at in _CANDIDATE_FILES),
                               ("f_signals", cols.pop("signals_used").to_pylist()),
                               *self._verdict_lines(rows)], self._path)
        verdicts, weighed = verdict_columns(index, self.tables, rows)
        cols.update(verdicts)
        facts = ReleaseFacts(self.conditions)
        facts_of(facts, cols, weighed, index.rule)
        cols.update(image=images, release_added=pa.array(
            [row[15] or self.version for row in rows], pa.string()),
            curation_rule=pa.array([index.rule] * len(rows), pa.string()),
            condition=label(cols["seed_condition"], self.conditions),
            fst_group=label(cols["seed_group"], FST_NAMES))
        decided = cols["verdict"].to_pylist()
        accepted = [i for i, v in enumerate(decided) if v == "accept"]
        return Rendered(pylist_layout(assemble(self.schemas[0], cols)),
                        list(zip(cids, decided, sizes, strict=True)), facts, accepted,
                        [rows[i][16] or self.version for i in accepted])

    def seeds(self, keys: list[str]) -> Rendered:
        """Rows of ``seeds``, one per (seed, crop, mask) key, in ``Rendered.candidates``."""
        rows = lines_of(self.index.db.conn, SEED_LINES, keys)
        missing = next((row[0] for row in rows if None in row[1:5]), None)
        if missing is not None:  # every key comes from a candidate whose lineage was read
            raise RuntimeError(f"seeds row {missing!r}: a record of it was not scanned")
        check_fit(self.unfit, [(t, [row[at] for row in rows]) for t, at in _SEED_FILES],
                  self._path)
        cols = seed_columns(self.tables, rows)
        facts = ReleaseFacts(self.conditions)
        seed_facts(facts, cols)
        seeds = cols["seed_id"].to_pylist()
        pairs = zip(seeds, cols["crop_sha256"].to_pylist(), cols["mask_sha256"].to_pylist(),
                    strict=True)
        crops, masks = [], []
        out: list[tuple[str, str | None, int]] = []
        for seed, crop_sha, mask_sha in pairs:
            fix = f"re-run `dermforge prepare` for seed {seed}"
            crop = blob(self.index.workspace, crop_sha, f"the crop of seed {seed}", fix)
            mask = blob(self.index.workspace, mask_sha, f"the mask of seed {seed}", fix)
            crops.append((crop, f"{seed}-crop.{image_ext(crop)}"))
            masks.append((mask, f"{seed}-mask.{image_ext(mask)}"))
            out.append((f"{seed}/{crop_sha}/{mask_sha}", None, len(crop) + len(mask)))
        cols.update(crop=_image_array(crops), mask=_image_array(masks),
                    release_added=pa.array([row[5] or self.version for row in rows],
                                           pa.string()),
                    condition=label(cols["seed_condition"], self.conditions),
                    fst_group=label(cols["seed_group"], FST_NAMES))
        return Rendered(pylist_layout(assemble(self.schemas[1], cols)), out, facts)

    def _images(self, cids: list[str], shas: list[str], requests: list[str]
                ) -> tuple[pa.Array, list[int]]:
        """The candidates' images (bytes checked against their sha256, in row order)."""
        images = []
        for cid, sha, request in zip(cids, shas, requests, strict=False):
            data = blob(self.index.workspace, sha, f"candidate {cid}",
                        f"re-run generation for request {request}")
            images.append((data, f"{cid}.{image_ext(data)}"))
        return _image_array(images), [len(data) for data, _ in images]

    def _verdict_lines(self, rows: list[LineRow]) -> list[tuple[str, list[int | None]]]:
        """The verdict lines a chunk's rows take (the rule single's: the human line, else
        the automatic one; the other rules read their verdicts from the index)."""
        if self.index.rule != "single":
            return []
        return [("f_verdicts", [row[12] for row in rows]),
                ("f_auto_verdicts", [row[13] if row[12] is None else None for row in rows])]

    def _path(self, table: str) -> Path:
        return next(f.manifest.path for f in self.index.record_files() if f.table == table)

    @functools.cached_property
    def unfit(self) -> Unfit:
        """The values the scan could not put into their columns (usually none)."""
        return {(table, line): (field, value) for table, line, field, value in
                self.index.db.conn.execute("SELECT tbl, ln, field, value FROM unfit "
                                           "ORDER BY tbl, ln, field DESC")}

    @functools.cached_property
    def tables(self) -> Tables:
        """The scan's column files (in a worker: the very files, memory-mapped)."""
        files = self.index.db.files
        return {name: read_columns(column_path(files, name), spec)
                for name, spec in SPECS.items()}

    @functools.cached_property
    def schemas(self) -> tuple[pa.Schema, pa.Schema]:
        """The arrow schemas of candidate and seed rows (``Features`` builds them anew on
        every access)."""
        return self.features.arrow_schema, self.seed_features.arrow_schema


#: the files a candidate row takes values from, and where its line is in a LineRow
_CANDIDATE_FILES = (("f_candidates", 2), ("f_requests", 3), ("f_seeds", 7), ("f_sources", 8),
                    ("f_crops", 9), ("f_masks", 10), ("f_prompts", 11))
#: the same for a seeds row (SEED_LINES)
_SEED_FILES = (("f_seeds", 1), ("f_sources", 2), ("f_crops", 3), ("f_masks", 4))


def _image_array(images: list[tuple[bytes, str]]) -> pa.Array:
    """An image column ({bytes, path} structs) of the given images."""
    return pa.StructArray.from_arrays(
        [pa.array([d for d, _ in images], pa.binary()),
         pa.array([p for _, p in images], pa.string())], names=["bytes", "path"])


def candidate_lineage(index: WorkspaceIndex, cid: str) -> Lineage:
    candidate = index.candidates.get(cid)
    assert candidate is not None  # every id of table cands comes from candidates.jsonl
    return lineage(index, candidate)


#: a chunk to render: candidate ids, or seeds rows' keys (seed, crop and mask sha256)
Chunk = list[str]


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
