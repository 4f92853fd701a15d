"""Bytes a new release version shares with the last one, as content-defined chunks.

A workspace of made-up seeds (`bench_build.make_workspace`: noise PNGs, 96x96 by default,
8 candidates per seed, 4 accepted) is built as v1.0.0; then 10 verdicts are flipped and 40
seeds added (`tests/release/factory.py` `next_version`) and v1.1.0 is built with
``--previous`` v1.0.0.
Every parquet file of both is cut into content-defined chunks (FastCDC, `fastcdc`'s Cython
path, 64 KiB average, 16 KiB min, 256 KiB max), as a deduplicating store (the Hub's Xet
storage, a CAS) would; the figure is the share of v1.1.0's parquet bytes in chunks that v1.0.0
already has. Both builds run once with this checkout's writer ("after") and once with the
writer of ``--baseline`` ("before", that git revision's ``src/`` exported to a scratch
folder), each build in a fresh process.

    .venv/bin/python -m bench.bench_versions [--rows 10000] [--size 96] [--baseline ce7e9f4]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fastcdc.fastcdc_cy import fastcdc_cy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bench.bench_build import (  # noqa: E402
    ACCEPTED_PER_SEED,
    CANDIDATES_PER_SEED,
    SIZE,
    fast_put,
    make_workspace,
)
from dermforge._paper import AUGMENTED_CONDITIONS  # noqa: E402
from dermforge.builder._features import CONFIG_ALIASES  # noqa: E402
from dermforge.store import Workspace  # noqa: E402
from release.factory import next_version  # noqa: E402

#: the last commit before content-defined row groups, page index and CDC pages
BASELINE = "ce7e9f4"
FLIPS = 10
NEW_SEEDS = 40
AVG, MIN, MAX = 64 * 2**10, 16 * 2**10, 256 * 2**10

CHILD = """
import sys, time
from pathlib import Path
from dermforge.builder import build_release
from dermforge.store import Workspace
previous = Path(sys.argv[4]) if len(sys.argv) > 4 else None
t0 = time.perf_counter()
build_release(Workspace(Path(sys.argv[1])), version=sys.argv[3], out=Path(sys.argv[2]),
              previous=previous)
