"""Seed sampling: uniform sha256-rank draws, identical on any machine, sensitive to the seed."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from dermforge.errors import InputError
from dermforge.sampling import SeedParams, rank_key, sample_seeds
from dermforge.schemas import FST_GROUPS, SourceImage
from dermforge.sources import Catalog
from dermforge.store import Workspace

SCC = "squamous cell carcinoma"


def present(workspace: Workspace) -> set[str]:
    return {row.source_id for row in workspace.manifest(SourceImage)}


def test_default_is_the_papers_configuration(catalog: Catalog) -> None:
    seeds = sample_seeds(catalog, SeedParams())
    cells = Counter((s.condition, s.group) for s in seeds)
    assert cells == {(c, g): 8 for c in ("neutrophilic dermatoses", "psoriasis", SCC)
                     for g in ("I-II", "V-VI")}
    for seed in seeds:
        row = catalog.by_id[seed.source_id]
        assert row.label == seed.condition and row.fitzpatrick == seed.fitzpatrick
        assert seed.fitzpatrick in FST_GROUPS[seed.group]
        assert seed.sampling.method == "sha256-rank" and seed.sampling.pool == "csv"
        assert seed.sampling.condition == seed.condition and seed.sampling.group == seed.group
    assert len({s.source_id for s in seeds}) == len(seeds)


def test_draw_is_the_n_smallest_sha256_keys(catalog: Catalog) -> None:
    """An independent re-implementation of the documented rule gives the same seeds."""
    params = SeedParams(conditions=(SCC,), groups=("V-VI",), n_per_group=5, rng_seed=7)
    pool = [r.source_id for r in catalog.with_label([SCC]) if r.fitzpatrick in (5, 6)]
    expected = sorted(pool, key=lambda sid: hashlib.sha256(
        f"7:{SCC}:V-VI:{sid}".encode()).hexdigest())[:5]
    seeds = sample_seeds(catalog, params)
    assert [s.source_id for s in seeds] == expected
    assert [s.rank for s in seeds] == [0, 1, 2, 3, 4]
    assert seeds[0].sampling.pool_size == len(pool) == 63
    assert rank_key(7, SCC, "V-VI", expected[0]) < rank_key(7, SCC, "V-VI", expected[-1])


def test_pinned_draw_guards_the_key_format(catalog: Catalog) -> None:
    """Pinned once: any change to the key string, pool or order shows up here."""
    seeds = sample_seeds(catalog, SeedParams(conditions=(SCC,), groups=("V-VI",),
                                             n_per_group=2, rng_seed=2022))
    keys = [rank_key(2022, SCC, "V-VI", s.source_id) for s in seeds]
    assert keys == sorted(keys)
    assert [s.source_id[:8] for s in seeds] == PINNED_2022_SCC_V_VI


PINNED_2022_SCC_V_VI = ["a036718d", "36c7bbdc"]


def test_same_params_same_seeds_other_rng_seed_other_seeds(catalog: Catalog) -> None:
    first = sample_seeds(catalog, SeedParams())
    again = sample_seeds(catalog, SeedParams())
    other = sample_seeds(catalog, SeedParams(rng_seed=2023))
    assert first == again
    ids = {s.source_id for s in first}
    assert ids != {s.source_id for s in other}
    assert {s.sampling.params_sha256 for s in first} != {s.sampling.params_sha256 for s in other}


def test_draws_are_uniform_over_the_pool(catalog: Catalog) -> None:
    """Over 300 RNG seeds, each of the 63 SCC V-VI images is drawn ≈ 300·8/63 ≈ 38 times."""
    counts: Counter[str] = Counter()
    for rng_seed in range(300):
        params = SeedParams(conditions=(SCC,), groups=("V-VI",), rng_seed=rng_seed)
        counts.update(s.source_id for s in sample_seeds(catalog, params))
    assert len(counts) == 63
    # binomial(300, 8/63): mean 38.1, sd 5.8; ±4.5 sd
    assert min(counts.values()) >= 12 and max(counts.values()) <= 64


def test_workspace_pool_draws_only_imported_images(catalog: Catalog,
                                                   demo_workspace: Workspace) -> None:
    ids = present(demo_workspace)
    params = SeedParams(conditions=(SCC, "basal cell carcinoma"), pool="workspace")
    seeds = sample_seeds(catalog, params, ids)
    assert len(seeds) == 32 and {s.source_id for s in seeds} <= ids
    assert {s.sampling.pool_size for s in seeds} == {12}


def test_short_workspace_pool_names_condition_group_and_counts(
        catalog: Catalog, demo_workspace: Workspace) -> None:
    params = SeedParams(conditions=(SCC,), pool="workspace", n_per_group=13)
    with pytest.raises(InputError) as caught:
        sample_seeds(catalog, params, present(demo_workspace))
    message = str(caught.value)
    assert "'squamous cell carcinoma' FST I-II: 12 present in the workspace; 268 more are in " \
        "the CSV but not imported (280 in the CSV" in message
    assert "'squamous cell carcinoma' FST V-VI: 12 present in the workspace; 51 more" in message
    assert "seeds.n_per_group = 13" in message and "dermforge sources import" in message


def test_short_csv_pool_names_condition_group_and_count(catalog: Catalog) -> None:
    params = SeedParams(conditions=("prurigo nodularis",), n_per_group=40)
    with pytest.raises(InputError) as caught:
        sample_seeds(catalog, params)
    assert "'prurigo nodularis' FST I-II: the CSV holds only 35 images" in str(caught.value)
    assert "'prurigo nodularis' FST V-VI: the CSV holds only 38 images" in str(caught.value)


def test_unknown_condition_is_named_with_suggestion(catalog: Catalog) -> None:
    with pytest.raises(InputError, match=r"seeds.conditions: 'squamous cell carcinomas' is not "
                       r"a label .*did you mean 'squamous cell carcinoma'"):
        sample_seeds(catalog, SeedParams(conditions=("squamous cell carcinomas",)))


def test_workspace_pool_needs_a_workspace(catalog: Catalog) -> None:
    with pytest.raises(InputError, match=r"seeds\.pool is 'workspace'"):
        sample_seeds(catalog, SeedParams(pool="workspace"))


def test_params_reject_repeats_and_bad_values() -> None:
    with pytest.raises(ValueError, match="more than once"):
        SeedParams(conditions=(SCC, SCC))
    with pytest.raises(ValueError):
        SeedParams(n_per_group=0)
    with pytest.raises(ValueError):
        SeedParams(groups=("I-III",))  # type: ignore[arg-type]
