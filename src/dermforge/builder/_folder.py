"""Reading a built release folder: its record, manifest and parquet shards."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
from datasets import Features

from ..errors import ReleaseError
from ..schemas import Release
from ..store import format_validation_error

__all__ = ["MANIFEST_JSON", "RELEASE_JSON", "ReleaseFolder"]

RELEASE_JSON = "release.json"
MANIFEST_JSON = "MANIFEST.json"


class ReleaseFolder:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ReleaseError(f"release folder {str(self.root)!r} does not exist",
                               fix="pass the folder written by `dermforge build --out`")

    def release(self) -> Release:
        path = self.root / RELEASE_JSON
        try:
            return Release.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise ReleaseError(f"{path} is missing: {self.root} is not a dermforge release",
                               fix="pass a folder written by `dermforge build`") from None
        except pydantic.ValidationError as exc:
            field, reason = format_validation_error(exc)
            raise ReleaseError(f"{path}: field {field!r}: {reason}",
                               fix="rebuild the release; release.json must not be edited") from None

    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST_JSON
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReleaseError(f"{path} is missing", fix="rebuild the release") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ReleaseError(f"{path} is not valid JSON: {exc}",
                               fix="restore MANIFEST.json from the published release") from None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            raise ReleaseError(f"{path} has no 'files' mapping", fix="rebuild the release")
        return data

    def shards(self, config: str) -> list[Path]:
        return sorted((self.root / "data" / config).glob("*.parquet"))

    def features(self, config: str) -> Features:
        shards = self.shards(config)
        if not shards:
            raise ReleaseError(f"{self.root}: config {config!r} has no parquet shards",
                               fix="rebuild the release")
        return Features.from_arrow_schema(pq.read_schema(shards[0]))

    def batches(self, config: str, columns: Sequence[str] | None = None,
                batch_size: int = 256) -> Iterator[tuple[Path, pa.RecordBatch]]:
        for shard in self.shards(config):
            with pq.ParquetFile(shard) as handle:
                for batch in handle.iter_batches(batch_size=batch_size,
                                                 columns=list(columns) if columns else None):
                    yield shard, batch

    def find(self, config: str, column: str, value: str,
             columns: Sequence[str] | None = None) -> dict[str, Any] | None:
        """The first row whose ``column`` equals ``value`` (images read only if asked)."""
        for shard in self.shards(config):
            table = pq.read_table(shard, columns=list(columns) if columns else None,
                                  filters=[(column, "=", value)])
            if table.num_rows:
                return dict(table.slice(0, 1).to_pylist()[0])
        return None
