"""The row half of `verify`: every row of every config, read from the shards on disk.

Each row must validate against its record model, each image must hash to the sha256 its row
records, a ``synthetic`` row must be an accepted ``candidates`` row with the same image, every
image row's (seed, crop, mask) must have its ``seeds`` row, and no id may appear twice. The
rows found (per config and per verdict) are returned for the cross-check against release.json.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic
from datasets import Features

from ..schemas import ReleaseRow, SeedRow, SplitMembership
from ..store import format_validation_error
from ._features import CONFIGS, from_arrow
from ._folder import ReleaseFolder

if TYPE_CHECKING:
    from ._verify import VerifyReport

__all__ = ["VERDICTS", "Tally", "check_rows"]

VERDICTS = ("accept", "reject", "undecided", "unreviewed")
#: config → its (image column, sha256 column) pairs
_IMAGES: dict[str, list[tuple[str, str]]] = {
    "synthetic": [("image", "image_sha256")],
    "candidates": [("image", "image_sha256")],
    "seeds": [("crop", "crop_sha256"), ("mask", "mask_sha256")],
    "experiments": [],
}
_IDS = {"synthetic": "image_id", "candidates": "image_id", "seeds": "seed_id",
        "experiments": "source_id"}
_MODELS: dict[str, type[ReleaseRow] | type[SeedRow] | type[SplitMembership]] = {
    "synthetic": ReleaseRow, "candidates": ReleaseRow, "seeds": SeedRow,
    "experiments": SplitMembership}
SeedKey = tuple[str, str, str]


@dataclass
class Tally:
    """What the shards hold, for the checks across configs and against release.json."""

    rows: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    #: candidates: image_id → (image_sha256, verdict)
    candidates: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: synthetic: image_id → (image_sha256, shard)
    synthetic: dict[str, tuple[str, str]] = field(default_factory=dict)
    seeds: set[SeedKey] = field(default_factory=set)
    #: (seed, crop, mask) an image row needs → the first (shard, config, image_id) needing it
    needed: dict[SeedKey, tuple[str, str, str]] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    #: image rows whose generated_sha256 is set and differs from image_sha256 (rel, config,
    #: image_id): only a signed release may have them (checked by `verify`)
    regenerated: list[tuple[str, str, str]] = field(default_factory=list)


def check_rows(folder: ReleaseFolder, report: VerifyReport) -> Tally:
    tally = Tally()
    for config in CONFIGS:
        for shard in folder.shards(config):
            _check_shard(folder, shard, config, tally, report)
    _check_across(tally, report)
    return tally


def _check_shard(folder: ReleaseFolder, shard: Path, config: str, tally: Tally,
                 report: VerifyReport) -> None:
    rel = shard.relative_to(folder.root).as_posix()
    try:
        with pq.ParquetFile(shard) as handle:
            features = Features.from_arrow_schema(handle.schema_arrow)
            for batch in handle.iter_batches(batch_size=64):
                for row in batch.to_pylist():
                    _check_row(rel, config, row, features, tally, report)
    except (OSError, pa.ArrowException, ValueError, KeyError) as exc:
        report.add(rel, f"cannot be read as parquet ({type(exc).__name__}: {exc})",
                   config=config)


def _check_row(rel: str, config: str, row: dict[str, Any], features: Features, tally: Tally,
               report: VerifyReport) -> None:
    report.rows += 1
    tally.rows[config] += 1
    row_id = str(row.get(_IDS[config]))
    if config in ("synthetic", "candidates"):
        if (config, row_id) in tally.seen:
            report.add(rel, f"{_IDS[config]} {row_id} appears more than once in {config}",
                       config=config, row=row_id, field=_IDS[config])
        tally.seen.add((config, row_id))
    for image_col, sha_col in _IMAGES[config]:
        report.images += 1
        data = (row.get(image_col) or {}).get("bytes")
        if data is None:
            report.add(rel, f"no {image_col} bytes", config=config, row=row_id, field=image_col)
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != row.get(sha_col):
            report.add(rel, f"{image_col} bytes hash to {actual}, the row records {sha_col} "
                       f"{row.get(sha_col)}", config=config, row=row_id, field=image_col)
    try:
        record = _MODELS[config].model_validate(from_arrow(row, features), strict=False)
    except (pydantic.ValidationError, ValueError) as exc:
        name, reason = (format_validation_error(exc) if isinstance(exc, pydantic.ValidationError)
                        else (None, str(exc)))
        report.add(rel, f"field {name!r}: {reason}", config=config, row=row_id, field=name)
        return
    _tally(rel, config, row_id, record, tally, report)


def _tally(rel: str, config: str, row_id: str,
           record: ReleaseRow | SeedRow | SplitMembership, tally: Tally,
           report: VerifyReport) -> None:
    if isinstance(record, SeedRow):
        key = (record.seed_id, record.crop_sha256, record.mask_sha256)
        if key in tally.seeds:
            report.add(rel, f"appears more than once in seeds (crop {key[1]}, mask {key[2]})",
                       config=config, row=row_id, field="seed_id")
        tally.seeds.add(key)
    if not isinstance(record, ReleaseRow):
        return
    if record.seed_id is not None and record.crop_sha256 and record.mask_sha256:
        tally.needed.setdefault((record.seed_id, record.crop_sha256, record.mask_sha256),
                                (rel, config, row_id))  # text-to-image rows need no seed
    if record.generated_sha256 not in (None, record.image_sha256):
        tally.regenerated.append((rel, config, row_id))
    if config == "candidates":
        tally.candidates[row_id] = (record.image_sha256, record.verdict)
        tally.verdicts[record.verdict or "unreviewed"] += 1
        return
    tally.synthetic[row_id] = (record.image_sha256, rel)
    if record.verdict != "accept":
        report.add(rel, f"is not accepted (verdict {record.verdict!r}); synthetic holds "
                   "accepted images only", config=config, row=row_id, field="verdict")


def _check_across(tally: Tally, report: VerifyReport) -> None:
    for image_id, (sha, rel) in sorted(tally.synthetic.items()):
        candidate = tally.candidates.get(image_id)
        if candidate is None:
            report.add(rel, "has no candidates row: every synthetic image is a candidate",
                       config="synthetic", row=image_id, field="image_id")
        elif candidate[0] != sha:
            report.add(rel, f"image_sha256 {sha} differs from its candidates row's "
                       f"{candidate[0]}", config="synthetic", row=image_id,
                       field="image_sha256")
        elif candidate[1] != "accept":
            report.add(rel, f"its candidates row has verdict {candidate[1]!r}, not 'accept'",
                       config="synthetic", row=image_id, field="verdict")
    for key, (rel, config, row_id) in sorted(tally.needed.items()):
        if key not in tally.seeds:
            report.add(rel, f"no seeds row for seed {key[0]} with crop {key[1]} and mask "
                       f"{key[2]} (its lineage cannot be audited)", config=config, row=row_id,
                       field="seed_id")
