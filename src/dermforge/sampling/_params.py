"""The `seeds` and `splits` sections of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, field_validator

from .._paper import AUGMENTED_CONDITIONS, PAPER_CONDITIONS, PAPER_SEEDS_PER_GROUP
from .._params import Params
from ..schemas import FstGroup

__all__ = ["DEFAULT_RNG_SEED", "Pool", "SeedParams", "SplitParams"]

#: The RNG seed of the default configuration (the paper's publication year; any int works).
DEFAULT_RNG_SEED = 2022

Pool = Literal["csv", "workspace"]


def _unique(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} listed more than once: {repeated}")
    return values


class SeedParams(Params):
    """How seeds are sampled. The defaults are the paper's configuration (§2.3)."""

    conditions: tuple[str, ...] = Field(
        default=AUGMENTED_CONDITIONS, min_length=1,
        description="Fitzpatrick 17k labels to sample seeds of",
    )
    groups: tuple[FstGroup, ...] = Field(
        default=("I-II", "V-VI"), min_length=1,
        description="skin-type groups to sample from (the paper: both ends of the scale)",
    )
    n_per_group: PositiveInt = Field(default=PAPER_SEEDS_PER_GROUP,
                                     description="seeds per condition and group")
    rng_seed: int = Field(default=DEFAULT_RNG_SEED,
                          description="changes which images are drawn; recorded in each Seed")
    pool: Pool = Field(
        default="csv",
        description="csv: any image of the CSV with a known skin type; "
        "workspace: only images already imported into the workspace",
    )

    @field_validator("conditions", "groups")
    @classmethod
    def _no_repeats(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(values, "value")


class SplitParams(Params):
    """The experiment grid of §2.4. The defaults are the paper's (the seven conditions)."""

    conditions: tuple[str, ...] = Field(
        default=PAPER_CONDITIONS, min_length=1,
        description="labels of the classifier; every image of them with a known skin type",
    )
    train_groups: tuple[FstGroup, ...] = Field(
        default=("I-II", "V-VI"), min_length=1,
        description="one experiment per group: train on it, test on every other group",
    )
    pool: Pool = Field(
        default="csv",
        description="csv: every CSV image (no images needed); workspace: only imported images",
    )

    @field_validator("conditions", "train_groups")
    @classmethod
    def _no_repeats(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(values, "value")
