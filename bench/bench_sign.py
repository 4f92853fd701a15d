"""`dermforge sign` on a whole release: its cost against the unsigned build, and the bytes two
signed versions share.

(a) A workspace of made-up seeds (`bench_build.make_workspace`: noise PNGs, 96x96 by default,
8 candidates per seed, 4 accepted) is built as v1.0.0, then signed (`signing.sign_release`:
verify, mark every candidates/synthetic image with its XMP label and C2PA Content Credentials,
rewrite the shards, card, MANIFEST, release.sig) with a throw-away test CA and P-256 signing
certificate (`bench_sign_image.pki`). Build and signing each run once in a fresh process (the
seconds exclude Python start-up and imports, as in `bench_build`); reported: signing seconds
as a ratio to the build's, images signed per second, bytes the signed release adds.
(b) v1.1.0 as in `bench_versions` (10 verdicts flipped, 40 seeds added; built with
``--previous`` the unsigned v1.0.0) is signed with the same signed-image cache; reported: the
FastCDC share of the signed v1.1.0's parquet bytes already in the signed v1.0.0 (beside the
same figure for the unsigned pair), and the images v1.1.0 re-signed against those re-used.

    PYTHONPATH=src .venv/bin/python -m bench.bench_sign [--rows 10000] [--size 96]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bench.bench_build import (  # noqa: E402
    ACCEPTED_PER_SEED,
    CANDIDATES_PER_SEED,
    fast_put,
    folder_bytes,
    make_workspace,
)
from bench.bench_sign_image import pki  # noqa: E402
from bench.bench_versions import (  # noqa: E402
    FLIPS,
    NEW_SEEDS,
    Share,
    as_baseline_records,
    build,
    cpu,
    share,
)
from dermforge._paper import AUGMENTED_CONDITIONS  # noqa: E402
from dermforge.store import Workspace  # noqa: E402
from release.factory import next_version  # noqa: E402

SIGN_CHILD = """
import json, sys, time
from pathlib import Path
from dermforge.signing import sign_release
t0 = time.perf_counter()
result = sign_release(Path(sys.argv[1]), key=Path(sys.argv[3]), cert=Path(sys.argv[4]),
                      out=Path(sys.argv[2]), cache=Path(sys.argv[5]))
