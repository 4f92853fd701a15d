"""The curation workbench at 100, 2,500 and 10,000 seeds: the index page (plain, filtered,
sorted, last page), a seed's state, a decision, and the first index page after another
process appended a verdict (the queue rebuilt from the changed log), through the real app
(starlette's TestClient, in process: no socket in the times).

Each size gets a workspace of made-up seeds from the test factory (tests/release/factory.py:
32x32 PNG crops, masks and candidates; 8 candidates per seed, one verdict logged per candidate,
4 accepted), written once. Times are medians of ``--repeats`` requests after one warm-up
request; a decision posts "reject" for a different seed's already-rejected candidate each time
(a real append to the verdict log). The issue's 2,500-seed figures (issue 15) were measured
the same way.

    .venv/bin/python -m bench.bench_workbench [--sizes 100 2500 10000] [--repeats 7]
                                               [--json bench-workbench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from starlette.testclient import TestClient  # noqa: E402

from bench.bench_build import fast_put  # noqa: E402
from dermforge._paper import AUGMENTED_CONDITIONS  # noqa: E402
from dermforge.curation import VerdictLog  # noqa: E402
from dermforge.schemas import Candidate, CurationVerdict  # noqa: E402
from dermforge.store import Workspace  # noqa: E402
from dermforge.workbench import WorkbenchConfig, create_app  # noqa: E402
from release.factory import decide, fake_sources, populate  # noqa: E402

CANDIDATES_PER_SEED = 8
ACCEPTED_PER_SEED = 4
SIZE = 32


def capability() -> str:
    """The CPU capability torch reports (else the vector flags of /proc/cpuinfo), and CPUs."""
    try:
        import torch

        found = f"torch CPU capability {torch.backends.cpu.get_cpu_capability()}"
    except ImportError:
        flags: set[str] = set()
        cpuinfo = Path("/proc/cpuinfo")
        if cpuinfo.is_file():
            for line in cpuinfo.read_text().splitlines():
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
        wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
        found = "CPU flags " + (" ".join(f for f in wanted if f in flags) or "none of AVX2+")
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {found}"


def make_workspace(root: Path, seeds: int) -> Workspace:
    ws = Workspace(root).create()
    put = fast_put(root)
    sources = fake_sources(ws, seeds, AUGMENTED_CONDITIONS, SIZE, put=put)
    populated = populate(ws, sources, candidates_per_seed=CANDIDATES_PER_SEED, size=SIZE,
                         put=put)
    ws.manifest(CurationVerdict).append(decide(populated.candidates, ACCEPTED_PER_SEED))
    return ws


def median_ms(call: Callable[[int], Any], repeats: int) -> float:
    call(-1)  # warm-up
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ok(reply: Any) -> Any:
    if reply.status_code != 200:
        raise RuntimeError(f"{reply.request.url}: {reply.status_code} {reply.text[:300]}")
    return reply


def measure(ws: Workspace, repeats: int) -> dict[str, float]:
    http = TestClient(create_app(WorkbenchConfig(ws, poll_seconds=0)),
                      base_url="http://127.0.0.1")
    candidates = ws.manifest(Candidate).read()
    seeds = sorted({c.source_id for c in candidates})
    condition = AUGMENTED_CONDITIONS[0].replace(" ", "+")
    # the last candidate of each seed was rejected by the factory: rejecting it again is
    # always allowed (keep-per-seed untouched) and appends one verdict
    rejected = {c.source_id: c.candidate_id for c in candidates
                if c.index == CANDIDATES_PER_SEED - 1}
    spread = seeds[:: max(1, len(seeds) // (repeats + 1))]

    def post(i: int) -> None:
        ok(http.post("/api/verdict", json={
            "candidate_id": rejected[spread[i % len(spread)]], "decision": "reject",
            "reviewer": "bench", "seen": 1}))

    def index_after_append(i: int) -> None:
        """Another process (a second reviewer's server, a CSV import) appends a verdict:
        the next index page re-reads the changed log and rebuilds the queue."""
        VerdictLog(ws).append(CurationVerdict(
            candidate_id=rejected[spread[i % len(spread)]], decision="reject",
            reviewer="elsewhere", decided_at=datetime.now(UTC)))
        start = time.perf_counter()
        ok(http.get("/seeds"))
        after.append((time.perf_counter() - start) * 1000)

    after: list[float] = []
    results = {
        "index_ms": median_ms(lambda i: ok(http.get("/seeds")), repeats),
        "index_filtered_ms": median_ms(lambda i: ok(http.get(
            f"/seeds?condition={condition}&group=V-VI&status=done&sort=accepted&page=2")),
            repeats),
        "index_last_page_ms": median_ms(lambda i: ok(http.get("/seeds?page=1000000")),
                                        repeats),
        "seed_state_ms": median_ms(lambda i: ok(http.get(
            f"/api/seed/{spread[i % len(spread)]}")), repeats),
        "decision_ms": median_ms(post, repeats),
    }
    median_ms(index_after_append, repeats)
    results["index_after_append_ms"] = statistics.median(after[1:])
    return results


def bench(sizes: list[int], repeats: int, base: Path) -> list[dict[str, float]]:
    results = []
    for n in sizes:
        t0 = time.perf_counter()
        ws = make_workspace(base / f"n{n}", n)
        print(f"{n:,} seeds ({n * CANDIDATES_PER_SEED:,} candidates and verdicts): workspace "
              f"ready in {time.perf_counter() - t0:.0f} s", flush=True)
        row: dict[str, float] = {"seeds": n, **measure(ws, repeats)}
        print("  " + ", ".join(f"{k} {v:.1f}" for k, v in row.items() if k != "seeds"),
              flush=True)
        results.append(row)
    return results


COLUMNS = [("index_ms", "index page"), ("index_filtered_ms", "filtered + sorted page"),
           ("index_last_page_ms", "last page"), ("seed_state_ms", "seed state (GET)"),
           ("decision_ms", "decision (POST)"),
           ("index_after_append_ms", "index page after another process's append")]


def table(results: list[dict[str, float]]) -> str:
    lines = ["| seeds | " + " | ".join(f"{label} ms" for _, label in COLUMNS) + " |",
             "|---:|" + "---:|" * len(COLUMNS)]
    for r in results:
        lines.append(f"| {r['seeds']:,.0f} | " + " | ".join(f"{r[key]:,.1f}"
                                                          for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 2500, 10000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="write the results here too")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args()
    machine = capability()
    load_before = os.getloadavg()
    print(f"machine: {machine}; load average {load_before[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-workbench-") as scratch:
        results = bench(args.sizes, args.repeats, Path(scratch))
    print()
    print(table(results))
    print(f"\nmedian of {args.repeats} requests each (after one warm-up); in-process TestClient")
    load = {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}
    print(f"load average (1 min) before {load['before']}, after {load['after']}")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": machine, "repeats": args.repeats, "load_average_1min": load,
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "results": results},
            indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
