"""The paper's experiment grid (§2.4-2.5) as explicit training runs over present images.

Per experiment ``train-G`` (from the release's ``splits``): one Fitzpatrick-only run, and per
augmented condition a "+seed" run and one "+seed + n synthetic" run per dose. Every run of an
experiment shares the same base training images and the same test images: arms differ only by
the images they add. Seeds are never tested on. The synthetic images that augment condition c
in ``train-G`` are those generated from c's seeds in that experiment (the other end of the
scale). Conditions or runs that cannot be computed are listed with the reason, never dropped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .._paper import PAPER_CONDITIONS
from ..errors import InputError
from ..schemas import FST_GROUPS, FstGroup, SplitMembership
from ._config import EvaluationConfig
from ._images import RealImages
from ._release import SyntheticRow

__all__ = ["Arm", "ConditionCoverage", "Grid", "Item", "RunSpec", "Skipped", "build_grid"]

Arm = Literal["fitz_only", "seed", "synthetic"]


@dataclass(frozen=True)
class Item:
    """One image the grid trains or tests on."""

    item_id: str  # "real:<source_id>" or "synthetic:<image_id>"
    sha256: str
    condition: str
    group: FstGroup
    kind: Literal["real", "synthetic"]
    ref: str  # source_id or image_id
    row: SyntheticRow | None = None


@dataclass(frozen=True)
class RunSpec:
    """One training run: the images it trains on, selects with and tests on."""

    run_id: str
    experiment: str
    train_group: FstGroup
    condition: str | None  # the augmented condition; None for the Fitzpatrick-only run
    arm: Arm
    n_synthetic: int
    base: tuple[str, ...]  # real training images shared by every arm of the experiment
    added: tuple[str, ...]  # seeds and synthetic images this arm adds
    selection: tuple[str, ...]  # test images (faithful) or validation images (clean)
    test: tuple[str, ...]

    @property
    def train(self) -> tuple[str, ...]:
        return self.base + self.added


@dataclass(frozen=True)
class ConditionCoverage:
    condition: str
    images: int  # distinct images of the condition in the splits
    present: int
    missing: int
    computable: bool
    reason: str = ""


@dataclass(frozen=True)
class Skipped:
    """A run or condition that could not be computed, and why."""

    scope: str  # a run id, or "condition"
    condition: str | None
    experiment: str | None
    reason: str


@dataclass(frozen=True)
class Grid:
    classes: tuple[str, ...]
    augmented: tuple[str, ...]
    experiments: tuple[str, ...]
    items: dict[str, Item]
    runs: tuple[RunSpec, ...]
    coverage: tuple[ConditionCoverage, ...]
    skipped: tuple[Skipped, ...] = field(default=())

    def run(self, run_id: str) -> RunSpec:
        return next(r for r in self.runs if r.run_id == run_id)


def slug(condition: str) -> str:
    return condition.replace(" ", "-")


def build_grid(
    splits: Sequence[SplitMembership],
    synthetic: Sequence[SyntheticRow],
    real: RealImages,
    config: EvaluationConfig,
) -> Grid:
    """The runs of the grid, from validated release rows and the verified real images."""
    by_experiment = _by_experiment(splits)
    coverage, classes = _coverage(splits, real, by_experiment)
    augmented = _augmented(splits, config, coverage)
    items = _real_items(splits, real, classes)
    seeds_of = _seeds(by_experiment)
    _check_synthetic(synthetic, seeds_of)
    items.update({f"synthetic:{r.image_id}": _synthetic_item(r) for r in synthetic
                  if r.condition in classes})
    runs: list[RunSpec] = []
    skipped = [Skipped("condition", c.condition, None, c.reason)
               for c in coverage if not c.computable]
    for experiment, rows in by_experiment.items():
        runs_here, skipped_here = _experiment_runs(
            experiment, rows, items, classes, augmented, synthetic, config)
        runs += runs_here
        skipped += skipped_here
    return Grid(classes=classes, augmented=augmented, experiments=tuple(by_experiment),
                items=items, runs=tuple(runs), coverage=coverage, skipped=tuple(skipped))


def _train_group(experiment: str) -> FstGroup:
    group = experiment.removeprefix("train-")
    if not experiment.startswith("train-") or group not in FST_GROUPS:
        raise InputError(
            f"splits experiment {experiment!r} is not train-<group> with a group of "
            f"{sorted(FST_GROUPS)}", fix="rebuild the release from `dermforge splits`")
    return group


def _by_experiment(splits: Sequence[SplitMembership]) -> dict[str, list[SplitMembership]]:
    grouped: dict[str, list[SplitMembership]] = defaultdict(list)
    for row in splits:
        grouped[row.experiment].append(row)
    if not grouped:
        raise InputError("the release's splits config has no rows",
                         fix="rebuild the release from `dermforge splits`")
    order = list(FST_GROUPS)
    ordered = sorted(grouped, key=lambda name: order.index(_train_group(name)))
    tested = {r.source_id for r in splits if r.role == "test"}
    for name in ordered:
        seen: set[str] = set()
        for row in grouped[name]:
            if row.source_id in seen:
                raise InputError(f"image {row.source_id} appears twice in experiment {name!r}",
                                 fix="rebuild the release; membership must be unique")
            seen.add(row.source_id)
            if row.role == "seed" and row.source_id in tested:
                raise InputError(
                    f"seed {row.source_id} ({row.condition}) is a test image in another "
                    "experiment; the paper never tests on seeds",
                    fix="rebuild the release; its builder must exclude seeds from every test set")
    return {name: grouped[name] for name in ordered}


def _condition_order(conditions: Iterable[str]) -> tuple[str, ...]:
    names = set(conditions)
    known = [c for c in PAPER_CONDITIONS if c in names]
    return (*known, *sorted(names - set(known)))


def _coverage(
    splits: Sequence[SplitMembership],
    real: RealImages,
    by_experiment: dict[str, list[SplitMembership]],
) -> tuple[tuple[ConditionCoverage, ...], tuple[str, ...]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for row in splits:
        ids[row.condition].add(row.source_id)
    result, classes = [], []
    for condition in _condition_order(ids):
        present = sum(1 for i in ids[condition] if i in real.sha256)
        total = len(ids[condition])
        reason = ""
        if present == 0:
            reason = f"all {total} images are missing from {real.folder}"
        else:
            for name, rows in by_experiment.items():
                if not any(r.condition == condition and r.role == "train"
                           and r.source_id in real.sha256 for r in rows):
                    reason = f"no training image present in experiment {name}"
                    break
        result.append(ConditionCoverage(condition, total, present, total - present,
                                        computable=not reason, reason=reason))
        if not reason:
            classes.append(condition)
    if not classes:
        raise InputError(f"none of the release's images are in {real.folder}",
                         fix="pass --source-images with the folder of <md5hash>.jpg files")
    return tuple(result), tuple(classes)


def _augmented(
    splits: Sequence[SplitMembership],
    config: EvaluationConfig,
    coverage: tuple[ConditionCoverage, ...],
) -> tuple[str, ...]:
    seeded = _condition_order({r.condition for r in splits if r.role == "seed"})
    if config.conditions is None:
        return seeded
    unknown = [c for c in config.conditions if c not in seeded]
    if unknown:
        raise InputError(
            f"condition(s) {unknown} are not augmented in this release; it augments "
            f"{list(seeded)}", fix="pass --conditions with names from that list")
    return tuple(c for c in seeded if c in config.conditions)


def _real_items(
    splits: Sequence[SplitMembership], real: RealImages, classes: tuple[str, ...]
) -> dict[str, Item]:
    return {f"real:{r.source_id}": Item(f"real:{r.source_id}", real.sha256[r.source_id],
                                        r.condition, r.fst_group, "real", r.source_id)
            for r in splits if r.condition in classes and r.source_id in real.sha256}


def _synthetic_item(row: SyntheticRow) -> Item:
    return Item(f"synthetic:{row.image_id}", row.image_sha256, row.condition, row.fst_group,
                "synthetic", row.image_id, row)


def _seeds(by_experiment: dict[str, list[SplitMembership]]) -> dict[str, SplitMembership]:
    return {r.source_id: r for rows in by_experiment.values() for r in rows if r.role == "seed"}


def _check_synthetic(synthetic: Sequence[SyntheticRow], seeds: dict[str, SplitMembership]) -> None:
    for row in synthetic:
        seed = seeds.get(row.seed_id)
        if seed is None:
            raise InputError(
                f"synthetic image {row.image_id!r} names seed_id {row.seed_id}, which is not a "
                "seed in the release's experiments config",
                fix="rebuild the release from the same seeds")
        if (seed.condition, seed.fst_group) != (row.condition, row.fst_group):
            raise InputError(
                f"synthetic image {row.image_id!r} says {row.condition!r}/{row.fst_group}, but "
                f"its seed {row.seed_id} is {seed.condition!r}/{seed.fst_group} in the "
                "experiments config",
                fix="rebuild the release; a synthetic image inherits its seed's labels")


def synthetic_pool(
    condition: str, seed_ids: Iterable[str], synthetic: Sequence[SyntheticRow]
) -> list[SyntheticRow]:
    """Round-robin over seeds (sorted by id), so every dose spreads over the seeds and the
    images of a smaller dose are part of every larger one."""
    wanted = set(seed_ids)
    per_seed: dict[str, list[SyntheticRow]] = defaultdict(list)
    for row in synthetic:
        if row.condition == condition and row.seed_id in wanted:
            per_seed[row.seed_id].append(row)
    queues = [sorted(per_seed[s], key=lambda r: (r.candidate_index, r.image_id))
              for s in sorted(per_seed)]
    pool: list[SyntheticRow] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        pool += [q[depth] for q in queues if depth < len(q)]
    return pool


def _validation(base: list[str], items: dict[str, Item], config: EvaluationConfig) -> list[str]:
    """The clean mode's held-out images: per class, a fixed share of the real training images
    chosen by the sha256 of their id (the same for every arm, seed and repeat)."""
    held: list[str] = []
    for condition in sorted({items[i].condition for i in base}):
        members = sorted((i for i in base if items[i].condition == condition),
                         key=lambda i: hashlib.sha256(f"validation:{i}".encode()).hexdigest())
        if len(members) >= 2:
            held += members[:max(1, round(config.validation_fraction * len(members)))]
    return held


def _experiment_runs(
    experiment: str,
    rows: list[SplitMembership],
    items: dict[str, Item],
    classes: tuple[str, ...],
    augmented: tuple[str, ...],
    synthetic: Sequence[SyntheticRow],
    config: EvaluationConfig,
) -> tuple[list[RunSpec], list[Skipped]]:
    group = _train_group(experiment)

    def present(role: str, condition: str | None = None) -> list[str]:
        return [f"real:{r.source_id}" for r in rows
                if r.role == role and f"real:{r.source_id}" in items
                and (condition is None or r.condition == condition)]

    base, test = present("train"), present("test")
    held = _validation(base, items, config) if config.selection == "clean" else []
    base = [i for i in base if i not in set(held)]
    selection = tuple(held) if config.selection == "clean" else tuple(test)

    def spec(run_id: str, condition: str | None, arm: Arm, added: list[str], n: int) -> RunSpec:
        return RunSpec(f"{experiment}/{run_id}", experiment, group, condition, arm, n,
                       tuple(base), tuple(added), selection, tuple(test))

    runs = [spec("fitz_only", None, "fitz_only", [], 0)]
    skipped: list[Skipped] = []
    for condition in augmented:
        seed_rows = [r for r in rows if r.role == "seed" and r.condition == condition]
        if condition not in classes or not seed_rows:
            if condition in classes:
                skipped.append(Skipped(f"{experiment}/{slug(condition)}", condition, experiment,
                                       f"the splits hold no seeds of it in {experiment}"))
            continue
        seeds = present("seed", condition)
        if not seeds:
            skipped.append(Skipped(f"{experiment}/{slug(condition)}", condition, experiment,
                                   f"all {len(seed_rows)} seed images are missing"))
            continue
        runs.append(spec(f"{slug(condition)}/seed", condition, "seed", seeds, 0))
        pool = synthetic_pool(condition, (r.source_id for r in seed_rows), synthetic)
        for n in config.dose_list():
            run_id = f"{slug(condition)}/synthetic-{n}"
            if n > len(pool):
                skipped.append(Skipped(
                    f"{experiment}/{run_id}", condition, experiment,
                    f"the release has {len(pool)} synthetic images of {condition} from the "
                    f"seeds of {experiment}, fewer than {n}"))
                continue
            added = seeds + [f"synthetic:{r.image_id}" for r in pool[:n]]
            runs.append(spec(run_id, condition, "synthetic", added, n))
    return runs, skipped
