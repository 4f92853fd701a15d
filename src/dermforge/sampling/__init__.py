"""Seed sampling and the paper's experiment splits (records in: the catalogue; out: Seed,
SplitMembership)."""

from ._params import DEFAULT_RNG_SEED, Pool, SeedParams, SplitParams
from ._report import TABLE2_NOTE, splits_markdown, table2_rows
from ._seeds import PoolShortfall, check_conditions, rank_key, sample_seeds
from ._splits import SplitCounts, build_splits, count_splits, experiment_name, paper_splits

__all__ = [
    "DEFAULT_RNG_SEED",
    "TABLE2_NOTE",
    "Pool",
    "PoolShortfall",
    "SeedParams",
    "SplitCounts",
    "SplitParams",
    "build_splits",
    "check_conditions",
    "count_splits",
    "experiment_name",
    "paper_splits",
    "rank_key",
    "sample_seeds",
    "splits_markdown",
    "table2_rows",
]
