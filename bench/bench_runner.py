"""Runner throughput against the local OpenAI images server (`python -m bench.bench_runner`).

The server answers every edit after 500 ms; the runner is limited to 120 images per minute.
Each run makes 40 one-image requests into a fresh workspace through the whole path
(plan, SDK call, journal, blob store, Candidate records). Achieved rate = images stored /
run time. Reported: median of 3 runs per configuration, at concurrency 8 and 1, with the
limit (the target: ≥ 90 % of it at concurrency 8) and without it (what concurrency buys).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from dermforge.generators import create_backend  # noqa: E402
from dermforge.runner import RunOptions, generate  # noqa: E402
from dermforge.schemas import (  # noqa: E402
    Crop,
    CropBox,
    Mask,
    Prompt,
    PromptSlots,
    SamplingSpec,
    Seed,
)
from dermforge.store import Workspace  # noqa: E402
from servers.openai_server import Faults, OpenAIImagesServer  # noqa: E402

KEY = "sk-bench-local-server"
LATENCY_S = 0.5
LIMIT_PER_MIN = 120.0


def _png(array: np.ndarray, mode: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def seeded_workspace(root: Path, count: int, side: int = 64) -> Workspace:
    """``count`` synthetic prepared seeds (noise crops, one shared mask): inputs only."""
    ws = Workspace(root).create()
    rng = np.random.default_rng(0)
    alpha = np.full((side, side), 255, np.uint8)
    alpha[side // 4: 3 * side // 4, side // 4: 3 * side // 4] = 0
    mask_rgba = np.dstack([np.zeros((side, side, 3), np.uint8), alpha])
    mask_sha = ws.blobs.put(_png(mask_rgba, "RGBA"), layer="prepare")
    seeds, crops, masks, prompts = [], [], [], []
    for i in range(count):
        source_id = f"bench{i:04d}"
        crop = _png(rng.integers(0, 256, (side, side, 3), np.uint8), "RGB")
        crop_sha = ws.blobs.put(crop, layer="prepare")
        spec = SamplingSpec(method="sha256-rank", rng_seed=0, n_per_group=count,
                            condition="bench", group="I-II", pool="csv", pool_size=count,
                            params_sha256="0" * 64)
        seeds.append(Seed(source_id=source_id, dataset="bench", condition="bench",
                          fitzpatrick=1, group="I-II", rank=i, sampling=spec))
        crops.append(Crop(source_id=source_id, source_sha256=crop_sha,
                          box=CropBox(left=0, top=0, side=side), method="center",
                          output_size=side, sha256=crop_sha))
        masks.append(Mask(source_id=source_id, crop_sha256=crop_sha, method="file",
                          editable="inside", size=side, editable_fraction=0.25,
                          sha256=mask_sha))
        slots = PromptSlots(condition_phrase="bench", body_part="arm",
                            skin_type_description="fair-skinned", noun="person")
        prompts.append(Prompt(source_id=source_id, template_version="bench", template="t",
                              slots=slots, text=f"An image of bench {i}"))
    ws.manifest(Seed).append(seeds)
    ws.manifest(Crop).append(crops)
    ws.manifest(Mask).append(masks)
    ws.manifest(Prompt).append(prompts)
    return ws


def one_run(server: OpenAIImagesServer, images: int, concurrency: int,
            limit: float | None) -> float:
    """Images per minute achieved by one run into a fresh workspace."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = seeded_workspace(Path(tmp) / "ws", images)
        billed_before = server.billed_requests
        backend = create_backend("openai", api_key=KEY, base_url=server.base_url,
                                 size="64x64", timeout_s=30)
        report = generate(ws, backend, n=1, max_usd_per_image=0.01,
                          options=RunOptions(concurrency=concurrency, rate_limit_per_min=limit))
        if report.stored_images != images or server.billed_requests - billed_before != images:
            raise RuntimeError(f"run incomplete: {report}")
        return 60.0 * report.stored_images / report.elapsed_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=40, help="one-image requests per run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configs = [(8, LIMIT_PER_MIN), (1, LIMIT_PER_MIN), (8, None), (1, None)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print(f"server latency {LATENCY_S * 1000:.0f} ms; {args.images} images per run; "
          f"median of {args.repeats} runs\n")
    print("| concurrency | limit (images/min) | achieved (images/min), median | of limit | runs |")
    print("|---|---|---|---|---|")
    medians = {}
    with OpenAIImagesServer(api_key=KEY, faults=Faults(latency_s=LATENCY_S)) as server:
        for concurrency, limit in configs:
            rates = [one_run(server, args.images, concurrency, limit)
                     for _ in range(args.repeats)]
            median = statistics.median(rates)
            medians[(concurrency, limit)] = median
            share = "—" if limit is None else f"{100 * median / limit:.1f} %"
            runs = ", ".join(f"{r:.1f}" for r in rates)
            print(f"| {concurrency} | {limit or 'none'} | {median:.1f} | {share} | {runs} |")
    limited = medians[(8, LIMIT_PER_MIN)] / medians[(1, LIMIT_PER_MIN)]
    free = medians[(8, None)] / medians[(1, None)]
    print(f"\nratio concurrency 8 / 1: {limited:.2f} with the limit, {free:.2f} without")
    target = medians[(8, LIMIT_PER_MIN)] >= 0.9 * LIMIT_PER_MIN
    print(f"target (≥ 90 % of the limit at concurrency 8): {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
