"""`dermforge build` at 1k, 10k and 50k synthetic rows: rows/s and peak RSS, beside a plain
copy of the same image bytes (the physical floor).

Each size gets a workspace of made-up seeds (32x32 PNG crops, masks and candidates, 8
candidates per seed, 4 accepted: the paper's ratio), written once. Every build runs in a
fresh process (peak RSS: its VmHWM) and writes a new release folder. The floor copies every
image blob the build reads (candidates, crops, masks) into a new folder with shutil.

    .venv/bin/python -m bench.bench_build [--sizes 1000 10000 50000] [--repeats 3]
        [--keep DIR] [--baseline SRC]

``--keep DIR`` keeps each size's workspace in DIR and reuses it next time (making the 50k
one takes minutes). ``--baseline SRC`` also builds, in every run, with the dermforge source
folder SRC (e.g. ``git archive <commit> | tar -x -C /tmp/base``, then ``/tmp/base/src``):
before and after, measured alongside the same floor.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from dermforge._paper import AUGMENTED_CONDITIONS  # noqa: E402
from dermforge.schemas import Candidate, Crop, CurationVerdict, Mask  # noqa: E402
from dermforge.store import Workspace, sha256_bytes  # noqa: E402
from release.factory import decide, fake_sources, populate, write_splits  # noqa: E402

CANDIDATES_PER_SEED = 8
ACCEPTED_PER_SEED = 4
SIZE = 32

CHILD = """
import json, resource, sys, time
from pathlib import Path


def cpu():  # CPU seconds of this process and its finished children (workers, side scan)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


t0 = time.perf_counter()
from dermforge.builder import build_release
from dermforge.store import Workspace
t1, c1 = time.perf_counter(), cpu()
if sys.argv[2] != "-":
    build_release(Workspace(Path(sys.argv[1])), version="1.0.0", out=Path(sys.argv[2]))
t2, c2 = time.perf_counter(), cpu()
status = open("/proc/self/status").read()
hwm = int(status.split("VmHWM:")[1].split()[0]) / 1024
# the largest worker process (its RSS counts pages shared with this one)
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "hwm_mib": hwm,
                  "worker_mib": workers, "cpu_s": c2 - c1}))
"""


def fast_put(root: Path):  # type: ignore[no-untyped-def]
    """Blob writer for the set-up only: BlobStore's layout (layer 'main'), no fsync per file."""
    def put(data: bytes) -> str:
        sha = sha256_bytes(data)
        path = root / "blobs" / "main" / sha[:2] / sha[2:]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return sha
    return put


def make_workspace(root: Path, synthetic_rows: int,
                   size: int = SIZE) -> tuple[Workspace, list[str]]:
    seeds = synthetic_rows // ACCEPTED_PER_SEED
    ws = Workspace(root).create()
    put = fast_put(root)
    sources = fake_sources(ws, seeds, AUGMENTED_CONDITIONS, size, put=put)
    populated = populate(ws, sources, candidates_per_seed=CANDIDATES_PER_SEED, size=size,
                         put=put)
    write_splits(ws, populated.seeds)
    ws.manifest(CurationVerdict).append(decide(populated.candidates, ACCEPTED_PER_SEED))
    blobs = [c.sha256 for c in populated.candidates]
    blobs += [c.sha256 for c in ws.manifest(Crop)] + [m.sha256 for m in ws.manifest(Mask)]
    return ws, blobs


def run_child(ws: Path, out: Path | None, src: Path | None = None) -> dict[str, float]:
    """One build in a fresh process: ``build_s``, ``import_s``, ``hwm_mib`` (peak RSS),
    ``worker_mib`` (the largest worker's peak RSS) and ``cpu_s`` (CPU seconds of the build
    process, its workers and its side scan: less sensitive than wall time to a machine
    shared with others).

    Peak RSS is the child's own VmHWM: ru_maxrss would also count the pages it shared with
    this (large) parent between fork and exec. The build's render workers are forked from
    it, so their ru_maxrss counts the pages they share with it (an upper bound).
    """
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    result = subprocess.run([sys.executable, "-c", CHILD, str(ws), str(out) if out else "-"],
                            capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"build failed:\n{result.stderr[-3000:]}")
    timing: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return timing


