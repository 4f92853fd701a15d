"""The ray executor and the diffusers backend (`python -m bench.bench_ray`).

1. Classic backend through Ray with 1 and 2 workers on a real local cluster (head + one
   worker node, one CPU each, as the tests start it): images per second of a whole job
   (plan, Ray round trips, journal, blobs, records), actors started before the clock.
2. The driver's ceiling: how many images per second the driver alone can journal, store
   and record, with a backend that answers at once with a ready 512 px PNG of noise (the
   worst case for PNG size); no job on any number of GPUs can go faster than this.
3. The tiny random diffusers inpainting pipeline of the tests on the CPU: seconds per image.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bench.bench_runner import seeded_workspace  # noqa: E402
from dermforge.generators import (  # noqa: E402
    GeneratedImage,
    GenerationResult,
    RequestInputs,
    SeedInputs,
    create_backend,
)
from dermforge.runner import RunOptions, agenerate, create_executor, generate  # noqa: E402
from dermforge.schemas import GenerationRequest  # noqa: E402
from dermforge.sources import demo_images_dir  # noqa: E402
from generation.ray_cluster import local_ray_cluster  # noqa: E402
from generation.tiny_diffusers import build_tiny_inpainting_pipeline  # noqa: E402


async def _ray_job(ws_root: Path, address: str, workers: int, n: int) -> float:
    backend = create_executor("ray", "classic", {"work_size": 96}, address=address,
                              workers=workers)
    await backend.start()  # type: ignore[attr-defined]
    started = time.perf_counter()
    report = await agenerate(ws_root, backend, n=n, options=RunOptions(concurrency=4))
    elapsed = time.perf_counter() - started
    if not report.finished:
        raise RuntimeError(f"run incomplete: {report}")
    return report.stored_images / elapsed


def classic_through_ray(address: str, seeds: int, side: int, n: int, repeats: int,
                        ) -> dict[int, list[float]]:
    rates: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(repeats):
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                ws = seeded_workspace(Path(tmp) / "ws", seeds, side)
                rates[workers].append(asyncio.run(_ray_job(ws.root, address, workers, n)))
    return rates


class _Ready:
    """Answers every request at once with the same ready image (the driver's ceiling)."""

    name, paid = "classic", False

    def __init__(self, png: bytes) -> None:
        self.png = png
        self.inner = create_backend("classic")

    def plan(self, seeds: Sequence[SeedInputs], n: int) -> list[GenerationRequest]:
        return self.inner.plan(seeds, n)

    def price_per_image(self, request: GenerationRequest) -> float | None:
        return 0.0

    async def generate(self, request: GenerationRequest, inputs: RequestInputs,
                       ) -> GenerationResult:
        return GenerationResult(images=[GeneratedImage.from_bytes(self.png)] * request.n,
                                created=datetime.now(UTC), cost_usd=0.0)

    async def aclose(self) -> None:
        return None


def _png_of(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def ceiling_images(side: int) -> dict[str, bytes]:
    """A worst case (noise) and a real photograph (a demo image), both side x side PNG."""
    noise = np.random.default_rng(0).integers(0, 256, (side, side, 3), np.uint8)
    photo_path = sorted(demo_images_dir().glob("*.jpg"))[0]
    with Image.open(photo_path) as img:
        photo = np.asarray(img.convert("RGB").resize((side, side), Image.Resampling.LANCZOS))
    return {"noise": _png_of(noise), "photo": _png_of(photo)}


def driver_ceiling(requests: int, png: bytes) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        ws = seeded_workspace(Path(tmp) / "ws", requests)
        report = generate(ws, _Ready(png), n=1, options=RunOptions(concurrency=8))
        return report.stored_images / report.elapsed_s


def tiny_diffusers(side: int, steps: int, images: int, threads: int) -> float:
    import torch

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_inpainting_pipeline(Path(tmp))
        ws = seeded_workspace(Path(tmp) / "ws", 1, side)
        backend = create_backend("diffusers", model=str(model), resolution=side, steps=steps)
        generate(ws, backend, n=1)  # warm-up: load
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp2:
            ws2 = seeded_workspace(Path(tmp2) / "ws", images, side)
            report = generate(ws2, create_backend("diffusers", model=str(model),
                                                  resolution=side, steps=steps), n=1,
                              options=RunOptions(concurrency=1))
        return (time.perf_counter() - started) / report.stored_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", nargs="+", default=["classic", "ceiling", "diffusers"],
                        choices=["classic", "ceiling", "diffusers"])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    if "classic" in args.parts:
        with local_ray_cluster() as address:
            rates = classic_through_ray(address, args.seeds, args.side, args.n, args.repeats)
        print(f"\nclassic through Ray, {args.seeds} requests x {args.n} images at {args.side} "
              "px, concurrency 4; images/s per run")
        print("| workers | images/s (median) | runs |\n|---|---|---|")
        for workers, values in rates.items():
            print(f"| {workers} | {statistics.median(values):.2f} | "
                  f"{', '.join(f'{v:.2f}' for v in values)} |")
        ratio = statistics.median(rates[2]) / statistics.median(rates[1])
        print(f"ratio 2 / 1 workers: {ratio:.2f}")
    if "ceiling" in args.parts:
        for kind, png in ceiling_images(512).items():
            rates_ = [driver_ceiling(200, png) for _ in range(args.repeats)]
            print(f"driver ceiling, 512 px {kind} PNG of {len(png)} B: "
                  f"{statistics.median(rates_):.1f} images/s recorded (median; runs "
                  f"{', '.join(f'{r:.1f}' for r in rates_)}; journal + blob + record, "
                  "concurrency 8)")
    if "diffusers" in args.parts:
        for threads in (1, 2):
            per_image = tiny_diffusers(64, 10, 8, threads)
            print(f"tiny diffusers on the CPU, {threads} torch thread(s): {per_image:.3f} s "
                  "per image (64 px, 10 steps, whole job path, load included)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
