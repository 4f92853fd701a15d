"""The typed columns of each configuration, as `datasets.Features`, and record ↔ row mapping.

Column names equal the record fields (``ReleaseRow``, ``SeedRow``, ``SplitMembership``) plus
the image columns, and a name means the same in every config (``fst_group``, ``fitzpatrick``,
``source_sha256`` …). Condition and FST group are ``ClassLabel``s; timestamps are UTC; the
JSON objects (request parameters, generation metadata, crop and mask parameters) are
``datasets.Json`` columns (parquet JSON logical type holding canonical JSON text, so builds
stay byte-identical), which ``load_dataset`` decodes to Python objects.

Releases written by dermforge 0.1.0 named some columns differently and held the JSON objects
as plain strings; :func:`from_arrow` reads those too (:data:`LEGACY_COLUMNS`). Releases built
before the team curation have no ``curation_rule`` and ``verdicts`` columns: read, those
fields take their defaults (null, empty).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from datasets import ClassLabel, Features, Image, Json, List, Value

from .._paper import PAPER_CONDITIONS
from ..schemas import FST_GROUPS, ReleaseRow, SeedRow, SplitMembership, canonical_json

__all__ = [
    "CONFIGS",
    "CONFIG_ALIASES",
    "FST_NAMES",
    "JSON_COLUMNS",
    "LEGACY_COLUMNS",
    "SCHEMA_CHANGE_NOTE",
    "condition_names",
    "config_features",
    "experiment_features",
    "from_arrow",
    "release_features",
    "seed_features",
    "to_arrow",
]

#: configuration → what it holds; the first is the default
CONFIGS: dict[str, str] = {
    "synthetic": "accepted synthetic images, one row per image, with full provenance",
    "candidates": "every generated candidate (accepted, rejected, undecided, unreviewed) "
                  "with its latest verdict",
    "seeds": "the real seed images' square crops and inpainting masks, with their provenance",
    "experiments": "membership of every source image in the paper's experiments: train, "
                   "test or seed (no images)",
}
#: deprecated config name → the config it names (same files); kept for one version
CONFIG_ALIASES: dict[str, str] = {"splits": "experiments"}
#: column name in releases of dermforge 0.1.0 → its name now (same meaning, same values)
LEGACY_COLUMNS: dict[str, str] = {"seed_fitzpatrick": "fitzpatrick", "group": "fst_group",
                                  "seed_sha256": "source_sha256"}
#: the changelog line of the first release built on a release of the 0.1.0 schema
SCHEMA_CHANGE_NOTE = (
    "Schema: config `splits` is renamed `experiments` (`splits` still loads, deprecated: it "
    "goes in the next version); columns renamed to mean one thing in every config: "
    "`group` → `fst_group` (experiments), `seed_fitzpatrick` → `fitzpatrick` and "
    "`seed_sha256` → `source_sha256` (synthetic, candidates); `request_parameters`, "
    "`generation_metadata`, `crop_params` and `mask_params` are JSON columns (loaded as "
    "Python objects, not strings); new column `reviewer_qualification`.")
#: columns holding a JSON object (``datasets.Json``; plain strings up to dermforge 0.1.0)
JSON_COLUMNS = ("request_parameters", "generation_metadata", "generator_metadata",
                "crop_params", "mask_params")
FST_NAMES: list[str] = list(FST_GROUPS)
_TIME = Value("timestamp[us, tz=UTC]")
_STR = Value("string")
_I32 = Value("int32")
_F64 = Value("float64")
_BOX = {"left": _I32, "top": _I32, "side": _I32}


def condition_names(present: Iterable[str]) -> list[str]:
    """The paper's seven conditions in Table 1 order, then any other present, sorted."""
    extra = sorted(set(present) - set(PAPER_CONDITIONS))
    return [*PAPER_CONDITIONS, *extra]


