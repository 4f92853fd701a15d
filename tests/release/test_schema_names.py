"""One name, one meaning: a column shared by several configs has one type and one
description everywhere, and the old names of dermforge 0.1.0 are gone from every config."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from datasets import Features, Json

from dermforge.builder import ReleaseFolder
from dermforge.builder._features import (
    CONFIG_ALIASES,
    CONFIGS,
    JSON_COLUMNS,
    LEGACY_COLUMNS,
    config_features,
)
from dermforge.schemas import FIELD_DOCS, Record, ReleaseRow, SeedRow, SplitMembership
from release.factory import Ready

MODELS: dict[str, type[Record]] = {"synthetic": ReleaseRow, "candidates": ReleaseRow,
                                   "seeds": SeedRow, "experiments": SplitMembership}


def _shared(features: dict[str, Features]) -> dict[str, list[str]]:
    """column → the configs holding it, for columns in more than one kind of row."""
    holders: dict[str, list[str]] = defaultdict(list)
    for config, feats in features.items():
        if config != "candidates":  # the same record as synthetic
            for name in feats:
                holders[name].append(config)
    return {name: configs for name, configs in holders.items() if len(configs) > 1}


def test_a_shared_name_has_one_type_and_one_meaning(built: tuple[Ready, Path]) -> None:
    folder = ReleaseFolder(built[1])
    features = {config: folder.features(config) for config in CONFIGS}  # as written
    shared = _shared(features)
    assert {"condition", "fitzpatrick", "fst_group", "source_sha256", "source_dataset",
            "source_url", "source_license", "crop_sha256", "crop_box", "mask_sha256",
            "release_added"} <= set(shared)
    for name, configs in shared.items():
        types = {repr(features[c][name]) for c in configs}
        assert len(types) == 1, (name, types)
        docs = {MODELS[c].model_fields[name].description for c in configs}
        assert docs == {FIELD_DOCS[name]}, (name, docs)
    # what each config writes is what the builder declares; the names are the record's
    conditions = features["synthetic"]["condition"].names
    for config in CONFIGS:
        assert features[config] == config_features(config, conditions), config
        fields = [n for n in features[config] if n not in ("image", "crop", "mask")]
        assert fields == list(MODELS[config].model_fields), config


def test_old_names_are_gone_and_json_columns_are_typed(built: tuple[Ready, Path]) -> None:
    folder = ReleaseFolder(built[1])
    for config in CONFIGS:
        names = set(folder.features(config))
        assert not names & set(LEGACY_COLUMNS), config
        for name in JSON_COLUMNS:
            if name in names:
                assert isinstance(folder.features(config)[name], Json), (config, name)
    assert set(CONFIG_ALIASES) == {"splits"} and not (built[1] / "data" / "splits").exists()
    assert folder.shards("splits") == folder.shards("experiments")
