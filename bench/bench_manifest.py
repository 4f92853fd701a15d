"""Manifest.append: the cost of appending one record to a JSONL manifest of N lines.

    python -m bench.bench_manifest [--sizes 256 5000 50000] [--appends 30] [--repeats 3]

Each generation request and each workbench click appends one record, so this cost is paid
once per request and per click. For each size, a fresh manifest of N CurationVerdict lines
(about 250 bytes each) is written, then one-record appends are timed; the median of
``--appends`` appends is reported per repeat, and the median of the repeats overall.
Run it against another checkout with PYTHONPATH=OTHER/src to compare implementations.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import dermforge
from dermforge.schemas import CurationVerdict
from dermforge.store import Manifest


def verdict(i: int) -> CurationVerdict:
    return CurationVerdict(candidate_id=f"{i:064x}", decision="accept", reason_codes=(),
                           reviewer="bench", decided_at=datetime(2026, 1, 1, tzinfo=UTC),
                           note="a benchmark verdict, about as long as a real note")


def one_size(n: int, appends: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Manifest(Path(tmp) / "verdicts.jsonl", CurationVerdict)
        manifest.rewrite(verdict(i) for i in range(n))
        times = []
        for k in range(appends):
            record = verdict(n + k)
            start = time.perf_counter()
            manifest.append([record])
            times.append(time.perf_counter() - start)
        return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 5000, 50000])
    parser.add_argument("--appends", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"dermforge from {Path(dermforge.__file__).parent}")
    print("| lines | ms per one-record append (median) | repeats |")
    print("|---|---|---|")
    for n in args.sizes:
        runs = [one_size(n, args.appends) * 1000 for _ in range(args.repeats)]
        print(f"| {n} | {statistics.median(runs):.2f} | "
              f"{', '.join(f'{r:.2f}' for r in runs)} |", flush=True)


if __name__ == "__main__":
    main()
