"""The typed columns of each configuration, as `datasets.Features`, and record ↔ row mapping.

Column names equal the record fields (``ReleaseRow``, ``SeedRow``, ``SplitMembership``) plus
the image columns. Condition and FST group are ``ClassLabel``s; timestamps are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from datasets import ClassLabel, Features, Image, List, Value

from .._paper import PAPER_CONDITIONS
from ..schemas import FST_GROUPS, ReleaseRow, SeedRow, SplitMembership

__all__ = [
    "CONFIGS",
    "FST_NAMES",
    "condition_names",
    "config_features",
    "from_arrow",
    "release_features",
    "seed_features",
    "split_features",
    "to_arrow",
]

#: configuration → what it holds; the first is the default
CONFIGS: dict[str, str] = {
    "synthetic": "accepted synthetic images, one row per image, with full provenance",
    "candidates": "every generated candidate (accepted, rejected, undecided, unreviewed) "
                  "with its latest verdict",
    "seeds": "the real seed images' square crops and inpainting masks, with their provenance",
    "splits": "membership of every source image in the paper's experiments (no images)",
}
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
        "image_id": _STR, "image_sha256": _STR,
        "condition": ClassLabel(names=conditions), "fst_group": ClassLabel(names=FST_NAMES),
        "seed_id": _STR, "seed_fitzpatrick": Value("int8"), "seed_sha256": _STR,
        "source_dataset": _STR, "source_url": _STR, "source_license": _STR,
        "crop_box": _BOX, "crop_method": _STR, "crop_sha256": _STR,
        "mask_method": _STR, "mask_sha256": _STR,
        "prompt": _STR,
        "prompt_slots": {"condition_phrase": _STR, "body_part": _STR,
                         "skin_type_description": _STR, "noun": _STR},
        "prompt_template_version": _STR,
        "backend": _STR, "model": _STR, "operation": _STR, "request_id": _STR,
        "request_size": _STR, "request_quality": _STR, "request_parameters": _STR,
        "candidate_index": _I32, "image_width": _I32, "image_height": _I32,
        "image_format": _STR, "generated_at": _TIME, "generation_metadata": _STR,
        "cost_usd": Value("float64"),
        "verdict": _STR, "reason_codes": List(_STR), "photorealism": Value("int8"),
        "consistency": Value("int8"), "reviewer": _STR, "decided_at": _TIME,
        "verdict_note": _STR, "release_added": _STR,
        "signal_ita": _F64, "signal_ita_group": _STR, "signal_seed_ita": _F64,
        "signal_seed_distance": _I32, "signal_nearest_test_id": _STR,
        "signal_nearest_test_distance": _I32, "signal_sharpness": _F64,
        "signal_seed_sharpness": _F64, "signal_flags": List(_STR),
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
        "crop_params": _STR,
        "mask_sha256": _STR, "mask_method": _STR, "mask_editable": _STR,
        "mask_editable_fraction": Value("float64"), "mask_params": _STR,
        "release_added": _STR,
    })


def split_features(conditions: list[str]) -> Features:
    """Columns of ``splits``: the SplitMembership fields."""
    return Features({
        "source_id": _STR, "experiment": _STR, "role": _STR,
        "condition": ClassLabel(names=conditions), "fitzpatrick": Value("int8"),
        "group": ClassLabel(names=FST_NAMES),
    })


def config_features(config: str, conditions: list[str]) -> Features:
    if config in ("synthetic", "candidates"):
        return release_features(conditions)
    if config == "seeds":
        return seed_features(conditions)
    if config == "splits":
        return split_features(conditions)
    raise KeyError(config)


_LABELS = ("condition", "fst_group", "group")


def to_arrow(record: ReleaseRow | SeedRow | SplitMembership, features: Features,
             images: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A record as one arrow row: class labels as their index, images as {bytes, path}."""
    row: dict[str, Any] = dict(images or {})
    row.update(record.model_dump())
    for name in _LABELS:
        if name in row:
            row[name] = features[name].str2int(row[name])
    return row


def from_arrow(row: dict[str, Any], features: Features) -> dict[str, Any]:
    """An arrow row (``to_pylist``) back to record fields (image columns dropped)."""
    fields = {k: v for k, v in row.items() if not isinstance(features.get(k), Image)}
    for name in _LABELS:
        if name in fields and fields[name] is not None:
            fields[name] = features[name].int2str(fields[name])
    return fields