def release_features(conditions: list[str]) -> Features:
    """Columns of ``synthetic`` and ``candidates``: ``image`` + every ReleaseRow field."""
    return Features({
        "image": Image(),
        "image_id": _STR, "image_sha256": _STR, "generated_sha256": _STR,
        "condition": ClassLabel(names=conditions), "fst_group": ClassLabel(names=FST_NAMES),
        "seed_id": _STR, "fitzpatrick": Value("int8"), "source_sha256": _STR,
        "source_dataset": _STR, "source_url": _STR, "source_license": _STR,
        "crop_box": _BOX, "crop_method": _STR, "crop_sha256": _STR,
        "mask_method": _STR, "mask_sha256": _STR,
        "prompt": _STR,
        "prompt_slots": {"condition_phrase": _STR, "body_part": _STR,
                         "skin_type_description": _STR, "noun": _STR},
        "prompt_template_version": _STR,
        "backend": _STR, "model": _STR, "operation": _STR, "request_id": _STR,
        "request_size": _STR, "request_quality": _STR, "request_parameters": Json(),
        "candidate_index": _I32, "image_width": _I32, "image_height": _I32,
        "image_format": _STR, "generated_at": _TIME, "generation_metadata": Json(),
        "cost_usd": Value("float64"), "generator_metadata": Json(),
        "verdict": _STR, "reason_codes": List(_STR), "photorealism": Value("int8"),
        "consistency": Value("int8"), "reviewer": _STR, "decided_at": _TIME,
        "verdict_note": _STR, "release_added": _STR, "reviewer_qualification": _STR,
        "signal_ita": _F64, "signal_ita_group": _STR, "signal_seed_ita": _F64,
        "signal_seed_distance": _I32, "signal_nearest_test_id": _STR,
        "signal_nearest_test_distance": _I32, "signal_sharpness": _F64,
        "signal_seed_sharpness": _F64, "signal_flags": List(_STR),
        "curation_rule": _STR,
        "verdicts": List({"reviewer": _STR, "reviewer_qualification": _STR, "role": _STR,
                          "decision": _STR, "decided_at": _TIME}),
    })


def seed_features(conditions: list[str]) -> Features:
    """Columns of ``seeds``: ``crop`` and ``mask`` images + every SeedRow field."""
    return Features({
        "crop": Image(), "mask": Image(),
        "seed_id": _STR, "condition": ClassLabel(names=conditions),
        "fitzpatrick": Value("int8"), "fst_group": ClassLabel(names=FST_NAMES),
        "rank": _I32,
        "sampling": {"method": _STR, "rng_seed": Value("int64"), "n_per_group": _I32,
                     "condition": _STR, "group": _STR, "pool": _STR, "pool_size": _I32,
                     "params_sha256": _STR},
        "source_dataset": _STR, "source_sha256": _STR, "source_url": _STR,
        "source_license": _STR,
        "crop_sha256": _STR, "crop_box": _BOX, "crop_method": _STR, "crop_output_size": _I32,
        "crop_params": Json(),
        "mask_sha256": _STR, "mask_method": _STR, "mask_editable": _STR,
        "mask_editable_fraction": Value("float64"), "mask_params": Json(),
        "release_added": _STR,
    })


def experiment_features(conditions: list[str]) -> Features:
    """Columns of ``experiments``: the SplitMembership fields."""
    return Features({
        "source_id": _STR, "experiment": _STR, "role": _STR,
        "condition": ClassLabel(names=conditions), "fitzpatrick": Value("int8"),
        "fst_group": ClassLabel(names=FST_NAMES),
    })


def config_features(config: str, conditions: list[str]) -> Features:
    config = CONFIG_ALIASES.get(config, config)
    if config in ("synthetic", "candidates"):
        return release_features(conditions)
    if config == "seeds":
        return seed_features(conditions)
    if config == "experiments":
        return experiment_features(conditions)
    raise KeyError(config)


_LABELS = ("condition", "fst_group")


def to_arrow(record: ReleaseRow | SeedRow | SplitMembership, features: Features,
             images: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A record as one arrow row: class labels as their index, images as {bytes, path},
    JSON objects as canonical JSON text (what a ``Json`` column stores)."""
    row: dict[str, Any] = dict(images or {})
    row.update(record.model_dump())
    for name in _LABELS:
        if name in row:
            row[name] = features[name].str2int(row[name])
    for name in JSON_COLUMNS:
        if name in row:
            row[name] = canonical_json(row[name])
    return row


def from_arrow(row: dict[str, Any], features: Features) -> dict[str, Any]:
    """An arrow row (``to_pylist``) back to record fields (image columns dropped), from a
    release of this version or of dermforge 0.1.0 (old column names, JSON as plain text).
    A JSON column that does not parse is left as text, for the record's validator to name."""
    fields = {LEGACY_COLUMNS.get(k, k): v for k, v in row.items()
              if not isinstance(features.get(k), Image)}
    if any(name in LEGACY_COLUMNS for name in features):
        features = Features({LEGACY_COLUMNS.get(k, k): f for k, f in features.items()})
    for name in _LABELS:
        if name in fields and fields[name] is not None:
            fields[name] = features[name].int2str(fields[name])
    for name in JSON_COLUMNS:
        if isinstance(fields.get(name), str):
            with contextlib.suppress(ValueError):
                fields[name] = json.loads(fields[name])
    return fields
