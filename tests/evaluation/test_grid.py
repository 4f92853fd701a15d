"""The grid's membership, read from a release folder exactly as a dataset user would."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from dermforge.errors import InputError, IntegrityError, RecordError
from dermforge.evaluation import build_grid, load_release, scan_real_images, synthetic_pool
from evaluation.release_fixture import FixtureRelease, small_config


def _grid(release: FixtureRelease, **changes):  # type: ignore[no-untyped-def]
    inputs = load_release(release.release)
    real = scan_real_images(release.images, [r.source_id for r in inputs.splits])
    return inputs, build_grid(inputs.splits, inputs.synthetic, real, small_config(**changes))


def test_the_release_loads_with_its_labels_decoded(release: FixtureRelease) -> None:
    inputs = load_release(release.release)
    assert list(inputs.splits) == release.splits  # ClassLabels came back as names
    assert len(inputs.synthetic) == len(release.synthetic_ids) == 32
    assert {r.backend for r in inputs.synthetic} == {"classic"}


def test_seeds_are_never_tested_on(release: FixtureRelease) -> None:
    inputs, grid = _grid(release)
    seeds = {f"real:{r.source_id}" for r in inputs.splits if r.role == "seed"}
    assert seeds
    for spec in grid.runs:
        assert not seeds & set(spec.test)
        assert not seeds & set(spec.selection)
        assert all(grid.items[i].kind == "real" for i in spec.test)


def test_arms_differ_only_by_the_images_they_add(release: FixtureRelease) -> None:
    inputs, grid = _grid(release)
    for experiment in grid.experiments:
        runs = [r for r in grid.runs if r.experiment == experiment]
        fitz = next(r for r in runs if r.arm == "fitz_only")
        assert fitz.added == ()
        group = experiment.removeprefix("train-")
        assert {grid.items[i].group for i in fitz.base} == {group}
        for spec in runs:
            assert spec.base == fitz.base and spec.test == fitz.test
            assert spec.selection == fitz.selection
            assert not set(spec.added) & set(spec.base)
        seed_run = next(r for r in runs if r.arm == "seed")
        seeds = {f"real:{r.source_id}" for r in inputs.splits
                 if r.experiment == experiment and r.role == "seed"
                 and r.condition == "squamous cell carcinoma"}
        assert set(seed_run.added) == seeds and len(seeds) == 2
        assert all(grid.items[i].group != group for i in seeds)
        doses = sorted((r for r in runs if r.arm == "synthetic"), key=lambda r: r.n_synthetic)
        assert [r.n_synthetic for r in doses] == [2, 8]
        for small, large in itertools.pairwise(doses):
            assert set(small.added) < set(large.added)  # nested doses
        for spec in doses:
            synthetic = [grid.items[i] for i in spec.added if i.startswith("synthetic:")]
            assert len(synthetic) == spec.n_synthetic
            assert set(spec.added) - {i.item_id for i in synthetic} == seeds
            # made from the seeds of the other end of the scale, so their group is not trained
            assert {s.group for s in synthetic} == {grid.items[i].group for i in seeds}
            assert {s.row.seed_id for s in synthetic if s.row} <= {i[5:] for i in seeds}


def test_doses_spread_over_the_seeds(release: FixtureRelease) -> None:
    inputs = load_release(release.release)
    seeds = sorted({r.seed_id for r in inputs.synthetic
                    if r.condition == "squamous cell carcinoma" and r.fst_group == "V-VI"})
    pool = synthetic_pool("squamous cell carcinoma", seeds, inputs.synthetic)
    assert len(pool) == 8
    assert {r.seed_id for r in pool[:2]} == set(seeds)  # one per seed before any second


def test_a_condition_missing_from_the_folder_is_reported_not_dropped(
        release: FixtureRelease) -> None:
    _, grid = _grid(release)
    psoriasis = next(c for c in grid.coverage if c.condition == "psoriasis")
    assert (psoriasis.images, psoriasis.present, psoriasis.missing) == (18, 0, 18)
    assert not psoriasis.computable and "all 18 images are missing" in psoriasis.reason
    assert "psoriasis" not in grid.classes
    assert grid.classes == ("basal cell carcinoma", "folliculitis", "squamous cell carcinoma")
    assert "psoriasis" in grid.augmented  # still reported in every table
    assert any(s.condition == "psoriasis" and s.scope == "condition" for s in grid.skipped)
    assert all(r.condition != "psoriasis" for r in grid.runs)


def test_a_dose_larger_than_the_release_is_listed_as_not_computable(
        release: FixtureRelease) -> None:
    _, grid = _grid(release, doses=(2, 16), synthetic=8)
    skipped = [s for s in grid.skipped if s.scope.endswith("synthetic-16")]
    assert len(skipped) == 2 and "fewer than 16" in skipped[0].reason
    assert not any(r.run_id.endswith("synthetic-16") for r in grid.runs)


def test_clean_selection_holds_out_the_same_real_training_images_in_every_arm(
        release: FixtureRelease) -> None:
    _, faithful = _grid(release, selection="faithful")
    _, clean = _grid(release, selection="clean", validation_fraction=0.34)
    for experiment in clean.experiments:
        runs = [r for r in clean.runs if r.experiment == experiment]
        fitz = next(r for r in faithful.runs if r.run_id == f"{experiment}/fitz_only")
        held = set(runs[0].selection)
        assert held and held < set(fitz.base) and not held & set(runs[0].base)
        assert all(set(r.selection) == held for r in runs)
        assert set(runs[0].base) | held == set(fitz.base)
        assert fitz.selection == fitz.test  # faithful selects on the test set


def _copy(release: FixtureRelease, tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "copy"
    shutil.copytree(release.release.parent, target)
    return target / "release", target / "images"


def test_a_damaged_image_stops_the_evaluation_naming_the_file(
        release: FixtureRelease, tmp_path: Path) -> None:
    _, images = _copy(release, tmp_path)
    victim = sorted(images.iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(IntegrityError, match=victim.name) as info:
        scan_real_images(images, [p.stem for p in images.iterdir()])
    assert "remove them" in str(info.value)


def test_a_synthetic_image_that_does_not_match_its_sha256_is_refused(
        release: FixtureRelease, tmp_path: Path) -> None:
    import datasets

    folder, _ = _copy(release, tmp_path)
    shard = next((folder / "data" / "synthetic").glob("*.parquet"))
    table = datasets.Dataset.from_parquet(str(shard))
    image_sha = list(table["image_sha256"])
    image_sha[5] = "0" * 64
    table = table.remove_columns("image_sha256").add_column("image_sha256", image_sha)
    shard.unlink()
    table.to_parquet(str(shard))
    with pytest.raises(IntegrityError, match=r"row 5\) has sha256"):
        load_release(folder)


def test_a_release_of_dermforge_0_1_0_is_read(release: FixtureRelease,
                                              tmp_path: Path) -> None:
    """Its experiments config was named ``splits`` and its ``fst_group`` column ``group``."""
    import datasets

    folder, _ = _copy(release, tmp_path)
    (folder / "data" / "experiments").rename(folder / "data" / "splits")
    shard = next((folder / "data" / "splits").glob("*.parquet"))
    table = datasets.Dataset.from_parquet(str(shard)).rename_column("fst_group", "group")
    shard.unlink()
    table.to_parquet(str(shard))
    readme = folder / "README.md"
    readme.write_text(readme.read_text().replace("experiments", "splits"))
    old, new = load_release(folder), load_release(release.release)
    try:
        assert old.splits == new.splits
        assert {r.fst_group for r in old.splits} == {"I-II", "III-IV", "V-VI"}
    finally:
        old.close()
        new.close()


def test_a_release_without_the_splits_columns_is_refused(
        release: FixtureRelease, tmp_path: Path) -> None:
    import datasets

    folder, _ = _copy(release, tmp_path)
    shard = next((folder / "data" / "experiments").glob("*.parquet"))
    table = datasets.Dataset.from_parquet(str(shard)).remove_columns("role")
    shard.unlink()
    table.to_parquet(str(shard))
    with pytest.raises(RecordError, match="'role'"):
        load_release(folder)


def test_a_seed_in_a_test_set_is_refused(release: FixtureRelease) -> None:
    inputs = load_release(release.release)
    seed = next(r for r in inputs.splits if r.role == "seed")
    leaked = [r.model_copy(update={"role": "test"}) if r.experiment != seed.experiment
              and r.source_id == seed.source_id else r for r in inputs.splits]
    other = next(r for r in inputs.splits if r.experiment != seed.experiment)
    leaked.append(other.model_copy(update={"source_id": seed.source_id, "role": "test"}))
    real = scan_real_images(release.images, [r.source_id for r in inputs.splits])
    with pytest.raises(InputError, match=f"seed {seed.source_id} .* is a test image"):
        build_grid(leaked, inputs.synthetic, real, small_config())


def test_unknown_conditions_are_refused_with_the_choices(release: FixtureRelease) -> None:
    with pytest.raises(InputError, match="not augmented in this release") as info:
        _grid(release, conditions=("psoriasis", "melanoma"))
    assert "squamous cell carcinoma" in str(info.value)


def test_a_missing_release_or_image_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"has no README\.md"):
        load_release(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        scan_real_images(tmp_path / "nope", ["a" * 32])