seconds = time.perf_counter() - t0
print(json.dumps({"sign_s": seconds, **result.signing.model_dump(mode="json")}))
"""


@dataclass
class Signed:
    build_s: float
    sign_s: float
    unsigned_bytes: int
    signed_bytes: int
    signing: dict[str, Any]  # release.json "signing"

    @property
    def ratio(self) -> float:
        return self.sign_s / self.build_s

    @property
    def signed_per_s(self) -> float:
        return float(self.signing["images_signed"]) / self.sign_s


def sign(release: Path, out: Path, keys: Path, cache: Path) -> tuple[float, dict[str, Any]]:
    """(seconds, release.json signing) of one `sign_release` in a fresh process."""
    args = [sys.executable, "-c", SIGN_CHILD, str(release), str(out), str(keys / "key.pem"),
            str(keys / "chain.pem"), str(cache)]
    result = subprocess.run(args, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    if result.returncode != 0:
        raise RuntimeError(f"signing {release} failed:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return float(report.pop("sign_s")), report


def version(src: Path, ws: Path, scratch: Path, name: str, number: str, keys: Path,
            previous: Path | None) -> Signed:
    unsigned, signed = scratch / f"{name}-unsigned", scratch / f"{name}-signed"
    build_s = build(src, ws, unsigned, number, previous)
    sign_s, signing = sign(unsigned, signed, keys, scratch / "signed-cache")
    result = Signed(build_s, sign_s, folder_bytes(unsigned), folder_bytes(signed), signing)
    print(f"{name}: build {build_s:.1f} s, sign {sign_s:.1f} s ({result.ratio:.2f}x), "
          f"{signing['images_signed']} images signed, {signing['images_reused']} re-used",
          flush=True)
    return result


def run(rows: int, size: int, scratch: Path) -> tuple[Signed, Signed, Share, Share]:
    t0 = time.perf_counter()
    ws, _ = make_workspace(scratch / "ws", rows, size)
    as_baseline_records(ws.root)  # bench_versions' workspace, byte for byte
    print(f"v1 workspace ({rows} synthetic rows of {size} px) in {time.perf_counter() - t0:.0f} s",
          flush=True)
    keys = scratch / "keys"
    keys.mkdir()
    pki(keys)
    src = REPO / "src"
    v1 = version(src, ws.root, scratch, "v1", "1.0.0", keys, None)
    next_version(Workspace(ws.root), flip=FLIPS, add_seeds=NEW_SEEDS,
                 conditions=AUGMENTED_CONDITIONS, candidates_per_seed=CANDIDATES_PER_SEED,
                 accept_per_seed=ACCEPTED_PER_SEED, size=size, put=fast_put(ws.root))
    as_baseline_records(ws.root)
    v2 = version(src, ws.root, scratch, "v2", "1.1.0", keys, scratch / "v1-unsigned")
    signed = share(scratch / "v1-signed", scratch / "v2-signed")
    unsigned = share(scratch / "v1-unsigned", scratch / "v2-unsigned")
    return v1, v2, signed, unsigned


def tables(v1: Signed, v2: Signed, signed: Share, unsigned: Share) -> str:
    lines = ["| version | images | build s (baseline) | sign s | sign / build | images signed "
             "| re-used | images signed/s | unsigned MiB | signed MiB | bytes added |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in (("v1.0.0", v1), ("v1.1.0 (same cache)", v2)):
        added = s.signed_bytes - s.unsigned_bytes
        lines.append(
            f"| {name} | {s.signing['images']:,} | {s.build_s:.1f} | {s.sign_s:.1f} | "
            f"**{s.ratio:.2f}x** | {s.signing['images_signed']:,} | "
            f"{s.signing['images_reused']:,} | {s.signed_per_s:,.0f} | "
            f"{s.unsigned_bytes / 2**20:.1f} | {s.signed_bytes / 2**20:.1f} | "
            f"{added / 2**20:.1f} MiB ({added / s.unsigned_bytes:.1%}; "
            f"{added / s.signing['images']:,.0f} B/image) |")
    configs = sorted(signed.per_config)
    lines += ["", "| pair | v1 parquet MiB | v2 parquet MiB | v2 bytes already in v1 | "
              + " | ".join(configs) + " |", "|---|---|---|---|" + "---|" * len(configs)]
    for name, s in (("unsigned (baseline)", unsigned), ("**signed**", signed)):
        per = " | ".join(f"{s.per_config[c][1] / s.per_config[c][0]:.1%}" for c in configs)
        lines.append(f"| {name} | {s.v1_bytes / 2**20:.1f} | {s.v2_bytes / 2**20:.1f} | "
                     f"**{s.ratio:.1%}** | {per} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10000, help="v1's synthetic rows")
    parser.add_argument("--size", type=int, default=96,
                        help="side of the made-up PNGs in px (default: %(default)s, as "
                        "bench_versions)")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-sign-") as scratch:
        v1, v2, signed, unsigned = run(args.rows, args.size, Path(scratch))
    print()
    print(tables(v1, v2, signed, unsigned))
    print(f"\nv2 = v1 + {FLIPS} verdicts flipped + {NEW_SEEDS} seeds; one run each, fresh "
          f"processes; CPU: {cpu()}")
    print(json.dumps({"sign_over_build": round(v1.ratio, 3),
                      "images_signed_per_s": round(v1.signed_per_s, 1),
                      "bytes_added": v1.signed_bytes - v1.unsigned_bytes,
                      "signed_share": round(signed.ratio, 4),
                      "unsigned_share": round(unsigned.ratio, 4),
                      "v2_signed": v2.signing["images_signed"],
                      "v2_reused": v2.signing["images_reused"]}))


if __name__ == "__main__":
    main()
