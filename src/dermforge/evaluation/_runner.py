"""Evaluate a release: read it, build the grid, compute features, train every run.

Thin orchestration over the pure pieces; the reports are written by ``write_reports``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from ..schemas import SplitMembership
from ._backbones import Backbone, create_backbone
from ._config import EvaluationConfig
from ._features import (
    TEST_VIEW,
    Extractor,
    FeatureCache,
    FeatureJob,
    FeatureSpace,
    fill_cache,
    missing_views,
    view_tags,
)
from ._grid import Grid, Item, build_grid
from ._images import RealImages, open_rgb, scan_real_images
from ._release import ReleaseInputs, load_release
from ._results import BackboneInfo, EvaluationResult, ReleaseInfo, RunOutcome
from ._training import CachedSource, ExactSource, FeatureSource, train_run
from ._transforms import ViewMaker

__all__ = ["Progress", "evaluate_release"]

#: ``progress(task, completed, total)``: called as work advances (the CLI draws bars).
Progress = Callable[[str, int, int], None]


def _quiet(task: str, completed: int, total: int) -> None:
    return None


def evaluate_release(
    release_dir: Path,
    source_images: Path,
    config: EvaluationConfig,
    *,
    cache_dir: Path,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Run the whole grid on a release and return every run's predictions."""
    report = progress or _quiet
    started = time.perf_counter()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    release = load_release(release_dir)
    try:
        return _evaluate(release, source_images, config, cache_dir, report, started)
    finally:
        release.close()


def _evaluate(
    release: ReleaseInputs,
    source_images: Path,
    config: EvaluationConfig,
    cache_dir: Path,
    report: Progress,
    started: float,
) -> EvaluationResult:
    timings: dict[str, float] = {}
    real = _scan(source_images, release.splits, report)
    grid = build_grid(release.splits, release.synthetic, real, config)
    backbone = create_backbone(config.backbone, weights=config.weights,
                               image_size=config.image_size)
    timings["load"] = time.perf_counter() - started
    dtype = backbone.cpu_dtype if config.dtype == "auto" else config.dtype
    extractor = Extractor(backbone, dtype, config.channels_last)
    views = ViewMaker(config.image_size, config.augmentation_seed)

    def read(item_id: str) -> tuple[bytes, str]:
        item = grid.items[item_id]
        return _read(item, release, real), item.sha256

    mark = time.perf_counter()
    source: FeatureSource
    if config.cache == "cached":
        space = FeatureSpace(backbone.name, backbone.weights_id, dtype, config.channels_last,
                             config.image_size, config.augmentation_seed)
        source = _cached_source(grid, space, backbone, extractor, views, read, config,
                                cache_dir, report)
    else:
        source = ExactSource(extractor, views, read, open_rgb, config.feature_batch_size)
    timings["features"] = time.perf_counter() - mark
    mark = time.perf_counter()
    outcomes = list(_train_all(grid, backbone, source, config, report))
    timings["training"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return EvaluationResult(
        config=config, release=_release_info(release), source_images=str(source_images),
        backbone=BackboneInfo(backbone.name, backbone.weights_id, backbone.comparable_to_paper,
                              dtype),
        grid=grid, outcomes=tuple(outcomes), timings=timings)


def _scan(folder: Path, splits: tuple[SplitMembership, ...], report: Progress) -> RealImages:
    ids = sorted({row.source_id for row in splits})
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        report("checking source images", done, len(ids))

    return scan_real_images(folder, ids, on_file=tick)


def _read(item: Item, release: ReleaseInputs, real: RealImages) -> bytes:
    if item.row is not None:
        return release.synthetic_bytes(item.row)
    return real.read(item.ref)


def _release_info(release: ReleaseInputs) -> ReleaseInfo:
    generators = sorted({f"{r.backend}/{r.model}" for r in release.synthetic})
    return ReleaseInfo(str(release.path), release.manifest_sha256, len(release.splits),
                       len(release.synthetic), tuple(generators), *release.identity)


def _wanted_views(grid: Grid, config: EvaluationConfig) -> dict[str, tuple[str, ...]]:
    """Item id → the views any run needs (train views for training images, else test)."""
    train_tags = tuple(view_tags(config.views))
    wanted: dict[str, set[str]] = {}
    for spec in grid.runs:
        for item in spec.train:
            wanted.setdefault(item, set()).update(train_tags)
        for item in (*spec.selection, *spec.test):
            wanted.setdefault(item, set()).add(TEST_VIEW)
    return {item: tuple(sorted(tags)) for item, tags in sorted(wanted.items())}


def _cached_source(
    grid: Grid,
    space: FeatureSpace,
    backbone: Backbone,
    extractor: Extractor,
    views: ViewMaker,
    read: Callable[[str], tuple[bytes, str]],
    config: EvaluationConfig,
    cache_dir: Path,
    report: Progress,
) -> CachedSource:
    cache = FeatureCache(cache_dir, space, backbone.feature_dim)
    wanted = _wanted_views(grid, config)
    jobs = [FeatureJob(grid.items[i].sha256, missing, (lambda i=i: read(i)[0]))  # type: ignore[misc]
            for i, tags in wanted.items()
            if (missing := missing_views(cache, grid.items[i].sha256, tags))]
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        report("computing backbone features", done, len(jobs))

    report("computing backbone features", 0, len(jobs))
    fill_cache(cache, jobs, extractor, views, open_rgb, config.feature_batch_size, tick)
    train: dict[str, torch.Tensor] = {}
    test: dict[str, torch.Tensor] = {}
    for item, tags in wanted.items():
        sha = grid.items[item].sha256
        if TEST_VIEW in tags:
            test[item] = cache.load(sha, TEST_VIEW)
        train_tags = [t for t in tags if t != TEST_VIEW]
        if train_tags:
            train[item] = torch.stack([cache.load(sha, t) for t in view_tags(config.views)])
    return CachedSource(train, test)


def _train_all(
    grid: Grid,
    backbone: Backbone,
    source: FeatureSource,
    config: EvaluationConfig,
    report: Progress,
) -> Iterator[RunOutcome]:
    labels = {item_id: grid.classes.index(item.condition) for item_id, item in grid.items.items()}
    total = len(grid.runs) * config.repeats
    report("training", 0, total)
    done = 0
    for spec in grid.runs:
        for repeat in range(config.repeats):
            seed = config.seed + repeat
            trained = train_run(train=spec.train, selection=spec.selection, test=spec.test,
                                labels=labels, classes=len(grid.classes), source=source,
                                tail=backbone.tail, width=backbone.head_in, config=config,
                                seed=seed)
            predictions = trained.test_log_probs.argmax(dim=1).tolist()
            yield RunOutcome(spec.run_id, repeat, seed, trained.selected_epoch,
                             trained.train_losses, trained.selection_losses,
                             dict(zip(spec.test, predictions, strict=True)), trained.seconds,
                             tuple(tuple(row) for row in trained.test_log_probs.tolist()))
            done += 1
            report("training", done, total)
