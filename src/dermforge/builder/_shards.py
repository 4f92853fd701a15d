"""Bounded parquet shards, written row group by row group so memory stays flat.

Writer settings are fixed (zstd for metadata columns, image bytes stored as they are, no
statistics or dictionaries on image bytes), so the same rows give byte-identical files.
The Hugging Face features travel in the schema metadata, so `datasets` restores the types.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features, Image

from .._atomic import storage_errors
from ._params import BuildParams

__all__ = ["ShardInfo", "ShardWriter", "shard_name"]

_FOOTER_BASE = 64 * 2**10
_FOOTER_PER_CHUNK = 256
_ROW_OVERHEAD = 1024


def shard_name(index: int, total: int) -> str:
    return f"train-{index:05d}-of-{total:05d}.parquet"


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


class ShardWriter:
    """Add rows; they are written in row groups, and a new shard starts before one would
    outgrow ``params.shard_max_bytes``. ``close()`` names the shards ``train-i-of-n``."""

    def __init__(self, root: Path, config: str, features: Features, params: BuildParams) -> None:
        self.root = root
        self.folder = root / "data" / config
        self.folder.mkdir(parents=True, exist_ok=True)
        self.features = features
        self.schema = features.arrow_schema
        self.params = params
        leaves = _leaf_paths(self.schema)
        images = {f"{name}.bytes" for name, f in features.items() if isinstance(f, Image)}
        self._plain = [p for p in leaves if p not in images]
        self._compression = {p: ("none" if p in images else "zstd") for p in leaves}
        self._chunks = len(leaves)
        self._rows: list[dict[str, Any]] = []
        self._pending_bytes = 0
        self._writer: pq.ParquetWriter | None = None
        self._handle: IO[bytes] | None = None
        self._groups = 0
        self._shard_rows = 0
        self._shard_bytes = 0
        self._done: list[tuple[Path, int, int]] = []
        self._footer_meta = sum(len(k) + len(v) for k, v in (self.schema.metadata or {}).items())

    def add(self, row: dict[str, Any], payload_bytes: int = 0) -> None:
        self._rows.append(row)
        self._pending_bytes += payload_bytes + _ROW_OVERHEAD
        if (len(self._rows) >= self.params.row_group_rows
                or self._pending_bytes >= self.params.row_group_max_bytes):
            self._flush()

    def _partial_path(self) -> Path:
        """The shard being written (ENOSPC/EFBIG while writing it name this file)."""
        return self.folder / f".shard-{len(self._done):05d}.partial"

    def _footer(self, groups: int) -> int:
        return _FOOTER_BASE + 2 * self._footer_meta + groups * self._chunks * _FOOTER_PER_CHUNK

    def _flush(self) -> None:
        if not self._rows:
            return
        if self._writer is not None and self._handle is not None:
            projected = (self._handle.tell() + self._pending_bytes
                         + self._footer(self._groups + 1))
            if projected > self.params.shard_max_bytes:
                self._close_shard()
        if self._writer is None:
            self._open_shard()
        assert self._writer is not None
        table = pa.Table.from_pylist(self._rows, schema=self.schema)
        with storage_errors(self._partial_path()):
            self._writer.write_table(table, row_group_size=len(self._rows))
        self._groups += 1
        self._shard_rows += len(self._rows)
        self._shard_bytes += table.nbytes
        self._rows, self._pending_bytes = [], 0

    def _open_shard(self) -> None:
        path = self._partial_path()
        with storage_errors(path):
            self._handle = path.open("wb")
        self._writer = pq.ParquetWriter(
            self._handle, self.schema, compression=self._compression,
            use_dictionary=self._plain, write_statistics=self._plain,
        )
        self._groups = self._shard_rows = self._shard_bytes = 0

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
        self._flush()
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
