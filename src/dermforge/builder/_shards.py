"""Bounded parquet shards, written row group by row group so memory stays flat.

Writer settings are those of `datasets`' own ``ParquetWriter`` (page index on every shard;
the Hugging Face features in the schema metadata, so `datasets` restores the types;
content-defined chunking of pages with :data:`CDC_OPTIONS`, recorded in the file's key-value
metadata as ``content_defined_chunking``), plus fixed choices of ours (zstd for metadata
columns, image bytes stored PLAIN and uncompressed, no statistics or dictionaries on image
bytes). The same rows give byte-identical files.

pyarrow's content-defined pages are used where they help: in configs without images
(``experiments``: zstd-compressed columns, where a fixed page grid would shift every
compressed page after an edit). Configs with images keep pyarrow's fixed page grid, because
there CDC pages measurably *lower* the bytes a new version shares with the last one:
``bench/bench_versions.py`` (10k rows of 96 px images) gives 90.4 % shared with CDC pages and
95.9 % without (the bound of the images alone: 96.6 %); at 2k rows 72.3 % against 86.0 %, and
the loss grows with the page count (2k rows, 64-256 KiB pages: 56.4 %). Uncompressed PLAIN
image bytes are already content-addressable for a chunking store; what keeps them aligned
across versions is the content-defined row groups below.

Boundaries are content-defined, so a small change between versions (a few verdicts flipped,
some seeds added) leaves most row groups, pages and shard names as they were:

* **Row groups.** After each row, the row's *key* (its id: candidate id, seed id, experiment
  and source id — never a value that a new verdict changes) is hashed (sha256). The group is
  cut after that row when the hash falls under ``p × 2**64``, with
  ``p = max(1 / target_rows, row_bytes / target_bytes)``, ``target_rows = row_group_rows / 4``
  and ``target_bytes = row_group_max_bytes / 4``: a cut depends on that row alone, so an
  insertion moves only the boundaries next to it. A group is never cut before it reaches a
  quarter of a target (the minimum) and always at ``row_group_rows`` rows or
  ``row_group_max_bytes`` image bytes (the hard bounds, ~2 % of cuts with the defaults).
* **Shards.** A shard ends after a row group whose last key, hashed with another salt, falls
  under ``min(1, group_file_bytes / (shard_max_bytes / 4))`` once the shard holds a sixteenth
  of ``shard_max_bytes``, and always before a row group would make it outgrow
  ``shard_max_bytes``. Names stay ``train-i-of-n``: they change only when a shard boundary
  is added or removed before them (or the count changes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features, Image

from .._atomic import storage_errors
from ._params import BuildParams

__all__ = ["CDC_OPTIONS", "ShardInfo", "ShardWriter", "shard_name"]

#: page chunking, as `datasets.config.DEFAULT_CDC_OPTIONS` (a test keeps them equal; pinned
#: here so that a `datasets` upgrade cannot change a rebuild's bytes unnoticed)
CDC_OPTIONS: dict[str, int] = {"min_chunk_size": 256 * 1024, "max_chunk_size": 1024 * 1024,
                               "norm_level": 0}
_FOOTER_BASE = 64 * 2**10
_FOOTER_PER_CHUNK = 1024  # column metadata + its column and offset index
_FOOTER_PER_PAGE = 64  # one offset index entry per page
_ROW_OVERHEAD = 1024
_SPLIT = 4  # targets are the maxima / 4, minima the targets / 4


def shard_name(index: int, total: int) -> str:
    return f"train-{index:05d}-of-{total:05d}.parquet"


def hash_hit(key: str, salt: bytes, probability: float) -> bool:
    """True with ``probability``, decided by ``key`` alone (sha256, so on every platform)."""
    digest = hashlib.sha256(salt + key.encode()).digest()
    return int.from_bytes(digest[:8], "big") < probability * 2**64


@dataclass(frozen=True)
class ShardInfo:
    path: str  # relative to the release folder, with forward slashes
    rows: int
    num_bytes: int  # in-memory arrow size (dataset_info's num_bytes)
    size: int  # file size


def _leaf_paths(schema: pa.Schema) -> list[str]:
    buffer = io.BytesIO()
    pq.write_table(schema.empty_table(), buffer)
    parquet_schema = pq.ParquetFile(io.BytesIO(buffer.getvalue())).schema
    return [parquet_schema.column(i).path for i in range(len(parquet_schema))]


@dataclass(frozen=True)
class _Bounds:
    """Row-group and shard bounds derived from the build params (see the module doc)."""

    rows_max: int
    bytes_max: int
    rows_target: int
    bytes_target: int
    shard_max: int
    shard_target: int

    @classmethod
    def of(cls, params: BuildParams) -> _Bounds:
        return cls(params.row_group_rows, params.row_group_max_bytes,
                   max(1, params.row_group_rows // _SPLIT),
                   max(1, params.row_group_max_bytes // _SPLIT),
                   params.shard_max_bytes, params.shard_max_bytes // _SPLIT)

    def group_ends(self, key: str, rows: int, pending: int, row_bytes: int) -> bool:
        if rows >= self.rows_max or pending >= self.bytes_max:
            return True
        if rows * _SPLIT < self.rows_target and pending * _SPLIT < self.bytes_target:
            return False
        chance = max(1 / self.rows_target, row_bytes / self.bytes_target)
        return hash_hit(key, b"row-group", chance)

    def shard_ends(self, key: str, shard_bytes: int, group_bytes: int) -> bool:
        if shard_bytes * _SPLIT < self.shard_target:
            return False
        return hash_hit(key, b"shard", min(1.0, group_bytes / self.shard_target))


class ShardWriter:
    """Add rows with their keys; they are written in content-defined row groups and shards
    (module doc), a shard never outgrowing ``params.shard_max_bytes``. ``close()`` names the
    shards ``train-i-of-n``."""

    def __init__(self, root: Path, config: str, features: Features, params: BuildParams) -> None:
        self.root = root
        self.folder = root / "data" / config
        self.folder.mkdir(parents=True, exist_ok=True)
        self.features = features
        self.schema = features.arrow_schema
        self.bounds = _Bounds.of(params)
        leaves = _leaf_paths(self.schema)
        images = {f"{name}.bytes" for name, f in features.items() if isinstance(f, Image)}
        self._plain = [p for p in leaves if p not in images]
        self._images = sorted(images)
        #: content-defined pages only where there are no images (see the module docstring)
        self._cdc: dict[str, int] | bool = False if images else CDC_OPTIONS
        self._compression = {p: ("none" if p in images else "zstd") for p in leaves}
        self._chunks = len(leaves)
        self._rows: list[dict[str, Any]] = []
        self._slices: list[list[Any]] = []  # [batch, start, stop]
        self._count = 0
        self._pending_bytes = 0
        self._writer: pq.ParquetWriter | None = None
        self._handle: IO[bytes] | None = None
        self._groups = 0
        self._shard_rows = 0
        self._shard_bytes = 0
        self._shard_payload = 0
        self._done: list[tuple[Path, int, int]] = []
        self._footer_meta = sum(len(k) + len(v) for k, v in (self.schema.metadata or {}).items())

    def add(self, row: dict[str, Any], payload_bytes: int = 0, *, key: str) -> None:
        """Add one row; ``key`` is its stable id (it decides where groups and shards end)."""
        self._rows.append(row)
        self._added(payload_bytes, key)

    def add_slice(self, batch: pa.RecordBatch, index: int, payload_bytes: int = 0, *,
                  key: str) -> None:
        """Add row ``index`` of ``batch`` (of this config's schema), as :meth:`add`."""
        last = self._slices[-1] if self._slices else None
        if last is not None and last[0] is batch and last[2] == index:
            last[2] = index + 1
        else:
            self._slices.append([batch, index, index + 1])
        self._added(payload_bytes, key)

    def _added(self, payload_bytes: int, key: str) -> None:
        self._count += 1
        row_bytes = payload_bytes + _ROW_OVERHEAD
        self._pending_bytes += row_bytes
        if self.bounds.group_ends(key, self._count, self._pending_bytes, row_bytes):
            self._flush(key)

    def _table(self) -> pa.Table:
        """The pending rows as one table (contiguous columns: the same bytes whether the
        rows came as dicts or as slices of batches, however those were cut)."""
        if self._rows and self._slices:
            raise ValueError("a shard writer takes rows or batch slices, not both")
        if self._rows:
            return pa.Table.from_pylist(self._rows, schema=self.schema)
        batches = [batch.slice(start, stop - start) for batch, start, stop in self._slices]
        return pa.Table.from_batches(batches, schema=self.schema).combine_chunks()

    def _partial_path(self) -> Path:
        """The shard being written (ENOSPC/EFBIG while writing it name this file)."""
        return self.folder / f".shard-{len(self._done):05d}.partial"

    def _footer(self, groups: int, payload: int) -> int:
        pages = payload // CDC_OPTIONS["min_chunk_size"] + groups * self._chunks
        return (_FOOTER_BASE + 2 * self._footer_meta + groups * self._chunks * _FOOTER_PER_CHUNK
                + pages * _FOOTER_PER_PAGE)

    def _flush(self, key: str | None) -> None:
        if not self._count:
            return
        if self._writer is not None and self._handle is not None:
            payload = self._shard_payload + self._pending_bytes
            projected = (self._handle.tell() + self._pending_bytes
                         + self._footer(self._groups + 1, payload))
            if projected > self.bounds.shard_max:
                self._close_shard()
        if self._writer is None or self._handle is None:
            self._open_shard()
        assert self._writer is not None and self._handle is not None
        table = self._table()
        before = self._handle.tell()
        with storage_errors(self._partial_path()):
            self._writer.write_table(table, row_group_size=self._count)
        self._groups += 1
        self._shard_rows += self._count
        self._shard_bytes += table.nbytes
        self._shard_payload += self._pending_bytes
        self._rows, self._slices, self._count, self._pending_bytes = [], [], 0, 0
        after = self._handle.tell()
        if key is not None and self.bounds.shard_ends(key, after, after - before):
            self._close_shard()

    def _open_shard(self) -> None:
        path = self._partial_path()
        with storage_errors(path):
            self._handle = path.open("wb")
        self._writer = pq.ParquetWriter(
            self._handle, self.schema, compression=self._compression,
            use_dictionary=self._plain, write_statistics=self._plain,
            column_encoding=dict.fromkeys(self._images, "PLAIN"),
            write_page_index=True, use_content_defined_chunking=self._cdc,
        )
        if self._cdc:
            self._writer.add_key_value_metadata(
                {"content_defined_chunking": json.dumps(CDC_OPTIONS)})
        self._groups = self._shard_rows = self._shard_bytes = self._shard_payload = 0

    def _close_shard(self) -> None:
        assert self._writer is not None and self._handle is not None
        with storage_errors(self._partial_path()):
            self._writer.close()
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        self._done.append((Path(self._handle.name), self._shard_rows, self._shard_bytes))
        self._writer = self._handle = None

    def close(self) -> list[ShardInfo]:
        self._flush(None)
        if self._writer is None and not self._done:
            self._open_shard()  # an empty config still gets one (empty) shard with its schema
        if self._writer is not None:
            self._close_shard()
        infos = []
        for i, (partial, rows, nbytes) in enumerate(self._done):
            final = self.folder / shard_name(i, len(self._done))
            partial.rename(final)
            infos.append(ShardInfo(final.relative_to(self.root).as_posix(), rows, nbytes,
                                   final.stat().st_size))
        return infos

    def abort(self) -> None:
        """Close the open shard without finishing it (the build removes the folder)."""
        if self._writer is not None and self._handle is not None:
            with contextlib.suppress(OSError, pa.ArrowException):
                self._writer.close()  # writes the footer: may fail again on a full disk
            with contextlib.suppress(OSError):
                self._handle.close()
            self._writer = self._handle = None
