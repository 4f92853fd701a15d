"""`dermforge curate signals`: test-split hashing with and without its cache, and candidates/s
beside the floor of only decoding the same candidate PNGs.

The workspace holds the real Fitzpatrick 17k images of ../shared/data (else the 48 bundled
demo images), the paper's splits over them, and 8 candidates per seed at the crop size
(the known variants of tests/workbench/scenario.py: brightened, flipped, darkened, blurred,
copy, test image, warmer, rotated).

    .venv/bin/python -m bench.bench_signals [--size 1024] [--per-group 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
SHARED = Path(os.environ.get("DERMFORGE_SHARED_DATA", REPO.parent / "shared" / "data"))

from dermforge.curation import SignalsParams, compute_signals, load_test_set  # noqa: E402
from dermforge.schemas import Candidate, CandidateSignals  # noqa: E402
from dermforge.sources import demo_images_dir, import_folder, load_catalog  # noqa: E402
from dermforge.store import Workspace  # noqa: E402
from workbench.scenario import build_scenario  # noqa: E402


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--per-group", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images = SHARED / "fitzpatrick17k-images"
    folder = images if images.is_dir() else demo_images_dir()
    catalog = load_catalog()
    params = SignalsParams()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        import_folder(folder, ws, catalog)
        scenario = build_scenario(ws, catalog, per_group=args.per_group, size=args.size)
        cache = ws.root / "cache" / "signals"
        cold, warm = [], []
        for _ in range(args.repeats):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(lambda: load_test_set(ws, params)))
            warm.append(timed(lambda: load_test_set(ws, params)))
        test = load_test_set(ws, params)
        candidates = ws.manifest(Candidate).read()
        measure, decode = [], []
        for _ in range(args.repeats):
            ws.manifest(CandidateSignals).path.unlink(missing_ok=True)
            measure.append(timed(lambda: compute_signals(ws, params)))
            decode.append(timed(lambda: [Image.open(io.BytesIO(ws.blobs.read(c.sha256))).load()
                                         for c in candidates]))
    n = len(candidates)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"images from {folder}")
    print(f"test-split images hashed: {len(test.hashes)} ({test.missing} not in the workspace)")
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"test-set hashes: cold {c:.2f} s, cached {w:.3f} s (x{c / w:.0f} faster)")
    m, d = statistics.median(measure), statistics.median(decode)
    print(f"signals of {n} candidates ({args.size}x{args.size}, {len(scenario.seeds)} seeds), "
          f"cache warm: {m:.2f} s = {n / m:.1f} candidates/s; decoding alone {d:.2f} s "
          f"(signals cost x{m / d:.1f} the decode floor)")


if __name__ == "__main__":
    main()
