"""Load a dermforge release the way a dataset user does: with `datasets` alone.

    python examples/load_release.py RELEASE_DIR_OR_REPO [--revision vX.Y.Z]

Prints each config with its row count and features, then one synthetic image's
provenance, and checks that image's bytes against its recorded sha256. dermforge itself
is not imported: this is what anyone gets from `load_dataset`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import datasets

CONFIGS = ("synthetic", "candidates", "seeds", "experiments")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", help="release folder, or ORG/NAME on the Hub")
    parser.add_argument("--revision", default=None, help="tag or commit on the Hub")
    args = parser.parse_args()
    loaded = {}
    for config in CONFIGS:
        dataset = datasets.load_dataset(args.release, config, split="train",
                                        revision=args.revision)
        loaded[config] = dataset
        print(f"config {config!r}: {dataset.num_rows:,} rows")
        print(f"  features: {', '.join(dataset.features)}")
    synthetic = loaded["synthetic"]
    if synthetic.num_rows == 0:
        print("the synthetic config is empty", file=sys.stderr)
        return 1
    row = synthetic.cast_column("image", datasets.Image(decode=False))[0]
    image_bytes = row.pop("image")["bytes"]
    actual = hashlib.sha256(image_bytes).hexdigest()
    labels = synthetic.features
    row["condition"] = labels["condition"].int2str(row["condition"])
    row["fst_group"] = labels["fst_group"].int2str(row["fst_group"])
    print("one synthetic row's provenance:")
    print(json.dumps(row, indent=2, default=str, sort_keys=True))
    verdict = "matches" if actual == row["image_sha256"] else "DOES NOT MATCH"
    print(f"sha256 of the image bytes {actual} {verdict} the recorded image_sha256")
    local = Path(args.release)
    print(f"release: {local.resolve() if local.is_dir() else args.release}")
    return 0 if actual == row["image_sha256"] else 1


if __name__ == "__main__":
    sys.exit(main())
