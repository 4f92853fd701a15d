"""Seed sampling: n images per condition and skin-type group, the same on every machine.

The pool of a (condition, group) is every image of that label whose skin type falls in the
group (unknown skin types are never drawn), optionally restricted to the images present in a
workspace. Each image gets the key ``sha256(f"{rng_seed}:{condition}:{group}:{source_id}")``;
the n smallest keys are the seeds. That is a uniform random draw without replacement for a
given RNG seed, and it depends on nothing but the ids and the seed: not on numpy, the Python
version, the order of the CSV, or the platform.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .._params import params_sha256
from ..errors import InputError
from ..schemas import FST_GROUPS, FstGroup, SamplingSpec, Seed, SourceImage, fst_group
from ..sources import Catalog
from ._params import SeedParams

__all__ = ["PoolShortfall", "check_conditions", "rank_key", "sample_seeds"]


def rank_key(rng_seed: int, condition: str, group: str, source_id: str) -> str:
    """The sort key of one image in one pool (smallest keys are drawn first)."""
    return hashlib.sha256(f"{rng_seed}:{condition}:{group}:{source_id}".encode()).hexdigest()


@dataclass(frozen=True)
class PoolShortfall:
    """A (condition, group) pool smaller than the number of seeds asked for."""

    condition: str
    group: FstGroup
    wanted: int
    in_csv: int
    present: int | None

    def describe(self) -> str:
        where = f"{self.condition!r} FST {self.group}"
        if self.present is None:
            return f"{where}: the CSV holds only {self.in_csv} images with a known skin type"
        missing = self.in_csv - self.present
        return (f"{where}: {self.present} present in the workspace; {missing} more are in the "
                f"CSV but not imported ({self.in_csv} in the CSV with a known skin type)")


def check_conditions(catalog: Catalog, conditions: Sequence[str], field: str) -> None:
    """Raise naming ``field`` if a condition is not a label of the catalogue."""
    labels = catalog.labels()
    for condition in conditions:
        if condition not in labels:
            close = difflib.get_close_matches(condition, labels, n=3)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise InputError(
                f"{field}: {condition!r} is not a label of {catalog.origin}{hint}",
                fix=f"use labels exactly as the CSV spells them (`dermforge sources summary`); "
                f"correct {field} in params.yaml or --conditions",
            )


def _pool(rows: Sequence[SourceImage], group: FstGroup) -> list[SourceImage]:
    members = FST_GROUPS[group]
    return [row for row in rows if row.fitzpatrick is not None and row.fitzpatrick in members]


def sample_seeds(
    catalog: Catalog,
    params: SeedParams,
    present: Collection[str] | None = None,
) -> list[Seed]:
    """Seeds for every configured condition × group, ordered as configured, then by rank.

    ``present`` (the source ids in the workspace) is required when ``params.pool`` is
    ``"workspace"``. A pool with fewer than ``n_per_group`` images raises :class:`InputError`
    listing every short pool, with how many images are present versus in the CSV.
    """
    check_conditions(catalog, params.conditions, "seeds.conditions")
    if params.pool == "workspace" and present is None:
        raise InputError("seeds.pool is 'workspace' but no workspace was given",
                         fix="pass --workspace, or set seeds.pool: csv")
    spec_hash = params_sha256(params)
    seeds: list[Seed] = []
    shortfalls: list[PoolShortfall] = []
    for condition in params.conditions:
        rows = catalog.with_label([condition])
        for group in params.groups:
            in_csv = _pool(rows, group)
            pool = in_csv
            if params.pool == "workspace" and present is not None:
                pool = [row for row in in_csv if row.source_id in present]
            if len(pool) < params.n_per_group:
                shortfalls.append(PoolShortfall(
                    condition, group, params.n_per_group, len(in_csv),
                    len(pool) if params.pool == "workspace" else None))
                continue
            spec = SamplingSpec(
                method="sha256-rank", rng_seed=params.rng_seed, n_per_group=params.n_per_group,
                condition=condition, group=group, pool=params.pool, pool_size=len(pool),
                params_sha256=spec_hash,
            )
            ranked = sorted(pool, key=lambda r: rank_key(params.rng_seed, condition, group,
                                                         r.source_id))
            seeds.extend(_seed(row, spec, rank) for rank, row in
                         enumerate(ranked[: params.n_per_group]))
    _raise_shortfalls(shortfalls, params)
    return seeds


def _seed(row: SourceImage, spec: SamplingSpec, rank: int) -> Seed:
    assert row.fitzpatrick is not None  # the pool holds known skin types only
    return Seed(source_id=row.source_id, dataset=row.dataset, condition=row.label,
                fitzpatrick=row.fitzpatrick, group=fst_group(row.fitzpatrick), rank=rank,
                sampling=spec)


def _raise_shortfalls(shortfalls: list[PoolShortfall], params: SeedParams) -> None:
    if not shortfalls:
        return
    listed = "\n".join(f"  - {s.describe()}" for s in shortfalls)
    fixes = ["lower seeds.n_per_group (or --n-per-group)"]
    if params.pool == "workspace":
        fixes.insert(0, "import the missing images (`dermforge sources import DIR -w WS`)")
        fixes.append("set seeds.pool: csv to sample from the whole CSV")
    else:
        fixes.append("drop the condition or group from seeds.conditions / seeds.groups")
    raise InputError(
        f"cannot sample {params.n_per_group} seeds per group "
        f"(seeds.n_per_group = {params.n_per_group}) from:\n{listed}",
        fix="; or ".join(fixes),
    )
