"""A user loads the release with `datasets` alone: typed features, provenance, hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import datasets
from datasets import ClassLabel, Image, Json, List, Value

from dermforge._paper import PAPER_CONDITIONS
from dermforge.schemas import ReleaseRow, SeedRow, SplitMembership
from release.factory import Ready

NULLABLE = {"source_url", "request_quality", "cost_usd", "photorealism", "consistency",
            # advisory signals: null where `curate signals` was not run (as here)
            "signal_ita", "signal_ita_group", "signal_seed_ita", "signal_seed_distance",
            "signal_nearest_test_id", "signal_nearest_test_distance", "signal_sharpness",
            "signal_seed_sharpness", "reviewer_qualification",
            "generator_metadata"}  # only imports whose files recorded their making


def load(path: Path, config: str | None = None) -> datasets.Dataset:
    return datasets.load_dataset(str(path), config, split="train")


def test_configs_and_typed_features(built: tuple[Ready, Path]) -> None:
    _, path = built
    synthetic = load(path)  # the default config
    assert list(synthetic.features) == ["image", *ReleaseRow.model_fields]
    f = synthetic.features
    assert isinstance(f["image"], Image)
    assert isinstance(f["condition"], ClassLabel)
    assert f["condition"].names == list(PAPER_CONDITIONS)
    assert f["fst_group"].names == ["I-II", "III-IV", "V-VI"]
    assert f["crop_box"] == {"left": Value("int32"), "top": Value("int32"),
                             "side": Value("int32")}
    assert f["reason_codes"] == List(Value("string"))
    assert f["generated_at"] == Value("timestamp[us, tz=UTC]")
    candidates = load(path, "candidates")
    assert candidates.features == synthetic.features
    seeds = load(path, "seeds")
    assert list(seeds.features) == ["crop", "mask", *SeedRow.model_fields]
    experiments = load(path, "experiments")
    assert list(experiments.features) == list(SplitMembership.model_fields)
    assert [synthetic.num_rows, candidates.num_rows, seeds.num_rows, experiments.num_rows] == [
        16, 24, 8, 96]


def test_every_synthetic_row_has_provenance_and_its_hash(built: tuple[Ready, Path]) -> None:
    ready, path = built
    rows = load(path).cast_column("image", Image(decode=False))
    accepted = {v.candidate_id for v in ready.verdicts if v.decision == "accept"}
    assert set(rows["image_id"]) == accepted
    names = rows.features["condition"].names
    seeds = {s.source_id: s for s in ready.populated.seeds}
    for row in rows:
        assert hashlib.sha256(row["image"]["bytes"]).hexdigest() == row["image_sha256"]
        missing = [k for k, v in row.items() if v is None and k not in NULLABLE]
        assert not missing, (row["image_id"], missing)
        assert row["verdict"] == "accept" and row["reviewer"] == "rev-a"
        assert names[row["condition"]] == seeds[row["seed_id"]].condition
        assert row["release_added"] == "1.0.0"
    decoded = load(path)[0]["image"]
    assert decoded.size == (32, 32)


def test_the_deprecated_splits_config_still_loads_the_experiments(
        built: tuple[Ready, Path]) -> None:
    _, path = built
    old, new = load(path, "splits"), load(path, "experiments")
    assert old.features == new.features and old.num_rows == new.num_rows == 96
    assert old.to_list() == new.to_list()
    assert not (path / "data" / "splits").exists()  # one copy of the files, two names


def test_json_columns_load_as_python_objects(built: tuple[Ready, Path]) -> None:
    ready, path = built
    synthetic = load(path).remove_columns("image")
    assert isinstance(synthetic.features["request_parameters"], Json)
    requests = {r.request_id: r for r in ready.populated.requests}
    for row in synthetic:
        assert row["request_parameters"] == requests[row["request_id"]].parameters
        assert isinstance(row["generation_metadata"], dict)
    seeds = load(path, "seeds").remove_columns(["crop", "mask"])
    for row in seeds:
        assert isinstance(row["crop_params"], dict) and isinstance(row["mask_params"], dict)
    assert any(row["mask_params"] for row in seeds)


def test_candidates_seeds_and_splits_content(built: tuple[Ready, Path]) -> None:
    ready, path = built
    candidates = load(path, "candidates")
    assert sorted(candidates["verdict"]) == ["accept"] * 16 + ["reject"] * 8
    rejected = [r for r in candidates if r["verdict"] == "reject"]
    assert {tuple(r["reason_codes"]) for r in rejected} == {("artifact",)}
    seeds = load(path, "seeds").cast_column("crop", Image(decode=False)).cast_column(
        "mask", Image(decode=False))
    for row in seeds:
        assert hashlib.sha256(row["crop"]["bytes"]).hexdigest() == row["crop_sha256"]
        assert hashlib.sha256(row["mask"]["bytes"]).hexdigest() == row["mask_sha256"]
        assert row["sampling"]["method"] == "sha256-rank"
    experiments = load(path, "experiments")
    group = experiments.features["fst_group"]
    tests = {r["source_id"] for r in experiments if r["role"] == "test"}
    assert tests and not tests & {s.source_id for s in ready.populated.seeds}
    assert {group.int2str(g) for g in experiments["fst_group"]} == {"I-II", "V-VI"}