print(time.perf_counter() - t0)
"""


@dataclass
class Share:
    v1_bytes: int
    v2_bytes: int
    shared: int
    per_config: dict[str, tuple[int, int]]  # config -> (v2 bytes, shared)

    @property
    def ratio(self) -> float:
        return self.shared / self.v2_bytes


def chunks(path: Path) -> Iterator[tuple[str, int]]:
    for chunk in fastcdc_cy(str(path), MIN, AVG, MAX, fat=True, hf=hashlib.sha256):
        yield chunk.hash, chunk.length


def image_stream(release: Path) -> bytes:
    """Every image of every config, in row order, back to back (length-prefixed)."""
    out = bytearray()
    for path in shards(release):
        handle = pq.ParquetFile(path)
        images = [f.name for f in handle.schema_arrow if pa.types.is_struct(f.type)
                  and "bytes" in [c.name for c in f.type]]
        for batch in handle.iter_batches(columns=images, batch_size=256):
            for column in batch.columns:
                for value in column.field("bytes").to_pylist():
                    out += len(value).to_bytes(4, "little") + value
    return bytes(out)


def ideal(v1: Path, v2: Path) -> float:
    """The share any layout could reach: the images alone as one stream (metadata, page
    headers and footers left out)."""
    known = {c.hash for c in fastcdc_cy(image_stream(v1), MIN, AVG, MAX, fat=True,
                                        hf=hashlib.sha256)}
    new = list(fastcdc_cy(image_stream(v2), MIN, AVG, MAX, fat=True, hf=hashlib.sha256))
    return sum(c.length for c in new if c.hash in known) / sum(c.length for c in new)


def shards(release: Path) -> list[Path]:
    return sorted((release / "data").rglob("*.parquet"))


def share(v1: Path, v2: Path) -> Share:
    known = {h for path in shards(v1) for h, _ in chunks(path)}
    per: dict[str, tuple[int, int]] = {}
    for path in shards(v2):
        total = sum(n for _, n in chunks(path))
        hit = sum(n for h, n in chunks(path) if h in known)
        config = CONFIG_ALIASES.get(path.parent.name, path.parent.name)  # splits: before
        old = per.get(config, (0, 0))
        per[config] = (old[0] + total, old[1] + hit)
    return Share(sum(p.stat().st_size for p in shards(v1)),
                 sum(t for t, _ in per.values()), sum(s for _, s in per.values()), per)


def build(src: Path, ws: Path, out: Path, version: str, previous: Path | None) -> float:
    args = [sys.executable, "-c", CHILD, str(ws), str(out), version]
    args += [str(previous)] if previous else []
    result = subprocess.run(args, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": str(src)})
    if result.returncode != 0:
        raise RuntimeError(f"build with {src} failed:\n{result.stderr[-3000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def export_src(revision: str, target: Path) -> Path:
    """``src/`` of ``revision`` (git archive), to run the old writer beside this one."""
    target.mkdir(parents=True)
    archive = target / "src.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), revision, "src"],
                   check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def cpu() -> str:
    try:
        import torch
        capability = str(torch.backends.cpu.get_cpu_capability())
    except ImportError:
        capability = "unknown"
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")
    return f"{model}; torch CPU capability {capability}"


def as_baseline_records(ws: Path) -> None:
    """Write the two record kinds whose schema changed since ``BASELINE`` in its format.

    Both builds read one workspace. Experiment lines name the skin-type group ``group`` (this
    checkout still reads that name) and verdict lines leave out ``reviewer_qualification``
    (optional here, unknown there); everything else is the same in both versions.
    """
    renames = {"splits.jsonl": ("fst_group", "group"),
               "verdicts.jsonl": ("reviewer_qualification", None)}
    for name, (old, new) in renames.items():
        path = ws / "records" / name
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record = {(new if k == old else k): v for k, v in record.items()
                      if not (k == old and new is None)}
            lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def run(rows: int, baseline: str, scratch: Path,
        size: int = SIZE) -> tuple[dict[str, tuple[Share, float, float]], float]:
    t0 = time.perf_counter()
    ws, _ = make_workspace(scratch / "ws", rows, size)
    as_baseline_records(ws.root)
    print(f"v1 workspace ({rows} synthetic rows of {size} px) in {time.perf_counter() - t0:.0f} s",
          flush=True)
    srcs = {"before": export_src(baseline, scratch / "baseline"), "after": REPO / "src"}
    v1 = {name: scratch / f"{name}-v1" for name in srcs}
    v1_s = {name: build(src, ws.root, v1[name], "1.0.0", None) for name, src in srcs.items()}
    next_version(Workspace(ws.root), flip=FLIPS, add_seeds=NEW_SEEDS,
                 conditions=AUGMENTED_CONDITIONS, candidates_per_seed=CANDIDATES_PER_SEED,
                 accept_per_seed=ACCEPTED_PER_SEED, size=size, put=fast_put(ws.root))
    as_baseline_records(ws.root)
    results = {}
    for name, src in srcs.items():
        v2 = scratch / f"{name}-v2"
        v2_s = build(src, ws.root, v2, "1.1.0", v1[name])
        results[name] = (share(v1[name], v2), v1_s[name], v2_s)
        print(f"{name}: {results[name][0].ratio:.1%} shared; builds {v1_s[name]:.1f} s, "
              f"{v2_s:.1f} s", flush=True)
    return results, ideal(v1["after"], scratch / "after-v2")


def table(results: dict[str, tuple[Share, float, float]]) -> str:
    configs = sorted({c for s, _, _ in results.values() for c in s.per_config})
    lines = ["| writer | v1 parquet MiB | v2 parquet MiB | v2 bytes already in v1 | "
             + " | ".join(configs) + " | build v1 s | build v2 s |",
             "|---|---|---|---|" + "---|" * len(configs) + "---|---|"]
    for name, (s, v1_s, v2_s) in results.items():
        per = " | ".join(f"{s.per_config[c][1] / s.per_config[c][0]:.1%}" for c in configs)
        lines.append(f"| {name} | {s.v1_bytes / 2**20:.1f} | {s.v2_bytes / 2**20:.1f} | "
                     f"**{s.ratio:.1%}** | {per} | {v1_s:.1f} | {v2_s:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10000, help="v1's synthetic rows")
    parser.add_argument("--baseline", default=BASELINE,
                        help="git revision whose writer is 'before' (default: %(default)s)")
    parser.add_argument("--size", type=int, default=96,
                        help="side of the made-up PNGs in px (default: %(default)s, ~27 KB "
                        "noise PNGs; at 32 px a 64 KiB chunk spans ~20 images, so every edit "
                        "costs ~20 neighbours and no layout can share 90 %%)")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-versions-") as scratch:
        results, bound = run(args.rows, args.baseline, Path(scratch), args.size)
    print()
    print(table(results))
    print(f"\nv2 = v1 + {FLIPS} verdicts flipped + {NEW_SEEDS} seeds "
          f"({NEW_SEEDS * CANDIDATES_PER_SEED} candidates); FastCDC {AVG // 1024} KiB average; "
          f"CPU: {cpu()}")
    print(f"bound: the images alone, in row order as one stream, share {bound:.1%} "
          "(what no parquet layout can beat: new images and the chunks around each edit)")
    print(json.dumps({**{k: round(v[0].ratio, 4) for k, v in results.items()},
                      "bound": round(bound, 4)}))


if __name__ == "__main__":
    main()
