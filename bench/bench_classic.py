"""Speed of the classic backend at 1024 px (`python -m bench.bench_classic`).

Renders requests of 8 images from real demo images (centre square crop resized to 1024 px,
the prepare stage's default mask: an ellipse of radii 0.4 kept, everything outside
regenerated) at the default inpainting resolution (192 px) and at 384 px for comparison,
jitter on, in one thread. Reported: median seconds per image over the requests.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time

from PIL import Image, ImageDraw

from dermforge.generators import RequestInputs
from dermforge.generators._classic import render
from dermforge.schemas import GenerationRequest
from dermforge.sources import demo_images_dir

SIDE = 1024


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def inputs(path: os.PathLike[str]) -> RequestInputs:
    with Image.open(path) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    s = min(w, h)
    crop = rgb.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    alpha = Image.new("L", (SIDE, SIDE), 0)
    r = int(0.4 * SIDE)
    ImageDraw.Draw(alpha).ellipse((SIDE // 2 - r, SIDE // 2 - r, SIDE // 2 + r, SIDE // 2 + r),
                                  fill=255)
    mask = Image.new("RGBA", (SIDE, SIDE))
    mask.putalpha(alpha)
    return RequestInputs(image=_png(crop.resize((SIDE, SIDE), Image.Resampling.LANCZOS)),
                         mask=_png(mask))


def seconds_per_image(data: RequestInputs, work_size: int, n: int) -> float:
    request = GenerationRequest.create(
        source_id="bench", backend="classic", model="skimage-biharmonic-v1", operation="edit",
        prompt="bench", image_sha256="0" * 64, mask_sha256="1" * 64, size=f"{SIDE}x{SIDE}",
        n=n, parameters={"jitter": True, "work_size": work_size, "detail_gain": 1.0,
                         "feather_px": 6.0})
    started = time.perf_counter()
    render(request, data)
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--n", type=int, default=8)
    args = parser.parse_args()
    paths = sorted(demo_images_dir().glob("*.jpg"))[: args.requests]
    data = [inputs(p) for p in paths]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; {len(data)} requests × {args.n} images at {SIDE} px\n")
    print("| inpainting resolution | s per image (median) | images per minute, 1 thread |")
    print("|---|---|---|")
    medians = {}
    for work_size in (192, 384):
        median = statistics.median(seconds_per_image(d, work_size, args.n) for d in data)
        medians[work_size] = median
        print(f"| {work_size} px | {median:.3f} | {60 / median:.0f} |")
    print(f"\nratio 384 px / 192 px: {medians[384] / medians[192]:.2f}× the time")


if __name__ == "__main__":
    main()
