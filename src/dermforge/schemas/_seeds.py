"""Records of seed sampling and of the paper's experiment splits."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, NonNegativeInt, PositiveInt

from ._base import FIELD_DOCS, Fitzpatrick, FstGroup, NonEmptyStr, Record, Sha256, SourceId

__all__ = ["SamplingSpec", "Seed", "SplitMembership"]


class SamplingSpec(Record):
    """How a seed was chosen; identical specs choose identical seeds on any machine."""

    method: Literal["sha256-rank"] = Field(
        description="rank the pool by sha256(rng_seed:condition:group:source_id), keep the first n"
    )
    rng_seed: int
    n_per_group: PositiveInt
    condition: NonEmptyStr
    group: FstGroup
    pool: Literal["csv", "workspace"] = Field(
        description="csv: any image of the CSV; workspace: only images present in the workspace"
    )
    pool_size: NonNegativeInt
    params_sha256: Sha256 = Field(description="sha256 of the canonical sampling parameters")


class Seed(Record):
    """A real image chosen as a seed for generation."""

    source_id: SourceId
    dataset: NonEmptyStr
    condition: NonEmptyStr
    fitzpatrick: Fitzpatrick
    group: FstGroup
    rank: NonNegativeInt = Field(description="position in the sampled order, 0-based")
    sampling: SamplingSpec


class SplitMembership(Record):
    """One image's role in one experiment of the paper's grid (a row of the release's
    ``experiments`` config, and a line of the workspace's records/splits.jsonl).

    ``fst_group`` was named ``group`` up to dermforge 0.1.0; lines and releases written then
    still read (the old name is accepted on input; the new one is written).
    """

    source_id: SourceId = Field(
        description="source id of the real image (any image of the source dataset, not "
        "only seeds: compare `seed_id` in the other configs)")
    experiment: NonEmptyStr = Field(description="e.g. 'train-I-II'")
    role: Literal["train", "test", "seed"]
    condition: NonEmptyStr = Field(description=FIELD_DOCS["condition"])
    fitzpatrick: Fitzpatrick = Field(description=FIELD_DOCS["fitzpatrick"])
    fst_group: FstGroup = Field(description=FIELD_DOCS["fst_group"],
                                validation_alias=AliasChoices("fst_group", "group"))