def copy_files(ws: Workspace, blobs: list[str], target: Path) -> float:
    """A plain file copy of every image the build reads, one file each."""
    target.mkdir()
    start = time.perf_counter()
    for sha in blobs:
        shutil.copyfile(ws.blobs.path(sha), target / sha)
    fd = os.open(target, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - start


def copy_into_one(ws: Workspace, blobs: list[str], target: Path) -> float:
    """Read every image the build reads and append it to one file (what shards need)."""
    start = time.perf_counter()
    with target.open("wb") as out:
        for sha in blobs:
            with ws.blobs.path(sha).open("rb") as blob:
                shutil.copyfileobj(blob, out)
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - start


def machine() -> str:
    """The CPU this ran on: usable cores and torch's CPU capability (BENCHMARKS.md states
    both with every speed figure)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        import torch  # optional here: the build itself does not need it

        capability = torch.backends.cpu.get_cpu_capability()
    except ImportError:
        capability = "unknown (torch not installed)"
    return f"{cores} usable cores, CPU capability {capability}, load average " \
           f"{os.getloadavg()[0]:.1f} at the start"


def workspace(root: Path, synthetic_rows: int) -> tuple[Workspace, list[str]]:
    """The size's workspace: made, or (``--keep``) the one made before."""
    if not (root / "records" / "candidates.jsonl").exists():
        shutil.rmtree(root, ignore_errors=True)
        return make_workspace(root, synthetic_rows)
    ws = Workspace(root)
    blobs = [c.sha256 for c in ws.manifest(Candidate)]
    blobs += [c.sha256 for c in ws.manifest(Crop)] + [m.sha256 for m in ws.manifest(Mask)]
    return ws, blobs


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench(sizes: list[int], repeats: int, base: Path, keep: Path | None = None,
          baseline: Path | None = None) -> list[dict[str, float]]:
    results = []
    print(machine(), flush=True)
    import_rss = run_child(base, None)["hwm_mib"]
    print(f"python + imports alone: {import_rss:.0f} MiB peak RSS", flush=True)
    for n in sizes:
        root = base / f"n{n}"
        root.mkdir()
        t0 = time.perf_counter()
        ws, blobs = workspace((keep or base) / f"n{n}" / "ws", n)
        image_bytes = sum(ws.blobs.path(s).stat().st_size for s in blobs)
        print(f"{n} rows: workspace ready in {time.perf_counter() - t0:.0f} s "
              f"({len(blobs)} image blobs, {image_bytes / 2**20:.0f} MiB)", flush=True)
        runs: dict[str, list[float]] = {k: [] for k in ("build", "rss", "worker", "copy",
                                                        "concat", "base", "cpu", "base_cpu")}
        for r in range(repeats):
            out = root / f"release-{r}"
            timing = run_child(ws.root, out)
            seconds, peak, worker_peak = timing["build_s"], timing["hwm_mib"], timing["worker_mib"]
            for k, v in (("build", seconds), ("rss", peak), ("worker", worker_peak),
                         ("cpu", timing["cpu_s"])):
                runs[k].append(v)
            runs["copy"].append(copy_files(ws, blobs, root / f"copy-{r}"))
            runs["concat"].append(copy_into_one(ws, blobs, root / f"concat-{r}"))
            size = folder_bytes(out)
            shutil.rmtree(out)
            shutil.rmtree(root / f"copy-{r}")
            (root / f"concat-{r}").unlink()
            if baseline is not None:
                before = run_child(ws.root, out, baseline)
                runs["base"].append(before["build_s"])
                runs["base_cpu"].append(before["cpu_s"])
                shutil.rmtree(out)
            print(f"  run {r + 1}: build {seconds:.2f} s ({runs['cpu'][-1]:.1f} CPU s), "
                  f"peak RSS {peak:.0f} MiB "
                  f"(workers {worker_peak:.0f} MiB), copy files {runs['copy'][-1]:.2f} s, "
                  f"into one file {runs['concat'][-1]:.2f} s"
                  + (f", baseline build {runs['base'][-1]:.2f} s "
                     f"({runs['base_cpu'][-1]:.1f} CPU s)" if runs["base"] else ""),
                  flush=True)
        build_s, copy_s = statistics.median(runs["build"]), statistics.median(runs["copy"])
        concat_s = statistics.median(runs["concat"])
        base_s = statistics.median(runs["base"]) if runs["base"] else float("nan")
        base_cpu = statistics.median(runs["base_cpu"]) if runs["base_cpu"] else float("nan")
        results.append({"rows": n, "candidates": n * CANDIDATES_PER_SEED // ACCEPTED_PER_SEED,
                        "images": len(blobs), "image_mib": image_bytes / 2**20,
                        "build_s": build_s, "rows_per_s": n / build_s,
                        "images_per_s": (len(blobs) + n) / build_s,
                        "rss_mib": max(runs["rss"]), "worker_mib": max(runs["worker"]),
                        "copy_s": copy_s, "concat_s": concat_s,
                        "ratio": build_s / concat_s, "base_s": base_s,
                        "base_ratio": base_s / concat_s,
                        "cpu_s": statistics.median(runs["cpu"]), "base_cpu_s": base_cpu,
                        "release_mib": size / 2**20, "import_rss": import_rss})
        shutil.rmtree(root)
    return results


def table(results: list[dict[str, float]]) -> str:
    lines = ["| synthetic rows | candidates | image blobs read (MiB) | build s | rows/s | "
             "image rows written/s | peak RSS MiB (largest worker) | cp per file s | "
             "copy into one file s | build / one-file copy | release MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['rows']:,.0f} | {r['candidates']:,.0f} | {r['images']:,.0f} "
            f"({r['image_mib']:.0f}) | {r['build_s']:.2f} | {r['rows_per_s']:,.0f} | "
            f"{r['images_per_s']:,.0f} | {r['rss_mib']:.0f} ({r['worker_mib']:.0f}) | "
            f"{r['copy_s']:.2f} | "
            f"{r['concat_s']:.2f} | {r['ratio']:.1f}x | {r['release_mib']:.0f} |")
    if any(r["base_s"] == r["base_s"] for r in results):  # a baseline ran (not NaN)
        lines += ["", "| synthetic rows | baseline build s (CPU s) | baseline / one-file copy | "
                  "this build s (CPU s) | this / one-file copy | speed-up (CPU) |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['rows']:,.0f} | {r['base_s']:.2f} ({r['base_cpu_s']:.1f}) | "
                  f"{r['base_ratio']:.1f}x | {r['build_s']:.2f} ({r['cpu_s']:.1f}) | "
                  f"{r['ratio']:.1f}x | {r['base_s'] / r['build_s']:.2f}x "
                  f"({r['base_cpu_s'] / r['cpu_s']:.2f}x) |" for r in results]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep (and reuse) the workspaces in this folder")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a dermforge src folder to build with too, alongside")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-build-") as scratch:
        results = bench(args.sizes, args.repeats, Path(scratch), args.keep, args.baseline)
    print()
    print(table(results))
    print(f"\nmedian of {args.repeats} runs; peak RSS is the largest of the runs; Python and the "
          f"imports alone take {results[0]['import_rss']:.0f} MiB.")


if __name__ == "__main__":
    main()
