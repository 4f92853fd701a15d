"""Check the evaluation's GPU path on a machine with a CUDA GPU: `python -m bench.gpu_eval_check`.

The test suite runs on the CPU only; a maintainer with an NVIDIA GPU (and a CUDA build of the
pinned torch) runs this once per torch upgrade and pastes its Markdown into BENCHMARKS.md:

1. the probe: the HardwareCapability found, and the device and dtype ``auto`` chooses for
   each backbone (with the reasons the evaluation prints);
2. VGG16 features at 224 px (fixed random weights; the time does not depend on the values)
   on the GPU in fp32, bf16 (where supported) and fp16, against fp32 on the CPU: throughput
   (median of --repeats passes after a warm-up) and the largest relative feature error;
3. end to end: the test suite's tiny release evaluated with device and dtype ``auto`` (it
   must run on the GPU, record cuda, the GPU's name and torch in metrics.json and the
   feature cache), then with ``--device cpu``: a separate cache, and how many predictions
   agree.

Exits 1 when a check fails. ``--device cpu`` runs the same checks on the CPU (a smoke test
of this script where no GPU is present).
"""

from __future__ import annotations

import argparse
import json
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

from dermforge.evaluation import (  # noqa: E402
    EvaluationResult,
    choose_dtype,
    create_backbone,
    evaluate_release,
    probe_hardware,
    resolve_device,
)
from dermforge.evaluation._features import Extractor  # noqa: E402
from evaluation.release_fixture import small_config, write_release  # noqa: E402

#: largest relative feature error against CPU fp32 accepted per dtype (fp32 on a GPU may
#: use TF32 convolutions: cuDNN's default)
TOLERANCE = {"fp32": 0.01, "bf16": 0.03, "fp16": 0.01}


def _synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def probe(device: str) -> dict[str, Any]:
    hardware = probe_hardware()
    chosen, why = resolve_device(device, hardware)
    choices = {}
    for name in ("vgg16", "efficientnet-lite0"):
        check = create_backbone(name, weights="random", image_size=32).bf16_check
        choices[name] = asdict(choose_dtype("auto", chosen, hardware, check))
    return {"hardware": asdict(hardware) | {"cpu_flags": sorted(hardware.cpu_flags or ())},
            "device": chosen, "device_reason": why,
            "device_detail": hardware.device_detail(chosen), "auto": choices}


def features(device: str, batch: int, repeats: int, bf16: bool) -> list[dict[str, Any]]:
    images = torch.rand(batch, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    backbone = create_backbone("vgg16", weights="random", image_size=224)
    reference = Extractor(backbone, "fp32", True, "cpu")(images)
    rows = []
    for dtype in ("fp32", "bf16", "fp16") if bf16 else ("fp32", "fp16"):
        if device == "cpu" and dtype == "fp16":
            continue
        extractor = Extractor(backbone, dtype, True, device)
        extractor(images)  # warm-up: kernels for this shape
        times = []
        for _ in range(repeats):
            _synchronize(device)
            start = time.perf_counter()
            out = extractor(images)
            _synchronize(device)
            times.append(time.perf_counter() - start)
        error = float(((out - reference).norm(dim=1) / reference.norm(dim=1)).max())
        rows.append({"dtype": dtype, "images_per_s": batch / statistics.median(times),
                     "max_rel_error_vs_cpu_fp32": error, "ok": error <= TOLERANCE[dtype]})
    return rows


def end_to_end(device: str, root: Path) -> dict[str, Any]:
    fixture = write_release(root / "fixture")
    config = small_config(doses=(2,), synthetic=2, conditions=("squamous cell carcinoma",),
                          dtype="auto", device="auto" if device == "cuda" else device,
                          image_size=64)
    notes: list[str] = []
    start = time.perf_counter()
    ours = evaluate_release(fixture.release, fixture.images, config, cache_dir=root / "cache",
                            notes=notes.append)
    seconds = time.perf_counter() - start
    cpu = evaluate_release(fixture.release, fixture.images,
                           config.model_copy(update={"device": "cpu", "dtype": "fp32"}),
                           cache_dir=root / "cache")
    spaces = [json.loads(p.read_text()) for p in (root / "cache").glob("*/space.json")]
    recorded = ours.describe()
    return {"notes": notes, "seconds": seconds, "settings": {
        k: recorded[k] for k in ("device", "device_detail", "dtype", "dtype_reason", "torch")},
        "cache_spaces": [{k: s.get(k) for k in ("device", "device_detail", "dtype", "torch")}
                         for s in spaces],
        "prediction_agreement_with_cpu_fp32": _agreement(ours, cpu),
        "ok": recorded["device"] == device and len(spaces) == 2
        and any(s.get("device") == device and s.get("torch") == torch.__version__
                for s in spaces)}


def _agreement(a: EvaluationResult, b: EvaluationResult) -> float:
    same = total = 0
    for x, y in zip(a.outcomes, b.outcomes, strict=True):
        same += sum(x.predictions[i] == y.predictions[i] for i in x.predictions)
        total += len(x.predictions)
    return same / total


def markdown(report: dict[str, Any]) -> str:
    found = report["probe"]
    lines = [f"Device: {found['device']} ({found['device_detail']}), torch "
             f"{found['hardware']['torch_version']}; CPU {found['hardware']['cpu_capability']}"
             f" {'+'.join(found['hardware']['cpu_flags']) or 'no native bf16'}.", "",
             "| dtype | images/s (VGG16, 224 px) | max rel. error vs CPU fp32 | ok |",
             "|---|---:|---:|---|"]
    lines += [f"| {r['dtype']} | {r['images_per_s']:.1f} | {r['max_rel_error_vs_cpu_fp32']:.1e}"
              f" | {'yes' if r['ok'] else '**no**'} |" for r in report["features"]]
    for name, choice in found["auto"].items():
        lines.append(f"\n`dtype: auto` for {name}: {choice['dtype']} ({choice['reason']})")
    e2e = report["end_to_end"]
    lines.append(f"\nEnd to end: {e2e['settings']}; predictions equal to CPU fp32: "
                 f"{e2e['prediction_agreement_with_cpu_fp32']:.1%}; "
                 f"{'ok' if e2e['ok'] else '**failed**'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cuda", "mps", "cpu"), default="cuda")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path("gpu-eval-check.json"))
    args = parser.parse_args()
    found = probe(args.device)  # refuses --device cuda without a CUDA GPU, with a fix
    bf16 = args.device != "cuda" or bool(found["hardware"]["cuda_bf16"])
    with tempfile.TemporaryDirectory() as tmp:
        report = {"probe": found,
                  "features": features(args.device, args.batch, args.repeats, bf16),
                  "end_to_end": end_to_end(args.device, Path(tmp))}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    failed = [r["dtype"] for r in report["features"] if not r["ok"]]
    if failed or not report["end_to_end"]["ok"]:
        sys.exit(f"FAILED: feature error over tolerance for {failed}, or the end-to-end run "
                 "did not run on / record the device (see the JSON)")


if __name__ == "__main__":
    main()
