"""`verify`: re-hash every file against MANIFEST.json and every image against its row."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
from datasets import Features

from ..errors import ReleaseError
from ..schemas import ReleaseRow, SeedRow
from ..store import format_validation_error, sha256_file
from ._features import from_arrow
from ._folder import MANIFEST_JSON, ReleaseFolder
from ._manifest import list_files

__all__ = ["VerifyReport", "verify_release"]

#: config → its (image column, sha256 column) pairs
_IMAGES: dict[str, list[tuple[str, str]]] = {
    "synthetic": [("image", "image_sha256")],
    "candidates": [("image", "image_sha256")],
    "seeds": [("crop", "crop_sha256"), ("mask", "mask_sha256")],
}
_IDS = {"synthetic": "image_id", "candidates": "image_id", "seeds": "seed_id"}
#: files a Hub clone or download adds beside the release's own files
_HUB_FILES = (".gitattributes",)
_HUB_FOLDERS = (".cache/huggingface/", ".git/")


@dataclass
class VerifyReport:
    root: Path
    problems: list[str] = field(default_factory=list)
    files: int = 0
    images: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_release(root: Path, on_file: Callable[[str], None] | None = None) -> VerifyReport:
    """Every problem found, each naming the file (and row) that changed."""
    folder = ReleaseFolder(root)
    report = VerifyReport(folder.root)
    try:
        listed = folder.manifest()["files"]
    except ReleaseError as exc:
        report.problems.append(exc.message)
        listed = {}
    _check_files(folder.root, listed, report, on_file)
    for config in _IMAGES:
        _check_rows(folder, config, report, on_file)
    return report


def _check_files(root: Path, listed: dict[str, dict[str, object]], report: VerifyReport,
                 on_file: Callable[[str], None] | None) -> None:
    present = set(list_files(root))
    for rel in sorted(listed):
        entry = listed[rel]
        path = root / rel
        if rel not in present:
            report.problems.append(f"{rel}: listed in {MANIFEST_JSON} but missing")
            continue
        actual = sha256_file(path)
        report.files += 1
        if actual != entry.get("sha256"):
            report.problems.append(f"{rel}: changed — its sha256 is {actual}, {MANIFEST_JSON} "
                                   f"records {entry.get('sha256')}")
        if on_file:
            on_file(rel)
    for rel in sorted(present - set(listed)):
        if rel in _HUB_FILES or rel.startswith(_HUB_FOLDERS):
            continue
        report.problems.append(f"{rel}: not listed in {MANIFEST_JSON} (added after the build)")


def _check_rows(folder: ReleaseFolder, config: str, report: VerifyReport,
                on_file: Callable[[str], None] | None) -> None:
    model = SeedRow if config == "seeds" else ReleaseRow
    for shard in folder.shards(config):
        rel = shard.relative_to(folder.root).as_posix()
        try:
            with pq.ParquetFile(shard) as handle:
                features = Features.from_arrow_schema(handle.schema_arrow)
                for batch in handle.iter_batches(batch_size=64):
                    _check_batch(rel, config, batch, features, model, report)
        except (OSError, pa.ArrowException, ValueError) as exc:
            report.problems.append(f"{rel}: cannot be read as parquet ({exc})")


def _check_batch(rel: str, config: str, batch: pa.RecordBatch, features: Features,
                 model: type[ReleaseRow] | type[SeedRow], report: VerifyReport) -> None:
    rows = batch.to_pylist()
    for row in rows:
        report.rows += 1
        row_id = row.get(_IDS[config])
        for image_col, sha_col in _IMAGES[config]:
            image = row.get(image_col) or {}
            data = image.get("bytes")
            report.images += 1
            if data is None:
                report.problems.append(f"{rel}: {config} row {row_id}: no {image_col} bytes")
                continue
            actual = hashlib.sha256(data).hexdigest()
            if actual != row.get(sha_col):
                report.problems.append(
                    f"{rel}: {config} row {row_id}: {image_col} bytes hash to {actual}, the "
                    f"row records {sha_col} {row.get(sha_col)}")
        try:
            record = model.model_validate(from_arrow(row, features), strict=False)
        except pydantic.ValidationError as exc:
            name, reason = format_validation_error(exc)
            report.problems.append(f"{rel}: {config} row {row_id}: field {name!r}: {reason}")
            continue
        if config == "synthetic" and getattr(record, "verdict", None) != "accept":
            report.problems.append(f"{rel}: synthetic row {row_id} is not accepted "
                                   f"(verdict {getattr(record, 'verdict', None)!r})")
