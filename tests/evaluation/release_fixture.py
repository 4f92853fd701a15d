"""A tiny release-like folder for the evaluation tests (and bench/bench_eval.py).

It follows the release contract the evaluation reads: a folder with README.md YAML `configs:`
and parquet shards, loaded by `datasets.load_dataset(DIR, "experiments" | "synthetic")`. Splits
come from the real sampling code (`dermforge.sampling`) over a mini CSV in the real
Fitzpatrick 17k schema; real images are small generated JPEGs named `<md5>.jpg`; synthetic
images are small PNGs derived from their seed. Once the release builder lands, fixtures can
switch to it; the evaluation only depends on the loaded columns.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from datasets import ClassLabel, Dataset, Features, Value
from datasets import Image as HFImage
from PIL import Image

from dermforge.evaluation import EvaluationConfig
from dermforge.sampling import SeedParams, SplitParams, build_splits, sample_seeds
from dermforge.schemas import FST_GROUPS, Seed, SplitMembership
from dermforge.sources import COLUMNS, Catalog, parse_catalog

CONDITIONS = ("basal cell carcinoma", "folliculitis", "psoriasis", "squamous cell carcinoma")
AUGMENTED = ("psoriasis", "squamous cell carcinoma")
HUES = {"basal cell carcinoma": (200, 60, 60), "folliculitis": (60, 200, 60),
        "psoriasis": (60, 60, 200), "squamous cell carcinoma": (200, 200, 60)}
README = """---
license: cc-by-nc-sa-3.0
configs:
- config_name: synthetic
  data_files:
  - split: train
    path: data/synthetic/*.parquet
  default: true
- config_name: experiments
  data_files:
  - split: train
    path: data/experiments/*.parquet
---
# Test release (evaluation fixture)
"""


@dataclass
class FixtureRelease:
    release: Path
    images: Path
    catalog: Catalog
    seeds: list[Seed]
    splits: list[SplitMembership]
    missing: tuple[str, ...]
    synthetic_ids: list[str]


def _jpeg(condition: str, key: str, size: int, grayscale: bool = False) -> bytes:
    rng = np.random.default_rng(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))
    base = np.array(HUES[condition], dtype=np.int16)
    pixels = base + rng.integers(-50, 50, size=(size, size + 6, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if grayscale:
        image = image.convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _png(condition: str, key: str, size: int) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(_jpeg(condition, key, size))).save(buffer, format="PNG")
    return buffer.getvalue()


def _catalog(rows: list[tuple[str, int, str]]) -> Catalog:
    lines = [",".join(COLUMNS)]
    for md5, fst, label in rows:
        lines.append(f"{md5},{fst},{fst},{label},lesion,malignant,,https://example.org/{md5}.jpg,"
                     f"{md5}")
    return parse_catalog("\n".join(lines) + "\n", origin="fixture.csv")


def write_release(
    root: Path,
    *,
    per_type: int = 3,
    seeds_per_group: int = 2,
    synthetic_per_seed: int = 4,
    missing: Sequence[str] = ("psoriasis",),
    size: int = 40,
    conditions: Sequence[str] = CONDITIONS,
    augmented: Sequence[str] = AUGMENTED,
) -> FixtureRelease:
    """Write ``root/images`` (real, minus ``missing`` conditions) and ``root/release``."""
    images = root / "images"
    images.mkdir(parents=True)
    rows: list[tuple[str, int, str]] = []
    for condition in conditions:
        for fst in range(1, 7):
            for index in range(per_type):
                data = _jpeg(condition, f"{condition}:{fst}:{index}", size,
                             grayscale=index == 0 and fst == 3)
                md5 = hashlib.md5(data).hexdigest()
                rows.append((md5, fst, condition))
                if condition not in missing:
                    (images / f"{md5}.jpg").write_bytes(data)
    catalog = _catalog(rows)
    seeds = sample_seeds(catalog, SeedParams(conditions=tuple(augmented),
                                             n_per_group=seeds_per_group, pool="csv"))
    splits = build_splits(catalog, seeds, SplitParams(conditions=tuple(conditions)))
    release = root / "release"
    synthetic = [(seed, index, _png(seed.condition, f"synthetic:{seed.source_id}:{index}", size))
                 for seed in seeds for index in range(synthetic_per_seed)]
    ids = write_release_folder(release, splits, synthetic, conditions)
    return FixtureRelease(release, images, catalog, seeds, splits, tuple(missing), ids)


def write_release_folder(
    release: Path,
    splits: Sequence[SplitMembership],
    synthetic: Sequence[tuple[Seed, int, bytes]],
    conditions: Sequence[str],
    backend: str = "classic",
    model: str = "fixture",
) -> list[str]:
    """Write the ``experiments`` and ``synthetic`` configs and the card; return the image
    ids."""
    _write_splits(release, splits, conditions)
    ids = _write_synthetic(release, synthetic, conditions, backend, model)
    (release / "README.md").write_text(README, encoding="utf-8")
    return ids


def _write_splits(release: Path, splits: Sequence[SplitMembership],
                  conditions: Sequence[str]) -> None:
    features = Features({
        "source_id": Value("string"), "experiment": Value("string"), "role": Value("string"),
        "condition": ClassLabel(names=list(conditions)), "fitzpatrick": Value("int8"),
        "fst_group": ClassLabel(names=list(FST_GROUPS)),
    })
    columns: dict[str, list[object]] = {name: [] for name in features}
    for row in splits:
        columns["source_id"].append(row.source_id)
        columns["experiment"].append(row.experiment)
        columns["role"].append(row.role)
        columns["condition"].append(list(conditions).index(row.condition))
        columns["fitzpatrick"].append(row.fitzpatrick)
        columns["fst_group"].append(list(FST_GROUPS).index(row.fst_group))
    folder = release / "data" / "experiments"
    folder.mkdir(parents=True)
    Dataset.from_dict(columns, features=features).to_parquet(folder / "train-00000.parquet")


def _write_synthetic(release: Path, synthetic: Sequence[tuple[Seed, int, bytes]],
                     conditions: Sequence[str], backend: str, model: str) -> list[str]:
    features = Features({
        "image": HFImage(), "image_id": Value("string"), "image_sha256": Value("string"),
        "condition": ClassLabel(names=list(conditions)),
        "fst_group": ClassLabel(names=list(FST_GROUPS)), "seed_id": Value("string"),
        "fitzpatrick": Value("int8"), "backend": Value("string"),
        "model": Value("string"), "candidate_index": Value("int32"),
    })
    columns: dict[str, list[object]] = {name: [] for name in features}
    for seed, index, data in synthetic:
        columns["image"].append({"bytes": data, "path": None})
        columns["image_id"].append(f"{seed.source_id}-{index}")
        columns["image_sha256"].append(hashlib.sha256(data).hexdigest())
        columns["condition"].append(list(conditions).index(seed.condition))
        columns["fst_group"].append(list(FST_GROUPS).index(seed.group))
        columns["seed_id"].append(seed.source_id)
        columns["fitzpatrick"].append(seed.fitzpatrick)
        columns["backend"].append(backend)
        columns["model"].append(model)
        columns["candidate_index"].append(index)
    folder = release / "data" / "synthetic"
    folder.mkdir(parents=True)
    Dataset.from_dict(columns, features=features).to_parquet(folder / "train-00000.parquet")
    return list(columns["image_id"])  # type: ignore[arg-type]


def small_config(**changes: Any) -> EvaluationConfig:
    """Random weights at 32 px on the CPU, 2 epochs, 2 views, doses 2 and 8 (the fixture has 8),
    clean selection (with 2 epochs the faithful rule would usually keep the untrained head)."""
    values: dict[str, Any] = {
        "backbone": "vgg16", "weights": "random", "epochs": 2, "select_after_epoch": 0,
        "selection": "clean", "views": 2, "image_size": 32, "synthetic": 8, "doses": (2, 8),
        "dtype": "fp32", "device": "cpu", "batch_size": 64, "feature_batch_size": 64,
    }
    values.update(changes)
    return EvaluationConfig(**values)
