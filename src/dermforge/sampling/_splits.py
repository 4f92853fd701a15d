"""The paper's experiment grid (§2.4) as explicit membership lists.

One experiment per training group G (the paper: ``train-I-II`` and ``train-V-VI``). In
experiment ``train-G``, over the configured conditions and every image with a known skin type:

- every image of group G is ``train`` (seeds of G included: they are training images anyway);
- every seed of another group is ``seed``: it joins training only in the "+seed" arms, and is
  never tested on, in any experiment ("Seed images were not included in any test set");
- every other image is ``test``.

Images of unknown skin type belong to no experiment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import InputError
from ..schemas import FstGroup, Seed, SourceImage, SplitMembership, fst_group
from ..sources import Catalog
from ._params import SeedParams, SplitParams
from ._seeds import check_conditions, sample_seeds

__all__ = ["SplitCounts", "build_splits", "count_splits", "experiment_name", "paper_splits"]


def experiment_name(train_group: FstGroup) -> str:
    return f"train-{train_group}"


def build_splits(
    catalog: Catalog,
    seeds: Sequence[Seed],
    params: SplitParams,
    present: Collection[str] | None = None,
) -> list[SplitMembership]:
    """Membership rows ordered by experiment, condition (as configured), then CSV order.

    ``present`` restricts the images to those in a workspace (required when
    ``params.pool`` is ``"workspace"``). Seeds must agree with the catalogue and belong to
    one of the split conditions; otherwise :class:`InputError` names the seed and field.
    """
    check_conditions(catalog, params.conditions, "splits.conditions")
    if params.pool == "workspace" and present is None:
        raise InputError("splits.pool is 'workspace' but no workspace was given",
                         fix="pass --workspace, or set splits.pool: csv")
    seed_ids = _checked_seed_ids(catalog, seeds, params, present)
    rows = [row for row in _images(catalog, params.conditions)
            if params.pool == "csv" or (present is not None and row.source_id in present)]
    memberships: list[SplitMembership] = []
    for train_group in params.train_groups:
        experiment = experiment_name(train_group)
        for row in rows:
            assert row.fitzpatrick is not None  # _images keeps known skin types only
            group = fst_group(row.fitzpatrick)
            role: Literal["train", "test", "seed"]
            if group == train_group:
                role = "train"
            elif row.source_id in seed_ids:
                role = "seed"
            else:
                role = "test"
            memberships.append(SplitMembership(
                source_id=row.source_id, experiment=experiment, role=role,
                condition=row.label, fitzpatrick=row.fitzpatrick, fst_group=group))
    return memberships


def _images(catalog: Catalog, conditions: Sequence[str]) -> list[SourceImage]:
    order = {condition: index for index, condition in enumerate(conditions)}
    rows = [row for row in catalog.with_label(conditions) if row.fitzpatrick is not None]
    return sorted(rows, key=lambda row: order[row.label])  # stable: CSV order within a label


def _checked_seed_ids(
    catalog: Catalog,
    seeds: Sequence[Seed],
    params: SplitParams,
    present: Collection[str] | None,
) -> set[str]:
    ids: set[str] = set()
    for seed in seeds:
        row = catalog.by_id.get(seed.source_id)
        where = f"seed {seed.source_id}"
        if row is None:
            raise InputError(f"{where} (field 'source_id') is not in {catalog.origin}",
                             fix="re-run `dermforge seeds sample` with this CSV")
        if seed.condition != row.label or seed.fitzpatrick != row.fitzpatrick:
            raise InputError(
                f"{where}: field 'condition'/'fitzpatrick' is {seed.condition!r}/"
                f"{seed.fitzpatrick}, but {catalog.origin} line {row.csv_line} says "
                f"{row.label!r}/{row.fitzpatrick}",
                fix="re-run `dermforge seeds sample` with this CSV")
        if seed.condition not in params.conditions:
            raise InputError(
                f"{where}: field 'condition' {seed.condition!r} is not one of splits.conditions "
                f"{list(params.conditions)}",
                fix="add the condition to splits.conditions, or drop it from seeds.conditions "
                "and re-sample")
        if params.pool == "workspace" and present is not None and seed.source_id not in present:
            raise InputError(f"{where} is not in the workspace (splits.pool is 'workspace')",
                             fix="import the seed image, or re-sample with seeds.pool: workspace")
        ids.add(seed.source_id)
    return ids


@dataclass(frozen=True)
class SplitCounts:
    """Images per (experiment, condition, group, role)."""

    counts: Counter[tuple[str, str, str, str]]

    def get(self, experiment: str, condition: str, group: str, role: str) -> int:
        return self.counts[(experiment, condition, group, role)]

    def test_n(self, train_group: FstGroup, condition: str, test_group: FstGroup) -> int:
        """The N of Table 2: test images of a condition and group, training on train_group."""
        return self.get(experiment_name(train_group), condition, test_group, "test")


def count_splits(memberships: Iterable[SplitMembership]) -> SplitCounts:
    return SplitCounts(Counter((m.experiment, m.condition, m.fst_group, m.role)
                               for m in memberships))


def paper_splits(catalog: Catalog) -> tuple[list[Seed], list[SplitMembership]]:
    """The paper's configuration from the CSV alone: seeds of the three augmented conditions
    (8 per end of the scale, default RNG seed) and the grid over the seven conditions."""
    seeds = sample_seeds(catalog, SeedParams())
    return seeds, build_splits(catalog, seeds, SplitParams())
