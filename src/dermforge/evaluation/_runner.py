"""Evaluate a release: read it, build the grid, compute features, train every run.

Thin orchestration over the pure pieces; the reports are written by ``write_reports``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
    feature_error,
    fill_cache,
    missing_views,
    other_spaces,
    view_tags,
)
from ._grid import Grid, Item, build_grid
from ._hardware import (
    DeviceName,
    HardwareCapability,
    check_request,
    choose_dtype,
    confirm_reduced_precision,
    probe_hardware,
    resolve_device,
)
from ._images import RealImages, open_rgb, scan_real_images
from ._release import ReleaseInputs, load_release
from ._results import BackboneInfo, EvaluationResult, ReleaseInfo, RunOutcome
from ._training import CachedSource, ExactSource, FeatureSource, train_run
from ._transforms import ViewMaker

__all__ = ["Notes", "Progress", "evaluate_release"]

#: ``progress(task, completed, total)``: called as work advances (the CLI draws bars).
Progress = Callable[[str, int, int], None]
#: ``notes(message)``: what the run decided and why (device, dtype, a cache not reused).
Notes = Callable[[str], None]
#: calibration images for the fp16 check (their test views)
_CHECK_IMAGES = 8


def _quiet(task: str, completed: int, total: int) -> None:
    return None


def _silent(message: str) -> None:
    return None


@dataclass(frozen=True)
class _Compute:
    device: DeviceName
    device_detail: str
    device_reason: str
    dtype: str
    dtype_reason: str


def evaluate_release(
    release_dir: Path,
    source_images: Path,
    config: EvaluationConfig,
    *,
    cache_dir: Path,
    progress: Progress | None = None,
    notes: Notes | None = None,
    hardware: HardwareCapability | None = None,
) -> EvaluationResult:
    """Run the whole grid on a release and return every run's predictions. ``hardware``:
    what device and dtype ``auto`` are decided from (default: :func:`probe_hardware`);
    ``notes`` hears the decisions and their reasons."""
    report = progress or _quiet
    started = time.perf_counter()
    hardware = hardware or probe_hardware()
    check_request(config.device, config.dtype, hardware)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    release = load_release(release_dir)
    try:
        return _evaluate(release, source_images, config, cache_dir, report, started,
                         notes or _silent, hardware)
    finally:
        release.close()


def _evaluate(
    release: ReleaseInputs,
    source_images: Path,
    config: EvaluationConfig,
    cache_dir: Path,
    report: Progress,
    started: float,
    notes: Notes,
    hardware: HardwareCapability,
) -> EvaluationResult:
    timings: dict[str, float] = {}
    real = _scan(source_images, release.splits, report)
    grid = build_grid(release.splits, release.synthetic, real, config)
    backbone = create_backbone(config.backbone, weights=config.weights,
                               image_size=config.image_size)
    views = ViewMaker(config.image_size, config.augmentation_seed)

    def read(item_id: str) -> tuple[bytes, str]:
        item = grid.items[item_id]
        return _read(item, release, real), item.sha256

    compute = _decide(backbone, grid, read, views, config, hardware)
    notes(f"backbone {backbone.name} on {compute.device} ({compute.device_detail}; "
          f"{compute.device_reason}), {compute.dtype}: {compute.dtype_reason}")
    timings["load"] = time.perf_counter() - started
    dtype = compute.dtype
    extractor = Extractor(backbone, dtype, config.channels_last, compute.device)

    mark = time.perf_counter()
    source: FeatureSource
    if config.cache == "cached":
        space = FeatureSpace(backbone.name, backbone.weights_id, dtype, config.channels_last,
                             config.image_size, config.augmentation_seed,
                             device=compute.device, device_detail=compute.device_detail,
                             torch=torch.__version__)
        source = _cached_source(grid, space, backbone, extractor, views, read, config,
                                cache_dir, report, notes)
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
                              dtype, compute.device, compute.device_detail,
                              compute.dtype_reason, compute.device_reason, torch.__version__),
        grid=grid, outcomes=tuple(outcomes), timings=timings)


def _decide(backbone: Backbone, grid: Grid, read: Callable[[str], tuple[bytes, str]],
            views: ViewMaker, config: EvaluationConfig,
            hardware: HardwareCapability) -> _Compute:
    """Device and dtype from the hardware; an fp16 choice is checked on a first batch."""
    device, device_reason = resolve_device(config.device, hardware)
    choice = choose_dtype(config.dtype, device, hardware, backbone.bf16_check)
    if choice.verify:
        items = sorted(grid.items)[:_CHECK_IMAGES]
        images = torch.stack([views.test(open_rgb(read(i)[0])) for i in items])
        error = feature_error(backbone, images, choice.dtype, config.channels_last, device)
        choice = confirm_reduced_precision(choice, error)
    return _Compute(device, hardware.device_detail(device), device_reason, choice.dtype,
                    choice.reason)


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
    notes: Notes,
) -> CachedSource:
    cache = FeatureCache(cache_dir, space, backbone.feature_dim)
    wanted = _wanted_views(grid, config)
    jobs = [FeatureJob(grid.items[i].sha256, missing, (lambda i=i: read(i)[0]))  # type: ignore[misc]
            for i, tags in wanted.items()
            if (missing := missing_views(cache, grid.items[i].sha256, tags))]
    if jobs:
        _say_not_reused(cache_dir, space, notes)
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


def _say_not_reused(cache_dir: Path, space: FeatureSpace, notes: Notes) -> None:
    for other in other_spaces(cache_dir, space):
        by = ", ".join(f"{k} {other.get(k) or 'unrecorded'}"
                       for k in ("device", "device_detail", "dtype", "torch"))
        notes(f"feature cache: features of {space.backbone} computed with {by} are not reused "
              f"(features depend on the device, dtype and torch version); computing them "
              f"with {space.computed_by()}")


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
